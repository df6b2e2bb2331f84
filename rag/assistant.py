"""The answering service: question (+ history, filters, mode) → one `rag.contract.Answer`.

The CLI (`hoidap ask --json`), the web chat, the HTTP APIs and the eval harness all call
`Assistant.ask` and serialise its `Answer` with `Answer.to_json()`, so they see the same object;
the eval harness ranks documents through `Assistant.rank`, never past this service.

    assistant = Assistant(Settings())
    res = assistant.ask("Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?")
    print(res.answer, [c.title for c in res.citations])
"""
from __future__ import annotations

import time
from typing import Any, Callable

from rag import extractive, questions
from rag.contract import Answer, Citation, Retrieved, ShortAnswer, refusal
from rag.embedders import Embedder, get_embedder
from rag.retrieve import HybridRetriever
from rag.settings import Settings
from rag.store import Filters, Store

MAX_QUESTION_CHARS = 2000
LIST_INTRO = {
    "vi": "Theo các bài viết đã nạp, có {n} nơi/bài viết nêu thông tin này:",
    "en": "According to the ingested articles (quoted in Vietnamese), {n} articles say so:",
}
SINGLE_INTRO = {"vi": "", "en": "According to the ingested articles (quoted in Vietnamese):"}


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long…); the message is shown to the user."""


def citation_for(n: int, cand: extractive.Candidate) -> Citation:
    return Citation.from_hit(n, cand.hit, cand.start, cand.end)


def short_answer_of(ex: extractive.Extracted, citations: list[Citation]) -> ShortAnswer | None:
    """The extracted short answer as a contract object, pointing at its citation."""
    if ex.refused or ex.short is None or ex.short.pick >= len(citations):
        return None
    sh, hit = ex.short, ex.picks[ex.short.pick].hit
    base = int((hit.payload or {}).get("start", 0) or 0)
    return ShortAnswer(text=sh.text, kind=sh.kind, n=citations[sh.pick].n, start=base + sh.start, end=base + sh.end)


class Assistant:
    def __init__(self, settings: Settings, store: Store | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self.store = store or Store(settings)
        self.embedder = embedder or get_embedder(settings)
        if self.store.exists():
            self.store.check_embedder(self.embedder.id, self.embedder.dim)
        self.retriever = HybridRetriever(self.store, self.embedder, settings)

    def clean_question(self, question: Any) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        q = "".join(ch for ch in question if ch in "\n\t" or ch.isprintable()).strip()
        if not q:
            raise QuestionError("the question is empty")
        if len(q) > MAX_QUESTION_CHARS:
            raise QuestionError(f"the question is {len(q)} characters long; the limit is {MAX_QUESTION_CHARS}")
        return q

    def ask(self, question: str, history: list[dict] | None = None, filters: Filters | None = None,
            mode: str | None = None, top_k: int | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer one question. `on_token` receives LLM tokens as they stream (llm mode only)."""
        t0 = time.perf_counter()
        q = self.clean_question(question)
        mode = mode or self.settings.answer_mode
        language = questions.detect_language(q)
        notice = None
        if mode == "llm" and self.settings.llm_configured and questions.is_followup(q, history):
            from rag import llm

            standalone = llm.rewrite_followup(q, history or [], self.settings)
        else:
            standalone = questions.standalone(q, history)
        per_doc = 1 if questions.classify(standalone) == "list" else 2
        retrieval = self.retriever.search(standalone, filters=filters, top_k=top_k, per_doc=per_doc)
        parsed = questions.parse(retrieval.query if retrieval.unaccented else q)
        carried = questions.content_terms(standalone[len(q):]) if standalone.startswith(q) and standalone != q else []
        t1 = time.perf_counter()
        meta_field = extractive.metadata_question(q)
        meta = extractive.metadata_pick(meta_field, retrieval.hits) if meta_field else None
        if meta is not None:
            ex = extractive.Extracted(refused=False, picks=[meta], list_answer=False, best_score=1.0)
            answer, citations = self._render_metadata(meta_field, meta, language), [citation_for(1, meta)]
        else:
            if language != "vi" and retrieval.hits:  # few shared words: compare meanings instead
                ex = extractive.extract_crosslingual(parsed, retrieval.hits, retrieval.query_vector,
                                                     self.embedder.embed_passages)
            else:
                ex = extractive.extract(parsed, retrieval.hits, self.settings.refuse_below, extra_terms=carried)
            answer, citations = self._render(ex, language, parsed.qtype)
        refused, used = ex.refused, "extractive"
        short = short_answer_of(ex, citations)
        if mode == "llm":
            generated, notice = self._llm(q, retrieval.hits, history, language, on_token)
            if generated is not None:
                answer, citations, refused, used = generated["answer"], generated["citations"], generated["refused"], "llm"
                short = None
        timings = dict(retrieval.timings_ms)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=q, answer=answer, refused=refused, short_answer=short, citations=citations,
            retrieved=[Retrieved.from_hit(h) for h in retrieval.hits], language=language, mode=used,
            notice=notice, standalone_question=standalone if standalone != q else None,
            search_query=retrieval.query, confidence=round(ex.best_score, 4),
            timings_ms={k: round(v, 1) for k, v in timings.items()},
        )

    def rank(self, question: str, history: list[dict] | None = None, depth: int = 10) -> list[str]:
        """Document ids in retrieval order (no answer): what the eval harness scores as ranking.
        Follow-ups are made standalone exactly as `ask` does in extractive mode."""
        standalone = questions.standalone(self.clean_question(question), history or None)
        chunks = 3 * depth  # articles hold several chunks: look deep enough for `depth` articles
        r = self.retriever.search(standalone, top_k=chunks, candidates=chunks)
        return list(dict.fromkeys(h.doc_id for h in r.hits))[:depth]

    def _llm(self, q: str, hits, history, language: str, on_token) -> tuple[dict | None, str | None]:
        """LLM answer with verified citations, or (None, why) so the caller keeps the extractive one."""
        vi = language != "en"
        if not self.settings.llm_configured:
            return None, ("Chưa cấu hình mô hình ngôn ngữ (HOIDAP_LLM_URL hoặc HOIDAP_LLM_GGUF); đây là câu trả lời trích xuất."
                          if vi else "No LLM is configured (HOIDAP_LLM_URL or HOIDAP_LLM_GGUF); this is the extractive answer.")
        if not hits:
            return {"answer": refusal(language), "citations": [], "refused": True}, None
        from rag import llm

        try:
            ans = llm.llm_answer(q, hits, history=history, language=language, settings=self.settings, on_token=on_token)
        except llm.LLMUnavailable as e:
            return None, (f"Không dùng được mô hình ngôn ngữ ({e}); đây là câu trả lời trích xuất."
                          if vi else f"The LLM is unavailable ({e}); this is the extractive answer.")
        if llm.leaks_prompt(ans.raw):
            return None, ("Câu trả lời của mô hình lặp lại hướng dẫn hệ thống nên không được hiển thị; "
                          "đây là câu trả lời trích xuất." if vi else
                          "The LLM answer repeated its instructions, so it is not shown; this is the extractive answer.")
        if ans.refused:
            return {"answer": refusal(language), "citations": [], "refused": True}, None
        if not ans.citations:
            return None, ("Câu trả lời của mô hình không có trích dẫn kiểm chứng được; đây là câu trả lời trích xuất."
                          if vi else "The LLM answer had no verifiable citation; this is the extractive answer.")
        note = None
        if ans.dropped:
            note = (f"Đã bỏ {ans.dropped} trích dẫn không khớp với nguồn." if vi
                    else f"Removed {ans.dropped} citation(s) that the sources did not support.")
        return {"answer": ans.text, "citations": ans.citations, "refused": False}, note

    @staticmethod
    def _render_metadata(field: str, pick: extractive.Candidate, language: str) -> str:
        p = pick.hit.payload
        title = p.get("title") or pick.hit.doc_id
        value = p.get(field)
        if field == "published":
            d = str(value)[:10].split("-")
            value = f"{int(d[2])}/{int(d[1])}/{d[0]}" if len(d) == 3 else value
        templates = {
            "vi": {"author": "Bài «{t}» do {v} viết [1].", "published": "Bài «{t}» được đăng ngày {v} [1].",
                   "source_name": "Bài «{t}» được đăng trên {v} [1]."},
            "en": {"author": "The article «{t}» was written by {v} [1].",
                   "published": "The article «{t}» was published on {v} [1].",
                   "source_name": "The article «{t}» was published by {v} [1]."},
        }
        out = templates["en" if language == "en" else "vi"][field].format(t=title, v=value)
        if field == "source_name" and p.get("url"):
            out += f" ({p['url']})"
        return out

    def _render(self, ex: extractive.Extracted, language: str, qtype: str = "fact") -> tuple[str, list[Citation]]:
        lang = "en" if language == "en" else "vi"
        if ex.refused:
            return refusal(language), []
        citations = [citation_for(i + 1, c) for i, c in enumerate(ex.picks)]
        if ex.list_answer:
            lines = [LIST_INTRO[lang].format(n=len(ex.picks))]
            lines += [f"- **{extractive.label(c.hit)}**: {c.text} [{i + 1}]" for i, c in enumerate(ex.picks)]
            return "\n".join(lines), citations
        if qtype in ("place", "list") and ex.short is None:
            # "tỉnh nào…?" answered by a sentence that never names its province: say which one it is
            body = " ".join(f"**{extractive.label(c.hit)}**: {c.text} [{i + 1}]" for i, c in enumerate(ex.picks))
        else:
            body = " ".join(f"{c.text} [{i + 1}]" for i, c in enumerate(ex.picks))
        if ex.short is not None:  # the answer itself first, then the sentence that says it
            body = f"**{ex.short.text}** [{ex.short.pick + 1}]\n\n{body}"
        intro = SINGLE_INTRO[lang]
        return (f"{intro}\n{body}" if intro else body), citations

"""The "Hỏi đáp" tab: the chat, its filters, the first screen and every answer's citations.

Each answer is stored as a turn of the signed-in user's conversation (conversations.py) and
keeps its sources: the panel holds every answer's cards, and clicking an answer or one of its
[n] markers shows them (app.js). In LLM mode the model's draft appears token by token
(Services.ask_stream) and the verified answer replaces it; an extractive answer appears at once.

    >>> with gr.Blocks() as blocks:  # doctest: +SKIP
    ...     chat = build_chat_tab(services, sidebar)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from rag.contract import TOP_K_MAX, TOP_K_MIN, Answer, RequestError, parse_filters
from rag.store import Filters
from ui.web.archive import EXAMPLES, overview_text
from ui.web.render import esc_md, render_panels
from ui.web.services import Services, filters_dict
from ui.web.streaming import WITHHELD

ALL_PROVINCES = "Tất cả tỉnh/thành"
WRONG_CITATION = "Nguồn trích dẫn sai"
VERDICTS = {"Like": "like", "Dislike": "dislike", WRONG_CITATION: "wrong_citation"}
VERDICT_VI = {"like": "👍 Hữu ích", "dislike": "👎 Chưa đúng", "wrong_citation": "⚠ Nguồn trích dẫn sai"}
_MARK = re.compile(r"\[(\d+)\]")


@dataclass
class ChatTab:
    province: Any  # the province filter: refreshed after uploads and deletes
    welcome: Any
    examples: list = field(default_factory=list)


def warn(msg: str) -> None:
    gr.Warning(msg, title="Cảnh báo")


def user_of(request: gr.Request | None) -> str:
    """The signed-in user ("" on a server without logins)."""
    return (getattr(request, "username", None) or "") if request is not None else ""


def empty_conversation() -> dict:
    return {"id": None, "turns": []}


def as_conversation(value: Any) -> dict:
    return value if isinstance(value, dict) and "turns" in value else empty_conversation()


def question_error_vi(msg: str) -> str:
    if "empty" in msg:
        return "Vui lòng nhập câu hỏi."
    m = re.search(r"(\d+) characters long; the limit is (\d+)", msg)
    if m:
        return f"Câu hỏi quá dài ({m.group(1)} ký tự; tối đa {m.group(2)})."
    return f"Câu hỏi không hợp lệ: {msg}"


def ui_filters(province: str | None, since: str | None, until: str | None) -> Filters | None:
    """Filters from the UI controls through rag.contract's checks; ValueError in Vietnamese."""
    try:
        return parse_filters(None if province == ALL_PROVINCES else province, since, until)
    except RequestError as e:
        msg = str(e)
        if "after" in msg:
            raise ValueError("«Từ ngày» phải trước hoặc bằng «Đến ngày».") from None
        for key, (label, value) in {"filters.since": ("Từ ngày", since), "filters.until": ("Đến ngày", until),
                                    "filters.province": ("Tỉnh/thành", province)}.items():
            if msg.startswith(key) and "date" in msg:
                raise ValueError(f"«{label}» phải là ngày dạng YYYY-MM-DD (ví dụ 2023-12-31), "
                                 f"không phải «{(value or '').strip()}».") from None
            if msg.startswith(key) or (key == "filters.province" and "province" in msg):
                raise ValueError(f"«{label}» không hợp lệ: «{(value or '').strip()}».") from None
        raise ValueError(f"Bộ lọc không hợp lệ: {msg}") from None


def answer_markdown(answer: str, turn: int) -> str:
    """An answer for the chat bubble: escaped, with every [n] a link to that answer's card n."""
    return _MARK.sub(lambda m: f"[[{m.group(1)}]](#hd-cite-{turn}-{m.group(1)})", esc_md(answer))


def chat_messages(turns: list[dict], pending: tuple[str, str] | None = None) -> list[dict]:
    msgs: list[dict] = []
    for k, t in enumerate(turns, 1):
        msgs.append({"role": "user", "content": esc_md(t["question"])})
        msgs.append({"role": "assistant", "content": answer_markdown(t["answer"]["answer"], k)})
    if pending:
        msgs.append({"role": "user", "content": esc_md(pending[0])})
        msgs.append({"role": "assistant", "content": esc_md(pending[1]) if pending[1] else "…"})
    return msgs


def history_of(turns: list[dict]) -> list[dict]:
    """The conversation so far as Assistant.ask's history (question and answer text per turn)."""
    h: list[dict] = []
    for t in turns:
        h += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return h


def turns_of(conv: dict | None) -> list[dict]:
    """A stored conversation's turns in the chat's shape."""
    return [{"question": t["question"], "answer": t["answer"], "answer_id": t["id"], "filters": t.get("filters")}
            for t in (conv or {}).get("turns", [])]


def province_choices(svc: Services) -> list[str]:
    return [ALL_PROVINCES] + svc.provinces()


def welcome_text(svc: Services) -> str:
    return ("### Hỏi đáp trên kho bài báo\n" + overview_text(svc.archive.overview())
            + "\n\nMỗi ý trong câu trả lời có số [n]: bấm vào số để xem câu trích trong bài gốc. "
              "Bấm một câu hỏi gợi ý để bắt đầu:")


def example_updates(svc: Services, n: int) -> list:
    ex = svc.archive.examples(n)
    return [gr.update(value=ex[i], visible=True) if i < len(ex) else gr.update(visible=False) for i in range(n)]


def _layout(svc: Services) -> dict[str, Any]:
    settings = svc.settings
    modes = [("Trích nguyên văn từ bài báo", "extractive")]
    if settings.llm_configured:
        modes.append(("Viết lại bằng mô hình ngôn ngữ", "llm"))
    c: dict[str, Any] = {}
    with gr.Row(elem_id="hd-main-row"):
        with gr.Column(scale=3, min_width=300):
            with gr.Column(elem_id="hd-welcome", elem_classes=["hd-welcome"]) as c["welcome"]:
                c["overview"] = gr.Markdown(welcome_text(svc), elem_id="hd-overview")
                with gr.Row(elem_id="hd-examples"):
                    ex = svc.archive.examples(EXAMPLES)
                    c["examples"] = [gr.Button(ex[i] if i < len(ex) else "", visible=i < len(ex), size="sm",
                                               elem_classes=["hd-example"]) for i in range(EXAMPLES)]
            c["chatbot"] = gr.Chatbot(label="Cuộc trò chuyện", height=460, elem_id="hd-chat",
                                      feedback_options=("Like", "Dislike", WRONG_CITATION),
                                      latex_delimiters=[], allow_tags=False, buttons=["copy"],
                                      placeholder="Hãy đặt câu hỏi về các bài báo đã nạp.")
            with gr.Row(visible=False, elem_id="hd-fb-row") as c["fb_row"]:
                c["fb_comment"] = gr.Textbox(label="Góp ý thêm (không bắt buộc)", scale=4, elem_id="hd-fb-comment",
                                             placeholder="Điều gì chưa đúng? Nguồn nào sai?", max_length=2000)
                c["fb_send"] = gr.Button("Gửi góp ý", scale=1, elem_id="hd-fb-send")
            c["feedback_note"] = gr.Markdown("", elem_id="hd-feedback-note")
            with gr.Row():
                c["question"] = gr.Textbox(label="Câu hỏi", lines=2, max_lines=6, scale=5, elem_id="hd-question",
                                           max_length=4000, placeholder="Nhập câu hỏi rồi bấm Enter để gửi "
                                           "(Shift+Enter để xuống dòng)")
                c["ask"] = gr.Button("Gửi câu hỏi", variant="primary", elem_id="hd-ask", scale=1, min_width=90)
            with gr.Accordion("Bộ lọc và cách trả lời", open=False, elem_id="hd-filters"):
                with gr.Row():
                    c["province"] = gr.Dropdown(province_choices(svc), value=ALL_PROVINCES, label="Tỉnh/thành",
                                                elem_id="hd-province", allow_custom_value=True)
                    c["since"] = gr.Textbox(label="Từ ngày", placeholder="YYYY-MM-DD", elem_id="hd-since")
                    c["until"] = gr.Textbox(label="Đến ngày", placeholder="YYYY-MM-DD", elem_id="hd-until")
                with gr.Row():
                    c["mode"] = gr.Radio(modes, value=settings.answer_mode if settings.llm_configured else "extractive",
                                         label="Cách trả lời", interactive=len(modes) > 1, elem_id="hd-mode",
                                         info=None if len(modes) > 1 else "Máy chủ này chỉ trả lời bằng cách trích "
                                         "nguyên văn câu trong bài báo.")
                    c["top_k"] = gr.Slider(TOP_K_MIN, TOP_K_MAX, value=settings.top_k, step=1,
                                           label="Số đoạn trích dùng để trả lời",
                                           info="Nhiều hơn: đầy đủ hơn nhưng chậm hơn.")
        with gr.Column(scale=2, min_width=280):
            c["citations"] = gr.HTML(render_panels([]), elem_id="hd-citations", js_on_load=None, padding=True)
    return c


def _respond(svc: Services):
    from rag.assistant import QuestionError

    def respond(message, conv_v, province_v, since_v, until_v, mode_v, top_k_v, request: gr.Request):
        conv_v, message, user = as_conversation(conv_v), message or "", user_of(request)
        turns = conv_v["turns"]
        keep = (gr.update(), chat_messages(turns), gr.update(), conv_v, gr.update(), gr.update())
        try:
            flt = ui_filters(province_v, since_v, until_v)
            if not message.strip():
                raise ValueError("Vui lòng nhập câu hỏi.")
        except ValueError as e:
            warn(str(e))
            yield keep
            return
        yield ("", chat_messages(turns, (message, "")), gr.update(), conv_v, gr.update(), gr.update(visible=False))
        draft, res = "", None
        try:
            for part in svc.ask_stream(message, history=history_of(turns), filters=flt, mode=mode_v or None,
                                       top_k=int(top_k_v) if top_k_v else None):
                if isinstance(part, Answer):
                    res = part
                elif part is WITHHELD or isinstance(part, str):  # the LLM's draft, as generated
                    draft = "" if part is WITHHELD else draft + part
                    yield gr.update(), chat_messages(turns, (message, draft)), gr.update(), conv_v, gr.update(), \
                        gr.update()
            cid, tid = svc.save_turn(user, conv_v["id"], res, flt)
        except QuestionError as e:
            warn(question_error_vi(str(e)))
            yield (message,) + keep[1:]
            return
        except Exception as e:  # keep the chat alive; say what happened
            warn(f"Lỗi khi trả lời: {type(e).__name__}: {e}")
            yield (message,) + keep[1:]
            return
        turns = turns + [{"question": res.question, "answer": res.to_dict(), "answer_id": tid,
                          "filters": filters_dict(flt)}]
        conv_v = {"id": cid, "turns": turns}
        yield ("", chat_messages(turns), render_panels([t["answer"] for t in turns]), conv_v,
               conversation_list(svc, user, cid), gr.update(visible=False))

    return respond


def conversation_list(svc: Services, user: str, value: str | None = None, query: str = "") -> Any:
    from rag.vntext import fold

    q = fold((query or "").lower().strip())
    items = [(c["title"], c["id"]) for c in svc.conversations.list(user) if not q or q in fold(c["title"].lower())]
    return gr.update(choices=items, value=value)


def _feedback(svc: Services):
    def on_like(conv_v, data: gr.LikeData):
        turns = as_conversation(conv_v)["turns"]
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        k = int(idx) // 2
        raw = data.liked
        if not turns or k >= len(turns) or raw is None or raw == "":
            return gr.update(), gr.update(), None
        verdict = ("like" if raw else "dislike") if isinstance(raw, bool) else VERDICTS.get(str(raw), str(raw))
        target = {"turn": k, "verdict": verdict}
        _record(svc, turns, target, "")
        note = f"Đã ghi nhận phản hồi: {VERDICT_VI.get(verdict, verdict)}. Cảm ơn bạn!"
        return note, gr.update(visible=verdict != "like", value=""), target

    def on_comment(conv_v, target, comment):
        turns = as_conversation(conv_v)["turns"]
        if not target or target["turn"] >= len(turns):
            return gr.update(), gr.update()
        _record(svc, turns, target, comment)
        return "Đã ghi nhận góp ý của bạn. Cảm ơn bạn!", gr.update(visible=False)

    return on_like, on_comment


def _record(svc: Services, turns: list[dict], target: dict, comment: str) -> None:
    t = turns[target["turn"]]
    a = t["answer"]
    svc.record_feedback({"question": t["question"], "history": history_of(turns[:target["turn"]]),
                         "answer": a["answer"], "refused": a["refused"], "citations": a["citations"],
                         "filters": t.get("filters"), "mode": a.get("mode"), "answer_id": t["answer_id"]},
                        target["verdict"], comment)


def build_chat_tab(svc: Services, side) -> ChatTab:
    """The chat tab's layout and events (call inside a gr.Tab; `side` is the sidebar)."""
    c = _layout(svc)
    conv, fb_target = gr.State(empty_conversation()), gr.State(None)
    inputs = [c["question"], conv, c["province"], c["since"], c["until"], c["mode"], c["top_k"]]
    outputs = [c["question"], c["chatbot"], c["citations"], conv, side.conversations, c["welcome"]]
    respond = _respond(svc)
    c["ask"].click(respond, inputs, outputs, api_name="ask")
    c["question"].submit(respond, inputs, outputs, api_name=False)
    for btn in c["examples"]:
        btn.click(lambda q: q, btn, c["question"], api_name=False).then(respond, inputs, outputs, api_name=False)

    on_like, on_comment = _feedback(svc)
    c["chatbot"].like(on_like, [conv], [c["feedback_note"], c["fb_row"], fb_target], api_name=False)
    c["fb_send"].click(on_comment, [conv, fb_target, c["fb_comment"]], [c["feedback_note"], c["fb_row"]],
                       api_name=False)

    shown = [c["chatbot"], c["citations"], conv, c["welcome"], c["feedback_note"], c["fb_row"]]

    def show(conv_v):
        turns = as_conversation(conv_v)["turns"]
        return (chat_messages(turns), render_panels([t["answer"] for t in turns]), as_conversation(conv_v),
                gr.update(visible=not turns), "", gr.update(visible=False))

    side.wire(svc, show, shown, conv)
    c["chatbot"].clear(lambda: show(None), None, shown, api_name=False)
    return ChatTab(province=c["province"], welcome=c["overview"], examples=c["examples"])

"""The "Hỏi đáp" tab: the chat, its filters and the citations panel of the latest answer.

In LLM mode the model's draft appears token by token (Services.ask_stream) and the verified
answer replaces it when generation ends; an extractive answer appears at once.

    >>> with gr.Blocks() as blocks:  # doctest: +SKIP
    ...     chat = build_chat_tab(services)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.contract import TOP_K_MAX, TOP_K_MIN, Answer, RequestError, parse_filters
from rag.store import Filters
from ui.web.assets import COPY_JS
from ui.web.render import esc_md, render_citations
from ui.web.services import Services, filters_dict
from ui.web.streaming import WITHHELD

ALL_PROVINCES = "Tất cả tỉnh/thành"
WRONG_CITATION = "Nguồn trích dẫn sai"
VERDICTS = {"Like": "like", "Dislike": "dislike", WRONG_CITATION: "wrong_citation"}
VERDICT_VI = {"like": "👍 Hữu ích", "dislike": "👎 Chưa đúng", "wrong_citation": "⚠ Nguồn trích dẫn sai"}


@dataclass
class ChatTab:
    province: Any  # the province dropdown: other tabs refresh its choices after uploads and deletes


def warn(msg: str) -> None:
    gr.Warning(msg, title="Cảnh báo")


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


def chat_messages(turns: list[dict], pending: tuple[str, str] | None = None) -> list[dict]:
    msgs: list[dict] = []
    for t in turns:
        msgs.append({"role": "user", "content": esc_md(t["question"])})
        msgs.append({"role": "assistant", "content": esc_md(t["answer"])})
    if pending:
        msgs.append({"role": "user", "content": esc_md(pending[0])})
        msgs.append({"role": "assistant", "content": esc_md(pending[1]) if pending[1] else "…"})
    return msgs


def history_of(turns: list[dict]) -> list[dict]:
    """The conversation so far as Assistant.ask's history (question and answer text per turn)."""
    h: list[dict] = []
    for t in turns:
        h += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
    return h


def province_choices(svc: Services) -> list[str]:
    return [ALL_PROVINCES] + svc.provinces()


def _layout(svc: Services) -> dict[str, Any]:
    settings = svc.settings
    modes = [("Trích xuất (không dùng LLM)", "extractive")]
    if settings.llm_configured:
        modes.append(("LLM (mô hình ngôn ngữ)", "llm"))
    c: dict[str, Any] = {}
    with gr.Row():
        with gr.Column(scale=3):
            c["chatbot"] = gr.Chatbot(label="Cuộc trò chuyện", height=460, elem_id="hd-chat",
                                      feedback_options=("Like", "Dislike", WRONG_CITATION),
                                      latex_delimiters=[], allow_tags=False, buttons=["copy"],
                                      placeholder="Hãy đặt câu hỏi về các bài báo đã nạp.")
            with gr.Row():
                c["question"] = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: Tỉnh nào bố trí Trưởng ban Tuyên "
                                           "giáo đồng thời là Giám đốc Trung tâm chính trị?", lines=2, max_lines=6,
                                           scale=5, elem_id="hd-question", max_length=4000)
                with gr.Column(scale=1, min_width=140):
                    c["ask"] = gr.Button("Gửi câu hỏi", variant="primary", elem_id="hd-ask")
                    c["new"] = gr.Button("Cuộc trò chuyện mới", elem_id="hd-new")
            with gr.Accordion("Bộ lọc và chế độ trả lời", open=False):
                with gr.Row():
                    c["province"] = gr.Dropdown(province_choices(svc), value=ALL_PROVINCES,
                                                label="Tỉnh/thành", elem_id="hd-province")
                    c["since"] = gr.Textbox(label="Từ ngày", placeholder="YYYY-MM-DD", elem_id="hd-since")
                    c["until"] = gr.Textbox(label="Đến ngày", placeholder="YYYY-MM-DD", elem_id="hd-until")
                with gr.Row():
                    c["mode"] = gr.Radio(modes, value=settings.answer_mode if settings.llm_configured else "extractive",
                                         label="Chế độ trả lời", interactive=len(modes) > 1,
                                         info=None if len(modes) > 1 else
                                         "Chế độ LLM có khi cấu hình HOIDAP_LLM_URL hoặc HOIDAP_LLM_GGUF.")
                    c["top_k"] = gr.Slider(TOP_K_MIN, TOP_K_MAX, value=settings.top_k, step=1,
                                           label="Số đoạn văn truy xuất")
        with gr.Column(scale=2):
            c["citations"] = gr.HTML(render_citations(None), elem_id="hd-citations", js_on_load=COPY_JS, padding=True)
            c["feedback_note"] = gr.Markdown("", elem_id="hd-feedback-note")
    return c


def _respond(svc: Services):
    from rag.assistant import QuestionError

    def respond(message, turns_v, province_v, since_v, until_v, mode_v, top_k_v):
        turns_v, message = list(turns_v or []), message or ""
        keep = (gr.update(), chat_messages(turns_v), gr.update(), turns_v)
        try:
            flt = ui_filters(province_v, since_v, until_v)
            if not message.strip():
                raise ValueError("Vui lòng nhập câu hỏi.")
        except ValueError as e:
            warn(str(e))
            yield keep
            return
        yield "", chat_messages(turns_v, (message, "")), gr.update(), turns_v
        draft, res = "", None
        try:
            for part in svc.ask_stream(message, history=history_of(turns_v), filters=flt, mode=mode_v or None,
                                       top_k=int(top_k_v) if top_k_v else None):
                if isinstance(part, Answer):
                    res = part.to_dict()
                elif part is WITHHELD or isinstance(part, str):  # the LLM's draft, as generated
                    draft = "" if part is WITHHELD else draft + part
                    yield gr.update(), chat_messages(turns_v, (message, draft)), gr.update(), turns_v
        except QuestionError as e:
            warn(question_error_vi(str(e)))
            yield (message,) + keep[1:]
            return
        except Exception as e:  # keep the chat alive; say what happened
            warn(f"Lỗi khi trả lời: {type(e).__name__}: {e}")
            yield (message,) + keep[1:]
            return
        turn = {"question": res.get("question", message), "history": history_of(turns_v), "answer": res["answer"],
                "refused": res["refused"], "citations": res["citations"], "filters": filters_dict(flt),
                "mode": res.get("mode")}
        turns_v = turns_v + [turn]
        yield "", chat_messages(turns_v), render_citations(res, len(turns_v)), turns_v

    return respond


def build_chat_tab(svc: Services) -> ChatTab:
    """The chat tab's layout and events (call inside a gr.Tab)."""
    c = _layout(svc)
    turns = gr.State([])
    chat_inputs = [c["question"], turns, c["province"], c["since"], c["until"], c["mode"], c["top_k"]]
    chat_outputs = [c["question"], c["chatbot"], c["citations"], turns]
    respond = _respond(svc)
    c["ask"].click(respond, chat_inputs, chat_outputs, api_name="ask")
    c["question"].submit(respond, chat_inputs, chat_outputs, api_name=False)

    c["new"].click(lambda: ([], [], render_citations(None), "", ""), None,
                   [c["chatbot"], turns, c["citations"], c["question"], c["feedback_note"]], api_name=False)
    # the chatbot's own trash button clears the display: forget the history with it
    c["chatbot"].clear(lambda: ([], render_citations(None), ""), None, [turns, c["citations"], c["feedback_note"]],
                       api_name=False)

    def on_feedback(turns_v, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        k = int(idx) // 2
        if not turns_v or k >= len(turns_v):
            return gr.update()
        raw = data.liked
        verdict = ("like" if raw else "dislike") if isinstance(raw, bool) else VERDICTS.get(str(raw), str(raw))
        svc.record_feedback(turns_v[k], verdict)
        return f"Đã ghi nhận phản hồi: {VERDICT_VI.get(verdict, verdict)}. Cảm ơn bạn!"

    c["chatbot"].like(on_feedback, [turns], [c["feedback_note"]], api_name=False)
    return ChatTab(province=c["province"])

"""The "Nguồn dữ liệu" tab: the stored articles, a search over them, one article's cleaned text,
and delete (with a confirmation step).

The search covers titles, provinces, sources, dates (dd/mm/yyyy, mm/yyyy, yyyy) and the text,
without accents ("son la" finds Sơn La); a search that finds nothing says so.

    >>> with gr.Blocks() as blocks:  # doctest: +SKIP
    ...     sources = build_sources_tab(services, chat, tab, blocks)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from ui.web.chat_tab import province_choices, warn
from ui.web.render import esc_md, render_article, vn_date
from ui.web.services import Services

SOURCE_HEADERS = ["Tiêu đề", "Tỉnh/thành", "Ngày đăng", "Số đoạn", "Mã bài"]


@dataclass
class SourcesTab:
    search: Any
    outputs: list  # table, article picker, count line: what `view` returns updates for
    view: Callable[[str], tuple]  # search text -> (rows, picker update, count line)


def doc_rows(docs: list[dict]) -> list[list]:
    return [[d.get("title") or d["doc_id"], d.get("province") or "", vn_date(d.get("published")),
             int(d.get("n_chunks") or 0), d["doc_id"]] for d in docs]


def doc_choices(docs: list[dict]) -> list[tuple[str, str]]:
    return [((d.get("title") or d["doc_id"])[:120] + f"  ({d['doc_id']})", d["doc_id"]) for d in docs]


def _layout() -> dict[str, Any]:
    c: dict[str, Any] = {}
    with gr.Row():
        c["search"] = gr.Textbox(label="Tìm bài viết", elem_id="hd-search", scale=4,
                                 placeholder="Tiêu đề, tỉnh/thành, ngày (10/08/2022) hoặc nội dung; không cần dấu")
        c["refresh"] = gr.Button("Làm mới", scale=1)
    c["count"] = gr.Markdown("")
    c["table"] = gr.Dataframe(headers=SOURCE_HEADERS, datatype=["str", "str", "str", "number", "str"],
                              interactive=False, wrap=True, elem_id="hd-sources", max_height=360,
                              column_widths=["46%", "14%", "12%", "8%", "20%"])
    with gr.Row():
        c["pick"] = gr.Dropdown([], label="Bài viết", elem_id="hd-article-pick", scale=4)
        c["delete"] = gr.Button("Xoá bài viết này", variant="stop", scale=1, elem_id="hd-delete")
    with gr.Row(visible=False) as c["confirm_row"]:
        c["confirm_text"] = gr.Markdown("")
        c["confirm"] = gr.Button("Xác nhận xoá", variant="stop", elem_id="hd-delete-confirm")
        c["cancel"] = gr.Button("Huỷ", elem_id="hd-delete-cancel")
    c["article"] = gr.HTML(render_article(None), elem_id="hd-article", padding=True)
    return c


def _pick_row(rows, evt: gr.SelectData):
    try:
        values = getattr(evt, "row_value", None)
        if not values:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            data = rows.values.tolist() if hasattr(rows, "values") else rows
            values = data[row]
        return gr.update(value=values[-1])
    except Exception:
        return gr.update()


def build_sources_tab(svc: Services, chat, tab, blocks) -> SourcesTab:
    """The sources tab's layout and events (call inside its gr.Tab; `chat` is the chat tab)."""
    c = _layout()
    province = chat.province

    def view(query=""):
        total = len(svc.documents())
        found = svc.search_documents(query)
        q = (query or "").strip()
        note = f"{total} bài viết đã nạp"
        if q:
            note += (f" · {len(found)} bài khớp «{q}»" if found else
                     f" · **Không tìm thấy bài nào khớp «{q}»**. Hãy thử từ khác hoặc xoá ô tìm kiếm.")
        return doc_rows(found), gr.update(choices=doc_choices(found)), esc_md(note)

    out = SourcesTab(search=c["search"], outputs=[c["table"], c["pick"], c["count"]], view=view)
    for event in (c["search"].change, c["refresh"].click, tab.select):
        event(view, [c["search"]], out.outputs, api_name=False)
    blocks.load(view, None, out.outputs, api_name=False)
    c["table"].select(_pick_row, [c["table"]], [c["pick"]], api_name=False)
    c["pick"].change(lambda d: (render_article(svc.document(d) if d else None), gr.update(visible=False)),
                     [c["pick"]], [c["article"], c["confirm_row"]], api_name="open_article")

    def ask_delete(doc_id):
        doc = svc.document(doc_id) if doc_id else None
        if not doc:
            warn("Hãy chọn một bài viết trước.")
            return gr.update(visible=False), ""
        return gr.update(visible=True), esc_md(f"Xoá «{doc.get('title') or doc_id}» ({doc_id})? Không thể hoàn tác.")

    c["delete"].click(ask_delete, [c["pick"]], [c["confirm_row"], c["confirm_text"]], api_name=False)
    c["cancel"].click(lambda: gr.update(visible=False), None, [c["confirm_row"]], api_name=False)

    def do_delete(doc_id, query):
        if svc.delete(doc_id):
            gr.Info(f"Đã xoá {doc_id}.", title="Thông báo")
        else:
            warn(f"Không tìm thấy bài viết {doc_id}.")
        rows, picker, note = view(query)
        return (gr.update(visible=False), rows, dict(picker, value=None), note,
                render_article(None), gr.update(choices=province_choices(svc)))

    c["confirm"].click(do_delete, [c["pick"], c["search"]],
                       [c["confirm_row"], c["table"], c["pick"], c["count"], c["article"], province],
                       api_name=False, concurrency_limit=1, concurrency_id="write")
    return out

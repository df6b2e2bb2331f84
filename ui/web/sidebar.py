"""The sidebar: the signed-in user's saved conversations (newest first, searchable), and
new / open / rename / delete / download (Markdown or Word) for the open one.

    >>> with gr.Blocks():  # doctest: +SKIP
    ...     side = build_sidebar()
    ...     chat = build_chat_tab(services, side)   # calls side.wire(...)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from ui.web.services import Services


@dataclass
class Sidebar:
    c: dict

    @property
    def conversations(self):
        return self.c["list"]

    def wire(self, svc: Services, show: Callable, shown: list, conv) -> None:
        """Connect the sidebar to the chat: `show(conv)` -> updates for `shown`."""
        _wire(self.c, svc, show, shown, conv)


def build_sidebar() -> Sidebar:
    c: dict[str, Any] = {}
    with gr.Sidebar(label="Cuộc trò chuyện", open=True, elem_id="hd-sidebar", width=300):
        c["new"] = gr.Button("+ Cuộc trò chuyện mới", variant="secondary", elem_id="hd-new")
        c["search"] = gr.Textbox(label="Tìm cuộc trò chuyện", elem_id="hd-conv-search", max_lines=1)
        c["list"] = gr.Radio([], label="Cuộc trò chuyện đã lưu", elem_id="hd-conversations")
        with gr.Accordion("Đổi tên, xoá, tải về", open=False, elem_id="hd-conv-tools"):
            c["title"] = gr.Textbox(label="Tên mới", elem_id="hd-conv-title", max_lines=1)
            c["rename"] = gr.Button("Đổi tên", size="sm", elem_id="hd-conv-rename")
            c["delete"] = gr.Button("Xoá cuộc trò chuyện", size="sm", variant="stop", elem_id="hd-conv-delete")
            with gr.Row():
                c["md"] = gr.Button("Tải về Markdown", size="sm", elem_id="hd-export-md")
                c["docx"] = gr.Button("Tải về Word", size="sm", elem_id="hd-export-docx")
            c["file"] = gr.File(label="Tệp tải về", visible=False, elem_id="hd-export-file", interactive=False)
    return Sidebar(c)


def _export_path(svc: Services, user: str, conv: dict, fmt: str) -> str:
    from ui.web.export import export_conversation

    body, _, name = export_conversation(conv, fmt)
    folder = Path(svc.settings.data_dir) / "exports" / (re.sub(r"[^\w.@-]", "_", user) or "_")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(body)
    return str(path)


def _wire(c: dict, svc: Services, show: Callable, shown: list, conv) -> None:
    from ui.web.chat_tab import conversation_list, turns_of, user_of

    def open_conv(cid, request: gr.Request):
        data = svc.conversations.get(user_of(request), cid) if cid else None
        return show({"id": cid, "turns": turns_of(data)} if data else None)

    def new(request: gr.Request):
        return show(None) + (conversation_list(svc, user_of(request)),)

    def search(query, value, request: gr.Request):
        return conversation_list(svc, user_of(request), value, query)

    c["list"].input(open_conv, [c["list"]], shown, api_name=False)
    c["new"].click(new, None, shown + [c["list"]], api_name=False)
    c["search"].change(search, [c["search"], c["list"]], [c["list"]], api_name=False)

    def rename(conv_v, title, request: gr.Request):
        user = user_of(request)
        if conv_v and conv_v.get("id") and svc.conversations.rename(user, conv_v["id"], title):
            return conversation_list(svc, user, conv_v["id"]), ""
        gr.Warning("Hãy mở một cuộc trò chuyện và nhập tên mới.", title="Cảnh báo")
        return gr.update(), gr.update()

    c["rename"].click(rename, [conv, c["title"]], [c["list"], c["title"]], api_name=False)

    def delete(conv_v, request: gr.Request):
        user = user_of(request)
        if conv_v and conv_v.get("id"):
            svc.conversations.delete(user, conv_v["id"])
        return show(None) + (conversation_list(svc, user),)

    c["delete"].click(delete, [conv], shown + [c["list"]], api_name=False)

    def export(fmt: str):
        def run(conv_v, request: gr.Request):
            user = user_of(request)
            data = svc.conversations.get(user, conv_v["id"]) if conv_v and conv_v.get("id") else None
            if not data:
                gr.Warning("Chưa có cuộc trò chuyện nào để tải về.", title="Cảnh báo")
                return gr.update(visible=False)
            return gr.update(value=_export_path(svc, user, data, fmt), visible=True)

        return run

    c["md"].click(export("md"), [conv], [c["file"]], api_name=False)
    c["docx"].click(export("docx"), [conv], [c["file"]], api_name=False)

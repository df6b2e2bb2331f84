"""The Gradio web UI (Vietnamese; English when the browser asks): a sidebar of saved
conversations and three tabs, one builder each, composed here.

    >>> blocks, services = create_app(Settings())  # doctest: +SKIP
    >>> gr.mount_gradio_app(app, blocks, "/", css=CSS, head=page_head())  # doctest: +SKIP  (server.py)
"""
from __future__ import annotations

import gradio as gr

from rag.settings import Settings, apply_process_env
from rag.store import Store
from ui.web.services import Services

APP_TITLE = "hoidap — Hỏi đáp báo chí"


def create_app(settings: Settings, *, store: Store | None = None, embedder=None,
               services: Services | None = None):
    """The Gradio Blocks UI -> (blocks, services)."""
    apply_process_env()
    from ui.web.chat_tab import build_chat_tab
    from ui.web.sidebar import build_sidebar
    from ui.web.sources_tab import build_sources_tab
    from ui.web.upload_tab import build_upload_tab

    svc = services or Services(settings, store=store, embedder=embedder)
    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as blocks:
        side = build_sidebar()
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"):
                chat = build_chat_tab(svc, side)
            with gr.Tab("Nguồn dữ liệu", id="sources") as sources_tab:
                sources = build_sources_tab(svc, chat, sources_tab, blocks)
            with gr.Tab("Thêm bài viết", id="upload"):
                build_upload_tab(svc, sources, chat)
        _on_page_load(svc, blocks, side, chat)
    blocks.queue(default_concurrency_limit=4)
    return blocks, svc


def _on_page_load(svc: Services, blocks, side, chat) -> None:
    """Every page load reads the store afresh: provinces, the archive overview, the examples,
    and this user's conversations (an upload by anyone shows up without a restart)."""
    from ui.web.chat_tab import conversation_list, example_updates, province_choices, user_of, welcome_text

    def load(request: gr.Request):
        return (gr.update(choices=province_choices(svc)), welcome_text(svc),
                conversation_list(svc, user_of(request)), *example_updates(svc, len(chat.examples)))

    blocks.load(load, None, [chat.province, chat.welcome, side.conversations, *chat.examples], api_name=False)

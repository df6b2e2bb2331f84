"""The Gradio web UI (Vietnamese): one builder per tab, composed here.

    >>> blocks, services = create_app(Settings())  # doctest: +SKIP
    >>> blocks.launch()  # doctest: +SKIP   (`hoidap serve` mounts it on the FastAPI app instead)
"""
from __future__ import annotations

from rag.settings import Settings, apply_process_env
from rag.store import Store
from ui.web.services import Services

APP_TITLE = "hoidap — Hỏi đáp báo chí"


def create_app(settings: Settings, *, store: Store | None = None, embedder=None,
               services: Services | None = None):
    """The Gradio Blocks UI -> (blocks, services)."""
    apply_process_env()
    import gradio as gr

    from ui.web.chat_tab import build_chat_tab
    from ui.web.sources_tab import build_sources_tab
    from ui.web.upload_tab import build_upload_tab

    svc = services or Services(settings, store=store, embedder=embedder)
    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as blocks:
        gr.Markdown("## hoidap — hỏi đáp trên các bài báo đã nạp\nMỗi ý trong câu trả lời có số [n] "
                    "chỉ tới câu trích dẫn trong bài gốc.")
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"):
                chat = build_chat_tab(svc)
            with gr.Tab("Nguồn dữ liệu", id="sources") as sources_tab:
                sources = build_sources_tab(svc, chat.province, sources_tab, blocks)
            with gr.Tab("Thêm bài viết", id="upload"):
                build_upload_tab(svc, sources, chat.province)
    blocks.queue(default_concurrency_limit=4)
    return blocks, svc

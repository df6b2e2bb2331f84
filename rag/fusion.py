"""How the retrieval channels are fused inside Qdrant: one spec, built from Settings, that the
retriever hands to the store. Every retrieval constant lives in `rag.settings.Settings`; this is
the only place that turns them into a Qdrant query (prefetch per channel → RRF or DBSF →
optional soft boost), so the store runs what it is given and reads no fusion setting itself.

    spec = FusionSpec.from_settings(Settings(), unaccented=False)
    hits = store.search(dense, {"lex": lex_vec, "fold": fold_vec}, fusion=spec, boost=conditions)
    spec.replace(weights={"fold": 1.0})   # e.g. the folded channel alone (diacritic restoration)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from qdrant_client import models

from rag.settings import Settings


@dataclass(frozen=True)
class FusionSpec:
    method: Literal["rrf", "dbsf"]
    rrf_k: int  # RRF rank constant: score = Σ weight / (k + rank)
    prefetch_limit: int  # candidates each channel contributes to the fusion
    weights: dict[str, float]  # channel → weight; a channel missing or at 0 is not queried
    boost: float  # added to the fused score of a chunk matching a boost condition (province/year named)
    candidates: int  # fused chunks returned, before reranking and diversification
    dedup_overlap: float  # share of shared syllables above which two chunks count as one (diversify)

    @classmethod
    def from_settings(cls, settings: Settings, unaccented: bool = False) -> "FusionSpec":
        """The configured fusion; the folded channel counts more for a question typed without
        diacritics."""
        s = settings
        return cls(method=s.fusion, rrf_k=s.rrf_k, prefetch_limit=s.prefetch_limit,
                   weights={"dense": s.weight_dense, "lex": s.weight_lex,
                            "fold": s.weight_fold_unaccented if unaccented else s.weight_fold},
                   boost=s.boost_named, candidates=s.candidates, dedup_overlap=s.dedup_overlap)

    def replace(self, **changes: Any) -> "FusionSpec":
        return dataclasses.replace(self, **changes)

    def prefetches(self, dense: np.ndarray | None, sparse: dict[str, models.SparseVector],
                   flt: models.Filter | None) -> tuple[list[models.Prefetch], list[str]]:
        """One prefetch per channel that has a query and a positive weight; and their names."""
        prefetch, used = [], []
        if dense is not None and self.weights.get("dense", 0) > 0:
            prefetch.append(models.Prefetch(query=np.asarray(dense, dtype=np.float32).tolist(), using="dense",
                                            limit=self.prefetch_limit, filter=flt))
            used.append("dense")
        for ch, vec in sparse.items():
            if vec.indices and self.weights.get(ch, 0) > 0:
                prefetch.append(models.Prefetch(query=vec, using=ch, limit=self.prefetch_limit, filter=flt))
                used.append(ch)
        return prefetch, used

    def fusion_query(self, used: list[str]) -> Any:
        """The fusion stage over the channels `used` (in prefetch order)."""
        if self.method == "dbsf":
            return models.FusionQuery(fusion=models.Fusion.DBSF)
        return models.RrfQuery(rrf=models.Rrf(k=self.rrf_k, weights=[self.weights[c] for c in used]))

    def query(self, dense: np.ndarray | None, sparse: dict[str, models.SparseVector],
              flt: models.Filter | None, boost: list[models.Condition] | None = None) -> dict[str, Any] | None:
        """`query_points` arguments (prefetch=…, query=…) for this fusion, or None when no channel
        has anything to search. `boost` conditions add `self.boost` to a fused score (a soft
        preference, e.g. for the province/year a question names) without filtering anything out."""
        prefetch, used = self.prefetches(dense, sparse, flt)
        if not prefetch:
            return None
        fused = self.fusion_query(used)
        if not boost or self.boost <= 0:
            return {"prefetch": prefetch, "query": fused}
        inner = models.Prefetch(prefetch=prefetch, query=fused, limit=self.prefetch_limit)
        formula = models.FormulaQuery(formula=models.SumExpression(
            sum=["$score"] + [models.MultExpression(mult=[self.boost, c]) for c in boost]))
        return {"prefetch": inner, "query": formula}

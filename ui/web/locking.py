"""A readers-writer lock around the store, and the store that uses it.

An in-process store (Qdrant Edge or local mode) is opened by one process at a time, so the web
process owns it and serialises writes (ingest, delete) against searches; searches run
concurrently with each other.

    >>> lock = RWLock()
    >>> with lock.read():
    ...     with lock.read():  # re-entrant
    ...         pass
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from rag.settings import Settings
from rag.store import Store


class RWLock:
    """Many readers or one writer. Re-entrant for a thread that already holds it (a write may
    read; a read may read again), writer-preferring otherwise so uploads are not starved."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None
        self._wdepth = 0
        self._waiting = 0
        self._local = threading.local()

    @contextmanager
    def read(self) -> Iterator[None]:
        me = threading.get_ident()
        depth = getattr(self._local, "r", 0)
        if depth or self._writer == me:
            self._local.r = depth + 1
            try:
                yield
            finally:
                self._local.r -= 1
            return
        with self._cond:
            while self._writer is not None or self._waiting:
                self._cond.wait()
            self._readers += 1
        self._local.r = 1
        try:
            yield
        finally:
            self._local.r = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._wdepth += 1
            else:
                if getattr(self._local, "r", 0):
                    raise RuntimeError("cannot upgrade a read lock to a write lock")
                self._waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
                self._writer, self._wdepth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._wdepth -= 1
                if not self._wdepth:
                    self._writer = None
                    self._cond.notify_all()


_READS = ("exists", "info", "pending", "get_document", "list_documents", "count_chunks", "facet_values",
          "search", "check_embedder")
_WRITES = ("ensure", "write_documents", "repair", "delete_documents", "optimize", "close")


class GuardedStore(Store):
    """A Store whose reads share and whose writes exclude (Qdrant local mode's in-memory
    collections are not safe to search while points are being upserted or deleted; Edge gets the
    same lock: the store's in-flight bookkeeping assumes one writer at a time)."""

    def __init__(self, settings: Settings, collection: str | None = None):
        self.rw = RWLock()
        super().__init__(settings, collection)


def _guard(fn: Callable, kind: str) -> Callable:
    def wrapped(self, *a, **kw):
        with getattr(self.rw, kind)():
            return fn(self, *a, **kw)

    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


for _n in _READS:
    setattr(GuardedStore, _n, _guard(getattr(Store, _n), "read"))
for _n in _WRITES:
    setattr(GuardedStore, _n, _guard(getattr(Store, _n), "write"))

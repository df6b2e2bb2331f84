"""What every face of the web app calls: a thin layer over rag/ (answers) and ingest/ (uploads).

The Gradio tabs and the HTTP routes hold no logic of their own: they parse input, call a
`Services` method and render or serialise what it returns. This process owns the store (an
in-process Qdrant is opened by one process at a time), so uploads are ingested here, never by a
second process. Embedding a batch of an upload holds only the embedder lock, so questions keep
being answered (a little slower) while an upload is ingested.

    >>> svc = Services(Settings(data_dir=Path(".hoidap")))  # doctest: +SKIP
    >>> svc.ask("Tỉnh nào bố trí Trưởng ban Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?").answer  # doctest: +SKIP
    >>> for part in svc.ask_stream("…", mode="llm"):  # str draft chunks, then the verified Answer  # doctest: +SKIP
    ...     print(part)
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.contract import Answer
from rag.settings import Settings
from rag.store import Filters, Store
from ui.web.accounts import Accounts
from ui.web.archive import Archive
from ui.web.conversations import DB_FILE, ConversationStore, Database
from ui.web.feedback import FEEDBACK_FILE, FeedbackLog
from ui.web.locking import GuardedStore
from ui.web.streaming import stream_answer
from ui.web.uploads import FileResult, UploadError, safe_filename, save_upload


def _recites_instructions(draft: str) -> bool:
    from rag.llm import leaks_prompt  # the check the final answer gets too

    return leaks_prompt(draft)


class Services:
    def __init__(self, settings: Settings, store: Store | None = None, embedder=None):
        from rag.assistant import Assistant
        from rag.embedders import get_embedder

        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.store = store or GuardedStore(settings)
        self.assistant = Assistant(settings, store=self.store, embedder=self.embedder)
        self._ingestor = None
        self._ingest_lock = threading.Lock()  # one ingest (upload) at a time
        self.uploads_dir = Path(settings.data_dir) / "uploads"
        self.feedback = FeedbackLog(Path(settings.data_dir) / FEEDBACK_FILE)
        self.db = Database(Path(settings.data_dir) / DB_FILE)
        self.conversations = ConversationStore(self.db)
        self.accounts = Accounts(self.db)
        self.archive = Archive(self.store)

    # -------------------------------------------------------------- answers
    def ask(self, question: Any, history: list[dict] | None = None, filters: Filters | None = None,
            mode: str | None = None, top_k: int | None = None) -> Answer:
        return self.assistant.ask(question, history=history or [], filters=filters, mode=mode, top_k=top_k)

    def ask_stream(self, question: Any, history: list[dict] | None = None, filters: Filters | None = None,
                   mode: str | None = None, top_k: int | None = None) -> Iterator[Any]:
        """The LLM's draft in chunks (str) as it is generated, then the verified Answer; WITHHELD
        instead of the rest of a draft that recites the instructions (see streaming.py)."""
        return stream_answer(self.assistant.ask, hold=_recites_instructions, question=question,
                             history=history or [], filters=filters, mode=mode, top_k=top_k)

    def ask_in(self, user: str, conversation_id: str, question: Any, filters: Filters | None = None,
               mode: str | None = None, top_k: int | None = None) -> tuple[Answer, str, str]:
        """Ask within a stored conversation ("new" starts one): its turns are the history, the
        answer is stored as the next turn -> (answer, conversation id, turn id). KeyError when
        the conversation is not this user's."""
        if conversation_id != "new" and not self.conversations.exists(user, conversation_id):
            raise KeyError(conversation_id)
        history = [] if conversation_id == "new" else self.conversations.history(user, conversation_id)
        answer = self.ask(question, history=history, filters=filters, mode=mode, top_k=top_k)
        cid, tid = self.save_turn(user, None if conversation_id == "new" else conversation_id, answer, filters)
        return answer, cid, tid

    def save_turn(self, user: str, conversation_id: str | None, answer: Answer,
                  filters: Filters | dict | None = None) -> tuple[str, str]:
        """Store an answered question as the next turn (a new conversation when id is None)."""
        cid = conversation_id or self.conversations.create(user, answer.question)
        flt = filters_dict(filters) if isinstance(filters, Filters) else filters
        return cid, self.conversations.add_turn(user, cid, answer, filters=flt)

    # -------------------------------------------------------------- the archive
    def documents(self) -> list[dict]:
        return self.store.list_documents()

    def search_documents(self, query: str) -> list[dict]:
        """Articles whose title, province, date or text holds the query (accents optional)."""
        return self.archive.search(query)

    def document(self, doc_id: str) -> dict | None:
        return self.store.get_document(doc_id) if doc_id else None

    def provinces(self) -> list[str]:
        return self.store.facet_values("province")

    def delete(self, doc_id: str) -> bool:
        if not doc_id or not self.store.get_document(doc_id):
            return False
        with self._ingest_lock:
            try:
                return self.store.delete_documents([doc_id]) > 0
            finally:
                self.archive.changed()

    # -------------------------------------------------------------- uploads
    @property
    def ingestor(self):
        if self._ingestor is None:
            from ingest.pipeline import Ingestor

            self._ingestor = Ingestor(self.settings, store=self.store, embedder=self.embedder)
        return self._ingestor

    def ingest_paths(self, paths: list[str | Path], progress: bool = False,
                     on_item: Callable[[str, str, str], None] | None = None):
        with self._ingest_lock:
            try:
                return self.ingestor.run(list(paths), progress=progress, on_item=on_item)
            finally:
                self.archive.changed()

    def save_upload(self, src: str | Path, name: str | None = None) -> Path:
        return save_upload(src, name, self.uploads_dir, self.settings.max_file_mb)

    def ingest_uploads(self, files: list[tuple[str | Path, str | None]],
                       progress: Callable[[int, int, str], None] | None = None) -> tuple[list[FileResult], Any]:
        """Save and ingest uploaded files. One bad file never stops the others; every file (and
        every JSONL line that fails) gets a row."""
        from ingest.pipeline import count_items

        results: list[FileResult] = []
        saved: list[Path] = []
        for src, name in files:
            shown = safe_filename(name or Path(str(src)).name)
            try:
                saved.append(self.save_upload(src, name))
            except UploadError as e:
                results.append(FileResult(shown, "failed", str(e)))
            except Exception as e:  # never let one upload break the app
                results.append(FileResult(shown, "failed", f"{type(e).__name__}: {e}"))
        if not saved:
            return results, None
        total, done = max(1, count_items(saved)), [0]

        def on_item(source: str, status: str, detail: str) -> None:
            path, _, line = str(source).partition("#")
            label = Path(path).name + (f"#{line}" if line else "")
            results.append(FileResult(label, status, detail))
            done[0] += 1
            if progress:
                progress(done[0], total, label)

        report = None
        try:
            report = self.ingest_paths(saved, on_item=on_item)
        except Exception as e:
            results.append(FileResult(", ".join(p.name for p in saved), "failed", f"{type(e).__name__}: {e}"))
        return results, report

    # -------------------------------------------------------------- feedback
    @property
    def feedback_path(self) -> Path:
        return self.feedback.path

    def record_feedback(self, turn: dict, verdict: str, comment: str = "") -> dict:
        """One feedback line per answer (an eval-suite case plus the verdict): see feedback.py."""
        return self.feedback.record(turn, verdict, comment)

    def close(self) -> None:
        self.store.close()
        self.db.close()


def filters_dict(f: Filters | None) -> dict | None:
    """Filters as stored with a turn and its feedback (only the parts that are set)."""
    if f is None:
        return None
    return {k: v for k, v in (("province", f.province), ("since", f.since), ("until", f.until),
                              ("source_name", f.source_name)) if v}

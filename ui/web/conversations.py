"""Conversations kept server-side in SQLite (<data_dir>/web.sqlite3), each owned by one user.

Every turn keeps its whole answer (`Answer.to_json()`), so an earlier answer's citations come
back with it; the history handed to `Assistant.ask` is question + answer text per turn, as the
chat has always passed it. A conversation is found only through its owner: another user's id
reads as "not found".

    >>> db = ConversationStore(Path("/tmp/hoidap-doc/web.sqlite3"))  # doctest: +SKIP
    >>> cid = db.create("lan", "Sơn La tinh giản bao nhiêu biên chế?")  # doctest: +SKIP
    >>> db.add_turn("lan", cid, answer)  # doctest: +SKIP
    >>> db.history("lan", cid)  # [{"role": "user", ...}, {"role": "assistant", ...}]  # doctest: +SKIP
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rag.contract import Answer

DB_FILE = "web.sqlite3"
TITLE_CHARS = 80

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, token_hash TEXT UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, question TEXT NOT NULL, answer_json TEXT NOT NULL, filters_json TEXT, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, n);
"""


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def title_from(question: str) -> str:
    """A conversation's title: its first question, on one line, cut at a word."""
    t = " ".join((question or "").split())
    if len(t) <= TITLE_CHARS:
        return t or "Cuộc trò chuyện"
    cut = t[:TITLE_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


class Database:
    """One SQLite file for the web app's own records (users, conversations, turns), opened on
    first use (a server nobody has asked anything yet writes no file)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:  # with self._lock held
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        return self._db

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn().execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class ConversationStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, owner: str, first_question: str = "") -> str:
        cid = uuid.uuid4().hex[:16]
        t = now_iso()
        with self.db.tx() as c:
            c.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", (cid, owner, title_from(first_question), t, t))
        return cid

    def list(self, owner: str) -> list[dict]:
        rows = self.db.query(
            "SELECT c.id, c.title, c.created, c.updated, COUNT(t.id) AS turns FROM conversations c "
            "LEFT JOIN turns t ON t.conversation_id = c.id WHERE c.owner = ? GROUP BY c.id "
            "ORDER BY c.updated DESC, c.created DESC", (owner,))
        return [dict(r) for r in rows]

    def exists(self, owner: str, cid: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner)))

    def get(self, owner: str, cid: str) -> dict | None:
        """The conversation with its turns (each with its whole answer), or None if not the owner's."""
        head = self.db.query("SELECT id, title, created, updated FROM conversations WHERE id = ? AND owner = ?",
                             (cid, owner))
        if not head:
            return None
        turns = self.db.query("SELECT id, n, question, answer_json, filters_json, created FROM turns "
                              "WHERE conversation_id = ? ORDER BY n", (cid,))
        out = dict(head[0])
        out["turns"] = [{"id": r["id"], "n": r["n"], "question": r["question"], "created": r["created"],
                         "answer": json.loads(r["answer_json"]),
                         "filters": json.loads(r["filters_json"]) if r["filters_json"] else None} for r in turns]
        return out

    def history(self, owner: str, cid: str) -> list[dict]:
        """What Assistant.ask takes as history: question and answer text of every turn."""
        conv = self.get(owner, cid)
        h: list[dict] = []
        for t in (conv or {}).get("turns", []):
            h += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
        return h

    def add_turn(self, owner: str, cid: str, answer: Answer, question: str | None = None,
                 filters: dict | None = None) -> str:
        """Append one answered question; returns the turn's id (feedback refers to it)."""
        tid = uuid.uuid4().hex[:16]
        t = now_iso()
        with self.db.tx() as c:
            if not c.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner)).fetchone():
                raise KeyError(cid)
            n = c.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation_id = ?", (cid,)).fetchone()[0]
            c.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (tid, cid, n, question or answer.question, answer.to_json(),
                       json.dumps(filters, ensure_ascii=False) if filters else None, t))
            c.execute("UPDATE conversations SET updated = ? WHERE id = ?", (t, cid))
        return tid

    def rename(self, owner: str, cid: str, title: str) -> bool:
        title = " ".join((title or "").split())[:200]
        if not title:
            return False
        with self.db.tx() as c:
            return c.execute("UPDATE conversations SET title = ? WHERE id = ? AND owner = ?",
                             (title, cid, owner)).rowcount > 0

    def delete(self, owner: str, cid: str) -> bool:
        with self.db.tx() as c:
            return c.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (cid, owner)).rowcount > 0

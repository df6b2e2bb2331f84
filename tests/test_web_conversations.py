"""Conversations kept by the server, over HTTP: per-user isolation (accounts made with the real
`hoidap user add`), follow-ups through /api/ask's conversation_id, survival across a server
restart, rename/delete, export to Markdown and Word (footnotes), and the OpenAI endpoint's
model check and token usage."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import httpx
import pytest

from tests.conftest import ROOT, copy_sample_store, make_settings
from tests.test_web_api import SAMPLE_QUESTION

FOLLOW_UP = "Ở đó tinh giản được bao nhiêu biên chế?"


def _add_user(data_dir, name: str, password: str) -> str:
    env = dict(os.environ, HOIDAP_DATA_DIR=str(data_dir))
    r = subprocess.run([sys.executable, "-m", "ui.cli", "user", "add", name, "--password", password],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().rsplit(" ", 1)[-1]


@pytest.fixture(scope="module")
def data_dir(sample_store, tmp_path_factory):
    return copy_sample_store(sample_store, tmp_path_factory.mktemp("web_conv"))


@pytest.fixture(scope="module")
def tokens(data_dir):
    return {"lan": _add_user(data_dir, "lan", "lan-password-1"), "minh": _add_user(data_dir, "minh", "minh-password")}


def _start(data_dir, embedder):
    from ui.web.server import start

    return start(make_settings(data_dir), "127.0.0.1", 0, embedder=embedder)


def test_conversations_are_private_and_survive_a_restart(data_dir, tokens, embedder):
    lan = {"Authorization": f"Bearer {tokens['lan']}"}
    minh = {"Authorization": f"Bearer {tokens['minh']}"}
    web = _start(data_dir, embedder)
    try:
        with httpx.Client(base_url=web.url, timeout=120) as c:
            assert c.get("/api/conversations").status_code == 401  # accounts exist: a login is needed
            r = c.post("/api/ask", json={"question": SAMPLE_QUESTION, "conversation_id": "new"}, headers=lan)
            assert r.status_code == 200, r.text
            first = r.json()
            cid = first["conversation_id"]
            assert r.headers["X-Conversation-Id"] == cid and first["citations"] and first["turn_id"]
            # a follow-up continues the stored conversation: its turns are the history
            r = c.post("/api/ask", json={"question": FOLLOW_UP, "conversation_id": cid}, headers=lan)
            assert r.status_code == 200 and "12 biên chế" in r.json()["answer"], r.text
            # the other user sees nothing of it, and cannot read, continue, rename or delete it
            assert c.get("/api/conversations", headers=minh).json() == []
            assert c.get(f"/api/conversations/{cid}", headers=minh).status_code == 404
            assert c.post("/api/ask", json={"question": FOLLOW_UP, "conversation_id": cid},
                          headers=minh).status_code == 404
            assert c.patch(f"/api/conversations/{cid}", json={"title": "x"}, headers=minh).status_code == 404
            assert c.delete(f"/api/conversations/{cid}", headers=minh).status_code == 404
            # Basic name:password is the same account as its token
            basic = c.get("/api/conversations", auth=("lan", "lan-password-1"))  # FastAPI decodes Basic as ASCII
            assert [x["id"] for x in basic.json()] == [cid]
            assert c.get("/api/conversations", auth=("lan", "wrong password")).status_code == 401
    finally:
        web.stop()

    web = _start(data_dir, embedder)  # a new server process state over the same data folder
    try:
        with httpx.Client(base_url=web.url, timeout=120, headers=lan) as c:
            listed = c.get("/api/conversations").json()
            assert [(x["id"], x["title"], x["turns"]) for x in listed] == [(cid, SAMPLE_QUESTION, 2)]
            conv = c.get(f"/api/conversations/{cid}").json()
            assert [t["question"] for t in conv["turns"]] == [SAMPLE_QUESTION, FOLLOW_UP]
            assert conv["turns"][0]["answer"]["citations"] == first["citations"]  # every answer keeps its sources
            assert c.patch(f"/api/conversations/{cid}", json={"title": "Trung tâm chính trị"}).json()["title"] \
                == "Trung tâm chính trị"
            md = c.get(f"/api/conversations/{cid}/export", params={"format": "md"})
            assert md.status_code == 200 and md.text.startswith("# Trung tâm chính trị")
            assert "[^1]" in md.text and "\n[^1]: “" in md.text and "10/08/2022" in md.text
            docx = c.get(f"/api/conversations/{cid}/export", params={"format": "docx"})
            assert docx.status_code == 200
            with zipfile.ZipFile(io.BytesIO(docx.content)) as z:
                body, notes = z.read("word/document.xml").decode(), z.read("word/footnotes.xml").decode()
            assert body.count("<w:footnoteReference") == notes.count("<w:footnoteRef/>") >= 2
            assert first["citations"][0]["quote"][:40] in notes and "baosonla.org.vn" in notes
            assert c.delete(f"/api/conversations/{cid}").json() == {"deleted": True}
            assert c.get("/api/conversations").json() == []
    finally:
        web.stop()


def test_ask_without_a_conversation_stores_nothing(sample_store, embedder, tmp_path_factory):
    from tests.test_web_api import start_web

    web = start_web(sample_store, embedder, tmp_path_factory, name="web_noconv")
    try:
        with httpx.Client(base_url=web.url, timeout=120) as c:
            r = c.post("/api/ask", json={"question": SAMPLE_QUESTION})
            assert r.status_code == 200 and "conversation_id" not in r.json()
            assert "X-Conversation-Id" not in r.headers and c.get("/api/conversations").json() == []
            both = {"question": FOLLOW_UP, "conversation_id": "new", "history": [{"role": "user", "content": "x"}]}
            assert c.post("/api/ask", json=both).status_code == 400
            assert c.post("/api/ask", json={"question": FOLLOW_UP, "conversation_id": "nope"}).status_code == 404
            # the OpenAI-compatible endpoint: unknown model = 404 in OpenAI's format; usage counted
            r = c.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": [
                {"role": "user", "content": SAMPLE_QUESTION}]})
            assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
            assert r.json()["error"]["type"] == "invalid_request_error"
            r = c.post("/v1/chat/completions", json={"model": "hoidap", "messages": [
                {"role": "user", "content": SAMPLE_QUESTION}]})
            usage = r.json()["usage"]
            from rag.tokens import count_tiktoken

            assert usage["prompt_tokens"] == count_tiktoken(SAMPLE_QUESTION)
            assert usage["completion_tokens"] == count_tiktoken(r.json()["choices"][0]["message"]["content"])
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    finally:
        web.stop()


def test_passwords_are_hashed_with_scrypt(tmp_path):
    from ui.web.accounts import AccountError, Accounts
    from ui.web.conversations import Database

    db = Database(tmp_path / "web.sqlite3")
    acc = Accounts(db)
    token = acc.add("lan", "mật khẩu của Lan")
    stored = db.query("SELECT password, token_hash FROM users")[0]
    assert stored["password"].startswith("scrypt$") and "mật khẩu" not in stored["password"]
    assert token not in stored["token_hash"]
    assert acc.check_password("lan", "mật khẩu của Lan") and not acc.check_password("lan", "mật khẩu của lan")
    assert acc.user_for_token(token) == "lan" and acc.user_for_token(token + "x") is None
    with pytest.raises(AccountError):
        acc.add("lan", "another password")
    with pytest.raises(AccountError):
        acc.add("bad name!", "long enough")
    db.close()


def test_sources_search_folds_accents_and_matches_whole_words(sample_store):
    from ui.web.archive import Archive, overview_text

    archive = Archive(sample_store[1])
    ids = lambda q: [d["doc_id"][:3] for d in archive.search(q)]  # noqa: E731
    assert ids("son la") == ids("Sơn La") == ["000"]  # not Lạng Sơn + "La Thị Nhung" across fields
    assert ids("10/08/2022") == ids("08/2022") == ["002"] and ids("2023") == ["001"]
    assert ids("Huy Thành") == ["000"]  # the author
    assert "000" in ids("trung tam chinh tri")  # the text
    assert ids("khong co bai nao nhu the") == [] and len(ids("")) == 5
    text = overview_text(archive.overview())
    assert "**5** bài viết" in text and "17/08/2020" in text and "09/12/2023" in text and "Sơn La" in text
    assert all(q.startswith("Bài «") for q in archive.examples())

"""The web app: a Gradio UI (Vietnamese) and an HTTP API on one server, in one process.

    create_app(settings) -> (blocks, services)      the Gradio Blocks UI
    create_server_app(settings) -> (fastapi, blocks, services)   UI mounted at "/" + the HTTP API
    start(settings, host, port) -> RunningServer    uvicorn in a background thread (tests, embedding)
    launch(settings, host, port)                    blocking; what `hoidap serve` runs

An in-process store (Qdrant Edge or local mode) is opened by one process at a time, so this process owns the Store, Assistant and
Ingestor (uploads are ingested here, never by a second process). Writes (ingest, delete) are
serialised and exclusive of searches through a readers-writer lock around the store; searches
run concurrently with each other. Embedding a batch of an upload holds only the embedder lock,
so questions keep being answered (a little slower) while an upload is ingested.

HTTP API (JSON; when HOIDAP_ACCESS_TOKEN is set every /api and /v1 route needs
`Authorization: Bearer <token>`):
    POST /api/ask                {question, history?, filters?{province,since,until,source_name},
                                  mode?, top_k?} -> the Assistant.ask dict; 400 {"error": ...}
    GET  /api/sources            -> [document records] (Store.list_documents)
    POST /v1/chat/completions    OpenAI-compatible (stream or not); extra top-level "citations", "short_answer"
    GET  /v1/models
The UI asks for a login when the token is set: user name "hoidap", password = the token.

Everything article-derived that reaches the browser as HTML is escaped here (html.escape, plus
the characters of Gradio's HTML templating), and links are only ever http(s).
"""

import datetime as dt
import html
import json
import os
import re
import secrets
import shutil
import threading
import time
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlparse

from rag.contract import TOP_K_MAX, TOP_K_MIN, Answer, check_mode, check_top_k
from rag.settings import Settings, apply_process_env
from rag.store import Filters, Store, is_iso_date

APP_TITLE = "hoidap — Hỏi đáp báo chí"
UI_USER = "hoidap"
MODEL_ID = "hoidap"
UPLOAD_EXTS = (".txt", ".md", ".html", ".htm", ".jsonl")
FEEDBACK_FILE = "feedback.jsonl"
SUITE_FIELDS = ("id", "question", "answers", "must_contain", "gold_sources", "unanswerable", "history", "type")
VERDICTS = {"Like": "like", "Dislike": "dislike", "Nguồn trích dẫn sai": "wrong_citation"}
WRONG_CITATION = "Nguồn trích dẫn sai"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MARKER = re.compile(r"\s*\[\d+\]")


# =============================================================================================
# escaping and formatting (pure functions; tested directly)

def esc(text: Any) -> str:
    """HTML-escape text for element content AND attributes; also neutralise the characters of
    Gradio's HTML templating (`${…}` JS template strings, `{{…}}` Handlebars) so article text is
    never interpreted. Entities render (and getAttribute() decodes) to the original text."""
    s = html.escape("" if text is None else str(text), quote=True)
    return (s.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")
            .replace("`", "&#96;"))


def esc_md(text: str) -> str:
    """Text for a Markdown message (chat bubble): no raw HTML tag can form ("<" escaped; the
    chatbot's own sanitizer stays on as a second layer) and article text cannot make Markdown
    links or images ("](" broken up); bold, lists and "&" stay readable."""
    return (text or "").replace("<", "&lt;").replace("](", "]\\(")


def safe_url(url: Any) -> str | None:
    """Only absolute http(s) URLs become links (no javascript:, data:, relative…)."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    try:
        p = urlparse(u)
    except ValueError:
        return None
    if p.scheme.lower() not in ("http", "https") or not p.netloc or any(ch in u for ch in "\"'<> \n\r\t"):
        return None
    return u


def vn_date(published: Any) -> str:
    """ISO date/datetime -> dd/mm/yyyy ('' when unknown)."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", str(published or ""))
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else ""


def reference(c: dict) -> str:
    """Vietnamese reference style: `Tiêu đề — Nguồn, dd/mm/yyyy, URL` (missing parts left out)."""
    title = (c.get("title") or c.get("doc_id") or "").strip()
    rest = ", ".join(x for x in (c.get("source_name"), vn_date(c.get("published")), safe_url(c.get("url"))) if x)
    return f"{title} — {rest}" if rest else title


def answer_with_references(res: dict) -> str:
    """The answer followed by a "Nguồn:" list: what the copy-all button copies and what the
    OpenAI-compatible endpoint returns as the message content."""
    cites = res.get("citations") or []
    if not cites:
        return res.get("answer", "")
    refs = "\n".join(f"[{c['n']}] {reference(c)}" for c in cites)
    return f"{res.get('answer', '')}\n\nNguồn:\n{refs}"


def _passage_html(passage: str, quote: str, context: int = 320) -> str:
    """The cited passage with the supporting sentence in <mark>, trimmed around it."""
    passage = passage or ""
    i = passage.find(quote) if quote else -1
    if i < 0:
        body = esc(passage[: 2 * context]) + ("…" if len(passage) > 2 * context else "")
        return body + (f"<br><mark>{esc(quote)}</mark>" if quote else "")
    a, b = max(0, i - context), min(len(passage), i + len(quote) + context)
    if a > 0:  # cut at word boundaries
        sp = passage.find(" ", a, i)
        a = sp + 1 if sp >= 0 else a
    if b < len(passage):
        sp = passage.rfind(" ", i + len(quote), b)
        b = sp if sp >= 0 else b
    pre = ("…" if a > 0 else "") + passage[a:i]
    post = passage[i + len(quote):b] + ("…" if b < len(passage) else "")
    return f"{esc(pre)}<mark>{esc(quote)}</mark>{esc(post)}"


def render_citations(res: dict | None, turn: int = 0) -> str:
    """The citations panel of one answer (`turn`: its number in the conversation, as data-hd-turn)."""
    if not res:
        return ('<div class="hd-cites hd-empty" data-hd-turn="0">Nguồn trích dẫn của câu trả lời gần nhất '
                'sẽ hiện ở đây.</div>')
    cites = res.get("citations") or []
    head = [f'<div class="hd-cites" data-hd-turn="{int(turn)}">', '<div class="hd-cites-head"><b>Nguồn trích dẫn</b>']
    head.append(f'<button type="button" class="hd-copy hd-copy-all" data-hd-copy="{esc(answer_with_references(res))}">'
                f'Sao chép câu trả lời kèm nguồn</button></div>')
    if res.get("notice"):
        head.append(f'<div class="hd-notice">{esc(res["notice"])}</div>')
    if not cites:
        head.append('<div class="hd-empty">Câu trả lời này không có trích dẫn.</div></div>')
        return "".join(head)
    out = head
    for c in cites:
        n = int(c.get("n", 0))
        title = c.get("title") or c.get("doc_id") or ""
        meta = [esc(x) for x in (c.get("province"), vn_date(c.get("published")), c.get("source_name")) if x]
        url = safe_url(c.get("url"))
        if url:
            meta.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">Mở bài gốc ↗</a>')
        out.append(
            f'<div class="hd-cite" id="hd-cite-{n}" data-doc-id="{esc(c.get("doc_id"))}">'
            f'<div class="hd-cite-title"><span class="hd-n">[{n}]</span> {esc(title)}</div>'
            f'<div class="hd-cite-meta">{" · ".join(meta) or esc(c.get("doc_id"))}</div>'
            f'<blockquote class="hd-passage">{_passage_html(c.get("passage") or "", c.get("quote") or "")}</blockquote>'
            f'<button type="button" class="hd-copy" data-hd-copy="{esc(reference(c))}">Sao chép trích dẫn [{n}]</button>'
            f'</div>')
    out.append("</div>")
    return "".join(out)


def render_article(doc: dict | None) -> str:
    if not doc:
        return '<div class="hd-article hd-empty">Chọn một bài viết trong bảng để xem nội dung đã làm sạch.</div>'
    meta = [esc(x) for x in (doc.get("province"), vn_date(doc.get("published")), doc.get("source_name"),
                             doc.get("author")) if x]
    url = safe_url(doc.get("url"))
    if url:
        meta.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">Mở bài gốc ↗</a>')
    paras = [p for p in (doc.get("text") or "").split("\n") if p.strip()]
    body = "".join(f"<p>{esc(p)}</p>" for p in paras)
    return (f'<div class="hd-article" data-doc-id="{esc(doc.get("doc_id"))}">'
            f'<h3>{esc(doc.get("title") or doc.get("doc_id"))}</h3>'
            f'<div class="hd-cite-meta">{" · ".join(meta)} · mã bài: <code>{esc(doc.get("doc_id"))}</code> · '
            f'{int(doc.get("n_chunks") or 0)} đoạn</div>{body}</div>')


def safe_filename(name: Any, default: str = "tai-len.txt") -> str:
    """A file name safe to create inside uploads/: directories, `..`, control and reserved
    characters removed; Vietnamese letters kept (NFC); at most 150 UTF-8 bytes."""
    s = unicodedata.normalize("NFC", str(name or ""))
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")  # controls, format chars, NUL
    s = re.sub(r'[<>:"|?*]', "_", s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"\s+", " ", s).strip(" .")
    if not s:
        return default
    stem, dot, ext = s.rpartition(".")
    if not dot:
        stem, ext = s, ""
    if ext.lower() == "gz" and stem.lower().endswith(".jsonl"):
        stem, ext = stem[:-6], "jsonl.gz"
    while len((stem + "." + ext).encode("utf-8")) > 150 and stem:
        stem = stem[:-1]
    stem = stem.strip(" .") or "tai-len"
    return f"{stem}.{ext}" if ext else stem


def _strip_markers(answer: str) -> str:
    return _MARKER.sub("", answer or "").strip()


from rag.contract import parse_filters as build_filters  # noqa: E402  (one validation for every face)
from rag.contract import parse_history as validate_history  # noqa: E402


# =============================================================================================
# concurrency: a readers-writer lock around the store

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


# =============================================================================================
# services: what both the UI and the API call

class UploadError(ValueError):
    """An upload refused before ingestion (the message is shown in the result table)."""


@dataclass
class FileResult:
    name: str
    status: str  # "stored" | "unchanged" | "failed" | "duplicate"
    detail: str


STATUS_VI = {"stored": "đã lưu", "unchanged": "không đổi (đã có)", "failed": "lỗi",
             "duplicate": "trùng lặp (bỏ qua)"}


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
        self._feedback_lock = threading.Lock()
        self.uploads_dir = Path(settings.data_dir) / "uploads"
        self.feedback_path = Path(settings.data_dir) / FEEDBACK_FILE

    # -------------------------------------------------------------- reads
    @property
    def llm_available(self) -> bool:
        return self.settings.llm_configured

    def ask(self, question: Any, history: list[dict] | None = None, filters: Filters | None = None,
            mode: str | None = None, top_k: int | None = None) -> Answer:
        return self.assistant.ask(question, history=history or [], filters=filters, mode=mode, top_k=top_k)

    def documents(self) -> list[dict]:
        return self.store.list_documents()

    def document(self, doc_id: str) -> dict | None:
        return self.store.get_document(doc_id) if doc_id else None

    def provinces(self) -> list[str]:
        return self.store.facet_values("province")

    # -------------------------------------------------------------- writes
    def delete(self, doc_id: str) -> bool:
        if not doc_id or not self.store.get_document(doc_id):
            return False
        with self._ingest_lock:
            return self.store.delete_documents([doc_id]) > 0

    @property
    def ingestor(self):
        if self._ingestor is None:
            from ingest.pipeline import Ingestor

            self._ingestor = Ingestor(self.settings, store=self.store, embedder=self.embedder)
        return self._ingestor

    def ingest_paths(self, paths: list[str | Path], progress: bool = False,
                     on_item: Callable[[str, str, str], None] | None = None):
        with self._ingest_lock:
            return self.ingestor.run(list(paths), progress=progress, on_item=on_item)

    def save_upload(self, src: str | Path, name: str | None = None) -> Path:
        """Copy an uploaded temp file to uploads/<sanitised name>; refuse type and size problems."""
        src = Path(src)
        fname = safe_filename(name or src.name)
        low = fname.lower()
        if not low.endswith(UPLOAD_EXTS):
            raise UploadError(f"định dạng không hỗ trợ (chỉ nhận {', '.join(UPLOAD_EXTS)})")
        try:
            size = src.stat().st_size
        except OSError as e:
            raise UploadError(f"không đọc được tệp tải lên: {e.strerror or e}") from None
        limit = int(self.settings.max_file_mb * 1024 * 1024)
        if size > limit:
            raise UploadError(f"tệp {size / 1048576:.1f} MB, vượt giới hạn {self.settings.max_file_mb:g} MB "
                              f"(HOIDAP_MAX_FILE_MB)")
        root = self.uploads_dir.resolve()
        root.mkdir(parents=True, exist_ok=True)
        dest = (root / fname).resolve()
        if dest.parent != root:  # belt and braces: safe_filename already removed separators
            raise UploadError("tên tệp không hợp lệ")
        tmp = root / f".{fname}.{uuid.uuid4().hex[:8]}.part"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
        return dest

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
        report = None
        if saved:
            total = max(1, count_items(saved))
            done = [0]

            def on_item(source: str, status: str, detail: str) -> None:
                path, _, line = str(source).partition("#")
                label = Path(path).name + (f"#{line}" if line else "")
                results.append(FileResult(label, status, detail))
                done[0] += 1
                if progress:
                    progress(done[0], total, label)

            try:
                report = self.ingest_paths(saved, on_item=on_item)
            except Exception as e:
                results.append(FileResult(", ".join(p.name for p in saved), "failed", f"{type(e).__name__}: {e}"))
        return results, report

    # -------------------------------------------------------------- feedback
    def record_feedback(self, turn: dict, verdict: str) -> dict:
        """Append one line to <data_dir>/feedback.jsonl: an eval-suite case (id, question, history,
        type, and gold fields where the verdict supports them) plus a "feedback" object with the
        answer, citations, verdict and time. `feedback_cases()` strips it back to the suite format."""
        now = dt.datetime.now().astimezone()
        rec: dict[str, Any] = {
            "id": f"fb-{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}",
            "question": turn["question"],
            "history": turn.get("history") or [],
            "type": f"feedback-{verdict.replace('_', '-')}",
        }
        cites = turn.get("citations") or []
        if verdict == "like":
            if turn.get("refused"):
                rec["unanswerable"] = True
            else:
                plain = _strip_markers(turn.get("answer", ""))
                if plain:
                    rec["answers"] = [plain]
                gold = list(dict.fromkeys(c["doc_id"] for c in cites if c.get("doc_id")))
                if gold:
                    rec["gold_sources"] = gold
        rec["feedback"] = {"verdict": verdict, "answer": turn.get("answer", ""), "refused": bool(turn.get("refused")),
                           "citations": cites, "filters": turn.get("filters"), "mode": turn.get("mode"),
                           "time": now.isoformat(timespec="seconds")}
        line = json.dumps(rec, ensure_ascii=False)
        with self._feedback_lock:
            self.feedback_path.parent.mkdir(parents=True, exist_ok=True)
            with self.feedback_path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return rec

    def close(self) -> None:
        self.store.close()


def feedback_cases(path: str | Path) -> list[dict]:
    """The feedback file as eval-suite cases (only the suite's fields), e.g. to append to a suite."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out.append({k: rec[k] for k in SUITE_FIELDS if k in rec})
    return out


# =============================================================================================
# Gradio UI

CSS = """
.hd-cites { font-size: 0.92rem; }
.hd-cites-head { display: flex; align-items: center; justify-content: space-between; gap: .5rem; margin-bottom: .4rem; }
.hd-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .55rem .7rem; margin: .45rem 0; }
.hd-cite-title { font-weight: 600; }
.hd-n { color: var(--color-accent); font-weight: 700; }
.hd-cite-meta { color: var(--body-text-color-subdued); font-size: .85rem; margin: .15rem 0 .35rem; }
.hd-passage { margin: .2rem 0 .45rem; padding: .3rem .6rem; border-left: 3px solid var(--color-accent-soft);
              white-space: pre-wrap; line-height: 1.45; }
.hd-passage mark { background: #fde68a; color: inherit; padding: 0 .1rem; border-radius: 2px; }
.hd-copy { font-size: .8rem; padding: .2rem .55rem; border: 1px solid var(--border-color-primary);
           border-radius: 6px; background: var(--button-secondary-background-fill); cursor: pointer; }
.hd-copy:hover { background: var(--button-secondary-background-fill-hover); }
.hd-empty { color: var(--body-text-color-subdued); }
.hd-notice { color: var(--body-text-color-subdued); font-style: italic; margin: .3rem 0; }
.hd-article h3 { margin-top: 0; }
#hd-sources, #hd-sources *, #hd-results, #hd-results * { font-family: var(--font); }
.hd-article p { margin: .45rem 0; line-height: 1.5; }
"""

# Copy buttons: event delegation on the citations panel; navigator.clipboard with a textarea
# fallback (non-secure contexts, denied permission). The text comes from data-hd-copy.
COPY_JS = r"""
function hdFallbackCopy(text) {
  const ta = document.createElement('textarea');
  ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
  document.body.appendChild(ta); ta.select();
  let ok = false; try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  document.body.removeChild(ta); return ok;
}
element.addEventListener('click', function (ev) {
  const btn = ev.target && ev.target.closest ? ev.target.closest('[data-hd-copy]') : null;
  if (!btn) return;
  ev.preventDefault(); ev.stopPropagation();
  const text = btn.getAttribute('data-hd-copy') || '';
  const label = btn.dataset.hdLabel || btn.textContent;
  btn.dataset.hdLabel = label;
  const done = function (ok) {
    window.__hdLastCopy = text;
    btn.textContent = ok ? 'Đã sao chép ✓' : 'Không sao chép được';
    setTimeout(function () { btn.textContent = label; }, 1600);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(hdFallbackCopy(text)); });
  } else { done(hdFallbackCopy(text)); }
});
"""

# system fonts: the default themes fetch web fonts, which an offline machine cannot load, and
# some monospace web fonts lack precomposed Vietnamese letters
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Noto Sans", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "DejaVu Sans Mono", "monospace"]

SOURCE_HEADERS = ["Tiêu đề", "Tỉnh/thành", "Ngày đăng", "Số đoạn", "Mã bài"]
RESULT_HEADERS = ["Tệp", "Kết quả", "Chi tiết"]
ALL_PROVINCES = "Tất cả tỉnh/thành"


def _question_error_vi(msg: str) -> str:
    if "empty" in msg:
        return "Vui lòng nhập câu hỏi."
    m = re.search(r"(\d+) characters long; the limit is (\d+)", msg)
    if m:
        return f"Câu hỏi quá dài ({m.group(1)} ký tự; tối đa {m.group(2)})."
    return f"Câu hỏi không hợp lệ: {msg}"


def _ui_filters(province: str | None, since: str | None, until: str | None) -> Filters | None:
    """Filters from the UI controls; ValueError with a Vietnamese message."""
    vals = []
    for label, v in (("Từ ngày", since), ("Đến ngày", until)):
        v = (v or "").strip()
        if v and (not _ISO_DATE.match(v) or not is_iso_date(v)):
            raise ValueError(f"«{label}» phải là ngày dạng YYYY-MM-DD (ví dụ 2023-12-31), không phải «{v}».")
        vals.append(v or None)
    if vals[0] and vals[1] and vals[0] > vals[1]:
        raise ValueError("«Từ ngày» phải trước hoặc bằng «Đến ngày».")
    prov = province if province and province != ALL_PROVINCES else None
    if not (prov or vals[0] or vals[1]):
        return None
    return Filters(province=prov, since=vals[0], until=vals[1])


def _filters_dict(f: Filters | None) -> dict | None:
    if f is None:
        return None
    return {k: v for k, v in (("province", f.province), ("since", f.since), ("until", f.until),
                              ("source_name", f.source_name)) if v}


def _chat_messages(turns: list[dict], pending: tuple[str, str] | None = None) -> list[dict]:
    msgs: list[dict] = []
    for t in turns:
        msgs.append({"role": "user", "content": esc_md(t["question"])})
        msgs.append({"role": "assistant", "content": esc_md(t["answer"])})
    if pending:
        msgs.append({"role": "user", "content": esc_md(pending[0])})
        msgs.append({"role": "assistant", "content": esc_md(pending[1]) if pending[1] else "…"})
    return msgs


def _history(turns: list[dict]) -> list[dict]:
    h: list[dict] = []
    for t in turns:
        h += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
    return h


def _doc_rows(docs: list[dict], query: str = "") -> list[list]:
    from rag.vntext import fold

    q = fold((query or "").strip().lower())
    rows = []
    for d in sorted(docs, key=lambda d: (d.get("published") or "", d.get("title") or ""), reverse=True):
        title = d.get("title") or d["doc_id"]
        if q and q not in fold(title.lower()) and q not in fold(d["doc_id"].lower()):
            continue
        rows.append([title, d.get("province") or "", vn_date(d.get("published")), int(d.get("n_chunks") or 0),
                     d["doc_id"]])
    return rows


def _doc_choices(docs: list[dict]) -> list[tuple[str, str]]:
    return [((d.get("title") or d["doc_id"])[:120] + f"  ({d['doc_id']})", d["doc_id"]) for d in docs]


def create_app(settings: Settings, *, store: Store | None = None, embedder=None,
               services: Services | None = None):
    """The Gradio Blocks UI -> (blocks, services)."""
    apply_process_env()
    import gradio as gr

    svc = services or Services(settings, store=store, embedder=embedder)
    modes = [("Trích xuất (không dùng LLM)", "extractive")]
    if svc.llm_available:
        modes.append(("LLM (mô hình ngôn ngữ)", "llm"))
    default_mode = settings.answer_mode if svc.llm_available else "extractive"

    def _warn(msg: str) -> None:
        gr.Warning(msg, title="Cảnh báo")

    def _info(msg: str) -> None:
        gr.Info(msg, title="Thông báo")

    def province_choices() -> list[str]:
        return [ALL_PROVINCES] + svc.provinces()

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as blocks:
        gr.Markdown("## hoidap — hỏi đáp trên các bài báo đã nạp\nMỗi ý trong câu trả lời có số [n] "
                    "chỉ tới câu trích dẫn trong bài gốc.")
        turns = gr.State([])
        with gr.Tabs():
            # ------------------------------------------------------------ Hỏi đáp
            with gr.Tab("Hỏi đáp", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Cuộc trò chuyện", height=460, elem_id="hd-chat",
                                             feedback_options=("Like", "Dislike", WRONG_CITATION),
                                             latex_delimiters=[], allow_tags=False, buttons=["copy"],
                                             placeholder="Hãy đặt câu hỏi về các bài báo đã nạp.")
                        with gr.Row():
                            question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: Tỉnh nào bố trí Trưởng ban "
                                                  "Tuyên giáo đồng thời là Giám đốc Trung tâm chính trị?",
                                                  lines=2, max_lines=6, scale=5, elem_id="hd-question",
                                                  max_length=4000)
                            with gr.Column(scale=1, min_width=140):
                                ask_btn = gr.Button("Gửi câu hỏi", variant="primary", elem_id="hd-ask")
                                new_btn = gr.Button("Cuộc trò chuyện mới", elem_id="hd-new")
                        with gr.Accordion("Bộ lọc và chế độ trả lời", open=False):
                            with gr.Row():
                                province = gr.Dropdown(province_choices(), value=ALL_PROVINCES, label="Tỉnh/thành",
                                                       elem_id="hd-province")
                                since = gr.Textbox(label="Từ ngày", placeholder="YYYY-MM-DD", elem_id="hd-since")
                                until = gr.Textbox(label="Đến ngày", placeholder="YYYY-MM-DD", elem_id="hd-until")
                            with gr.Row():
                                mode = gr.Radio(modes, value=default_mode, label="Chế độ trả lời",
                                                interactive=len(modes) > 1,
                                                info=None if len(modes) > 1 else
                                                "Chế độ LLM có khi cấu hình HOIDAP_LLM_URL hoặc HOIDAP_LLM_GGUF.")
                                top_k = gr.Slider(TOP_K_MIN, TOP_K_MAX, value=settings.top_k, step=1, label="Số đoạn văn truy xuất")
                    with gr.Column(scale=2):
                        citations = gr.HTML(render_citations(None), elem_id="hd-citations", js_on_load=COPY_JS,
                                            padding=True)
                        feedback_note = gr.Markdown("", elem_id="hd-feedback-note")

            # ------------------------------------------------------------ Nguồn dữ liệu
            with gr.Tab("Nguồn dữ liệu", id="sources") as sources_tab:
                with gr.Row():
                    search = gr.Textbox(label="Tìm theo tiêu đề (không cần dấu)", elem_id="hd-search", scale=4)
                    refresh_btn = gr.Button("Làm mới", scale=1)
                docs_count = gr.Markdown("")
                table = gr.Dataframe(headers=SOURCE_HEADERS, datatype=["str", "str", "str", "number", "str"],
                                     interactive=False, wrap=True, elem_id="hd-sources", max_height=360,
                                     column_widths=["46%", "14%", "12%", "8%", "20%"])
                with gr.Row():
                    article_pick = gr.Dropdown([], label="Bài viết", elem_id="hd-article-pick", scale=4)
                    delete_btn = gr.Button("Xoá bài viết này", variant="stop", scale=1, elem_id="hd-delete")
                with gr.Row(visible=False) as confirm_row:
                    confirm_text = gr.Markdown("")
                    confirm_btn = gr.Button("Xác nhận xoá", variant="stop", elem_id="hd-delete-confirm")
                    cancel_btn = gr.Button("Huỷ", elem_id="hd-delete-cancel")
                article = gr.HTML(render_article(None), elem_id="hd-article", js_on_load=None, padding=True)

            # ------------------------------------------------------------ Thêm bài viết
            with gr.Tab("Thêm bài viết", id="upload"):
                gr.Markdown(f"Tải lên tệp **{' '.join(UPLOAD_EXTS)}** (nhiều tệp một lần; tối đa "
                            f"{settings.max_file_mb:g} MB mỗi tệp). Tệp JSONL: mỗi dòng một bài với trường "
                            f"`text` (và tuỳ chọn `id`, `title`, `url`, `date`, `author`, `source`).")
                # no file_types: Gradio would reject the whole batch for one wrong file; the
                # handler reports an unsupported file as a failed row instead
                files = gr.File(file_count="multiple", label="Tệp bài viết", elem_id="hd-files")
                ingest_btn = gr.Button("Nạp bài viết", variant="primary", elem_id="hd-ingest")
                ingest_summary = gr.Markdown("", elem_id="hd-ingest-summary")
                results = gr.Dataframe(headers=RESULT_HEADERS, datatype=["str", "str", "str"], interactive=False,
                                       wrap=True, elem_id="hd-results", column_widths=["30%", "15%", "55%"])

        # ================================================================ handlers
        def respond(message, turns_v, province_v, since_v, until_v, mode_v, top_k_v):
            turns_v = list(turns_v or [])
            message = message or ""
            try:
                flt = _ui_filters(province_v, since_v, until_v)
            except ValueError as e:
                _warn(str(e))
                yield gr.update(), _chat_messages(turns_v), gr.update(), turns_v
                return
            from rag.assistant import QuestionError

            if not message.strip():
                _warn("Vui lòng nhập câu hỏi.")
                yield gr.update(), _chat_messages(turns_v), gr.update(), turns_v
                return
            yield "", _chat_messages(turns_v, (message, "")), gr.update(), turns_v
            try:
                res = svc.ask(message, history=_history(turns_v), filters=flt, mode=mode_v or None,
                              top_k=int(top_k_v) if top_k_v else None).to_dict()
            except QuestionError as e:
                _warn(_question_error_vi(str(e)))
                yield message, _chat_messages(turns_v), gr.update(), turns_v
                return
            except Exception as e:  # keep the chat alive; say what happened
                _warn(f"Lỗi khi trả lời: {type(e).__name__}: {e}")
                yield message, _chat_messages(turns_v), gr.update(), turns_v
                return
            # stream the answer word by word (the extractive answer is ready at once; this shows it arriving)
            words = re.split(r"(\s+)", res["answer"])
            step = max(2, len(words) // 40)
            for i in range(step, len(words), step):
                yield gr.update(), _chat_messages(turns_v, (message, "".join(words[:i]))), gr.update(), turns_v
                time.sleep(0.025)
            turn = {"question": res.get("question", message), "history": _history(turns_v), "answer": res["answer"],
                    "refused": res["refused"], "citations": res["citations"], "filters": _filters_dict(flt),
                    "mode": res.get("mode")}
            turns_v = turns_v + [turn]
            yield "", _chat_messages(turns_v), render_citations(res, len(turns_v)), turns_v

        chat_inputs = [question, turns, province, since, until, mode, top_k]
        chat_outputs = [question, chatbot, citations, turns]
        ask_btn.click(respond, chat_inputs, chat_outputs, api_name="ask")
        question.submit(respond, chat_inputs, chat_outputs, api_name=False)

        def new_chat():
            return [], [], render_citations(None), "", ""

        new_btn.click(new_chat, None, [chatbot, turns, citations, question, feedback_note], api_name=False)
        # the chatbot's own trash button clears the display: forget the history with it
        chatbot.clear(lambda: ([], render_citations(None), ""), None, [turns, citations, feedback_note],
                      api_name=False)

        def on_feedback(turns_v, data: gr.LikeData):
            idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            k = int(idx) // 2
            if not turns_v or k >= len(turns_v):
                return gr.update()
            raw = data.liked
            verdict = ("like" if raw else "dislike") if isinstance(raw, bool) else VERDICTS.get(str(raw), str(raw))
            svc.record_feedback(turns_v[k], verdict)
            label = {"like": "👍 Hữu ích", "dislike": "👎 Chưa đúng", "wrong_citation": "⚠ Nguồn trích dẫn sai"}
            return f"Đã ghi nhận phản hồi: {label.get(verdict, verdict)}. Cảm ơn bạn!"

        chatbot.like(on_feedback, [turns], [feedback_note], api_name=False)

        # ---------------------------------------------------------------- sources
        def sources_view(query=""):
            docs = svc.documents()
            rows = _doc_rows(docs, query)
            shown = {r[-1] for r in rows}
            q = (query or "").strip()
            note = f"{len(docs)} bài viết đã nạp" + (f" · {len(rows)} khớp «{q}»" if q else "")
            return rows, _doc_choices([d for d in docs if d["doc_id"] in shown]), esc_md(note)

        def load_sources(query=""):
            rows, choices, note = sources_view(query)
            return rows, gr.update(choices=choices), note

        src_outputs = [table, article_pick, docs_count]
        search.change(load_sources, [search], src_outputs, api_name=False)
        refresh_btn.click(load_sources, [search], src_outputs, api_name=False)
        sources_tab.select(load_sources, [search], src_outputs, api_name=False)
        blocks.load(load_sources, None, src_outputs, api_name=False)

        def pick_row(rows, evt: gr.SelectData):
            try:
                values = getattr(evt, "row_value", None)
                if not values:
                    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
                    data = rows.values.tolist() if hasattr(rows, "values") else rows
                    values = data[row]
                return gr.update(value=values[-1])
            except Exception:
                return gr.update()

        table.select(pick_row, [table], [article_pick], api_name=False)

        def open_article(doc_id):
            return render_article(svc.document(doc_id) if doc_id else None), gr.update(visible=False)

        article_pick.change(open_article, [article_pick], [article, confirm_row], api_name="open_article")

        def ask_delete(doc_id):
            doc = svc.document(doc_id) if doc_id else None
            if not doc:
                _warn("Hãy chọn một bài viết trước.")
                return gr.update(visible=False), ""
            return gr.update(visible=True), esc_md(f"Xoá «{doc.get('title') or doc_id}» ({doc_id})? "
                                                   f"Không thể hoàn tác.")

        delete_btn.click(ask_delete, [article_pick], [confirm_row, confirm_text], api_name=False)
        cancel_btn.click(lambda: gr.update(visible=False), None, [confirm_row], api_name=False)

        def do_delete(doc_id, query):
            ok = svc.delete(doc_id)
            if ok:
                _info(f"Đã xoá {doc_id}.")
            else:
                _warn(f"Không tìm thấy bài viết {doc_id}.")
            rows, choices, note = sources_view(query)
            return (gr.update(visible=False), rows, gr.update(choices=choices, value=None), note,
                    render_article(None), gr.update(choices=province_choices()))

        confirm_btn.click(do_delete, [article_pick, search],
                          [confirm_row, table, article_pick, docs_count, article, province], api_name=False,
                          concurrency_limit=1, concurrency_id="write")

        # ---------------------------------------------------------------- upload
        def ingest_files(paths, query, progress=gr.Progress()):
            if not paths:
                _warn("Hãy chọn ít nhất một tệp.")
                return gr.update(), "Chưa có tệp nào.", gr.update(), gr.update(), gr.update(), gr.update()
            items = []
            for p in paths if isinstance(paths, list) else [paths]:
                path = getattr(p, "path", None) or getattr(p, "name", None) or p
                items.append((str(path), getattr(p, "orig_name", None)))
            progress(0, desc="Đang nạp bài viết…")

            def tick(done, total, label):
                progress((done, total), desc=f"Đã xử lý {label}", unit="bài")

            res, report = svc.ingest_uploads(items, progress=tick)
            rows = [[r.name, STATUS_VI.get(r.status, r.status), r.detail] for r in res]
            n_ok = sum(r.status == "stored" for r in res)
            n_same = sum(r.status == "unchanged" for r in res)
            n_bad = sum(r.status == "failed" for r in res)
            summary = f"Đã lưu **{n_ok}**, không đổi **{n_same}**, lỗi **{n_bad}**"
            if report is not None:
                summary += f" — {report.chunks} đoạn trong {report.seconds:.1f} giây"
            src_rows, choices, note = sources_view(query)
            return rows, summary, src_rows, gr.update(choices=choices), note, gr.update(choices=province_choices())

        ingest_btn.click(ingest_files, [files, search],
                         [results, ingest_summary, table, article_pick, docs_count, province],
                         api_name="ingest_files", concurrency_limit=1, concurrency_id="write")

    blocks.queue(default_concurrency_limit=4)
    return blocks, svc


# =============================================================================================
# HTTP API

def _bearer_ok(settings: Settings, header: str | None) -> bool:
    if not settings.access_token:
        return True
    token = settings.access_token.get_secret_value()
    if not token:
        return True
    if not header or not header.lower().startswith("bearer "):
        return False
    return secrets.compare_digest(header[7:].strip().encode(), token.encode())


def _text_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    raise ValueError("message content must be a string or a list of text parts")


def parse_ask_body(body: Any, services: Services) -> dict:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(body) - {"question", "history", "filters", "mode", "top_k"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if not isinstance(body.get("question"), str):
        raise ValueError("'question' (a string) is required")
    f = body.get("filters")
    if f is not None and not isinstance(f, dict):
        raise ValueError("'filters' must be an object")
    f = f or {}
    bad = set(f) - {"province", "since", "until", "source_name"}
    if bad:
        raise ValueError(f"unknown filter(s): {', '.join(sorted(bad))}")
    return {"question": body["question"], "history": validate_history(body.get("history")),
            "filters": build_filters(**f), "mode": _mode(body.get("mode"), services),
            "top_k": _top_k(body.get("top_k"))}


def _mode(mode: Any, services: Services) -> str | None:
    return check_mode(mode, services.settings)


_top_k = check_top_k


MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(ValueError):
    def __init__(self) -> None:
        super().__init__(f"the request body is over {MAX_BODY_BYTES // 1024} KB")


def add_api_routes(app, services: Services) -> None:
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response, StreamingResponse
    from starlette.concurrency import run_in_threadpool

    from rag.assistant import QuestionError

    settings = services.settings

    def err(status: int, msg: str, openai: bool = False, code: str | None = None) -> JSONResponse:
        body: dict = ({"error": {"message": msg, "type": "invalid_request_error", "code": code}} if openai
                      else {"error": msg})
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)

    def unauthorized(request: Request, openai: bool = False) -> JSONResponse | None:
        if _bearer_ok(settings, request.headers.get("authorization")):
            return None
        return err(401, "missing or wrong access token: send 'Authorization: Bearer <HOIDAP_ACCESS_TOKEN>'",
                   openai, "invalid_api_key")

    async def read_json(request: Request) -> Any:
        # a question is at most a few KB: a 1 GB body must not be buffered before it is refused
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BodyTooLarge()
        raw = bytearray()
        async for part in request.stream():
            raw += part
            if len(raw) > MAX_BODY_BYTES:
                raise BodyTooLarge()
        raw = bytes(raw)
        try:
            return json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("the body is not valid JSON") from None

    @app.post("/api/ask")
    async def api_ask(request: Request):
        if (r := unauthorized(request)) is not None:
            return r
        try:
            args = parse_ask_body(await read_json(request), services)
            res = await run_in_threadpool(services.ask, **args)
        except BodyTooLarge as e:
            return err(413, str(e))
        except (ValueError, QuestionError) as e:
            return err(400, str(e))
        return Response(res.to_json(), media_type="application/json")

    @app.get("/api/sources")
    async def api_sources(request: Request):
        if (r := unauthorized(request)) is not None:
            return r
        return JSONResponse(await run_in_threadpool(services.documents))

    @app.get("/v1/models")
    async def v1_models(request: Request):
        if (r := unauthorized(request, True)) is not None:
            return r
        ids = [MODEL_ID, f"{MODEL_ID}-extractive"] + ([f"{MODEL_ID}-llm"] if services.llm_available else [])
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 0, "owned_by": "hoidap"}
                                           for i in ids]}

    @app.post("/v1/chat/completions")
    async def v1_chat(request: Request):
        if (r := unauthorized(request, True)) is not None:
            return r
        try:
            body = await read_json(request)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                raise ValueError("'messages' must be a non-empty list")
            conv = []
            for i, m in enumerate(msgs):
                if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant"):
                    raise ValueError(f"messages[{i}] must have a role system|user|assistant")
                if m["role"] in ("user", "assistant"):
                    conv.append({"role": m["role"], "content": _text_content(m.get("content") or "")})
            if not conv or conv[-1]["role"] != "user":
                raise ValueError("the last message must come from the user")
            model = str(body.get("model") or MODEL_ID)
            mode = "llm" if model.endswith("-llm") else "extractive" if model.endswith("-extractive") else None
            f = body.get("filters")
            if f is not None and not isinstance(f, dict):
                raise ValueError("'filters' must be an object")
            args = {"question": conv[-1]["content"], "history": conv[:-1],
                    "filters": build_filters(**(f or {})), "mode": _mode(mode, services),
                    "top_k": _top_k(body.get("top_k"))}
            res = (await run_in_threadpool(services.ask, **args)).to_dict()
        except BodyTooLarge as e:
            return err(413, str(e), True)
        except TypeError as e:  # unknown filter keyword
            return err(400, f"bad filters: {e}", True)
        except (ValueError, QuestionError) as e:
            return err(400, str(e), True)
        content = answer_with_references(res)
        cid = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        if not body.get("stream"):
            return JSONResponse({
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": res["citations"], "refused": res["refused"], "short_answer": res["short_answer"],
            })

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            parts = re.split(r"(\s+)", content)
            for i in range(0, len(parts), 6):
                yield chunk({"content": "".join(parts[i:i + 6])})
            yield chunk({}, "stop", citations=res["citations"], refused=res["refused"],
                        short_answer=res["short_answer"])
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def create_server_app(settings: Settings, *, store: Store | None = None, embedder=None,
                      services: Services | None = None, host: str | None = None, port: int | None = None):
    """FastAPI app: the HTTP API routes, then the Gradio UI mounted at "/" -> (app, blocks, services)."""
    apply_process_env()
    import gradio as gr
    from fastapi import FastAPI

    blocks, svc = create_app(settings, store=store, embedder=embedder, services=services)
    app = FastAPI(title="hoidap", docs_url=None, redoc_url=None, openapi_url=None)
    add_api_routes(app, svc)
    token = settings.access_token.get_secret_value() if settings.access_token else ""
    gradio_limit = max(1, int(settings.max_file_mb * 2 * 1024 * 1024))  # hard cap; the app reports the soft one
    gr.mount_gradio_app(app, blocks, path="/", server_name=host or settings.host, server_port=port or settings.port,
                        auth=(UI_USER, token) if token else None,
                        auth_message="Đăng nhập: tên «hoidap», mật khẩu là HOIDAP_ACCESS_TOKEN.",
                        footer_links=["api"], max_file_size=gradio_limit, css=CSS, show_error=True,
                        theme=gr.themes.Soft(font=SYSTEM_FONTS, font_mono=MONO_FONTS))
    return app, blocks, svc


@dataclass
class RunningServer:
    server: Any
    thread: threading.Thread
    app: Any
    blocks: Any
    services: Services
    url: str

    def stop(self, close_services: bool = True) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        try:
            self.blocks.close()
        except Exception:
            pass
        if close_services:
            self.services.close()


def start(settings: Settings, host: str | None = None, port: int | None = None, *, store: Store | None = None,
          embedder=None, services: Services | None = None, timeout: float = 30.0) -> RunningServer:
    """Run the server in a background thread (port 0 = a free port); returns once it accepts requests."""
    import uvicorn

    host = host or settings.host
    port = settings.port if port is None else port
    app, blocks, svc = create_server_app(settings, store=store, embedder=embedder, services=services,
                                         host=host, port=port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2,
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hoidap-web", daemon=True)
    thread.start()
    t0 = time.monotonic()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the web server did not start on {host}:{port} (port in use?)")
        if time.monotonic() - t0 > timeout:
            server.should_exit = True
            raise RuntimeError(f"the web server did not start within {timeout:.0f}s")
        time.sleep(0.05)
    real_port = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return RunningServer(server, thread, app, blocks, svc, f"http://{shown}:{real_port}")


def launch(settings: Settings, host: str | None = None, port: int | None = None, *,
           services: Services | None = None) -> None:
    """Serve until Ctrl-C (what `hoidap serve` runs)."""
    running = start(settings, host, port, services=services)
    print(f"hoidap: giao diện web tại {running.url}/  (API: {running.url}/api/ask, {running.url}/v1)", flush=True)
    if settings.access_token:
        print(f"hoidap: cần đăng nhập (tên «{UI_USER}», mật khẩu = HOIDAP_ACCESS_TOKEN); "
              f"API cần 'Authorization: Bearer …'", flush=True)
    print("hoidap: nhấn Ctrl-C để dừng", flush=True)
    if threading.current_thread() is threading.main_thread():  # `kill` stops as cleanly as Ctrl-C
        import signal

        def _stop(*_):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
    try:
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        print("\nhoidap: đang dừng…", flush=True)
    finally:
        running.stop()

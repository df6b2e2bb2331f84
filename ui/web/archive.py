"""What the archive holds, for people: an overview (articles, dates, provinces), example
questions drawn from the stored articles, and a search over titles, provinces, dates and text.

Search folds accents and case (rag.vntext.fold): "son la" finds Sơn La; a date may be typed as
dd/mm/yyyy, mm/yyyy, yyyy or yyyy-mm-dd.

    >>> _norm("Sơn La, 10/08/2022.")
    ' son la 10/08/2022 '
    >>> Archive(store).search("son la")  # doctest: +SKIP
    [{'doc_id': '000_…', 'title': 'Đoàn công tác …', 'province': 'Sơn La', …}]
"""
from __future__ import annotations

import re
import threading

from rag.vntext import fold
from ui.web.render import vn_date

EXAMPLES = 3


def _norm(text: str) -> str:
    """Folded, lower case, punctuation as spaces, padded: " son la " (so a match is whole words)."""
    return " " + " ".join(re.sub(r"[^\w/]+", " ", fold((text or "").lower())).split()) + " "


def _date_keys(published: str | None) -> str:
    """Every way a person may type the article's date: 2022-08-10, 10/08/2022, 10/8/2022, 08/2022, 8/2022."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", published or "")
    if not m:
        return ""
    y, mo, d = m.groups()
    return " ".join({f"{y}-{mo}-{d}", f"{d}/{mo}/{y}", f"{int(d)}/{int(mo)}/{y}", f"{mo}/{y}", f"{int(mo)}/{y}"})


class Archive:
    """The records are listed afresh on every call (uploads, the folder watcher and other
    writers all show at once); the articles' folded text is read on the first search and kept
    per article version."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._texts: dict[str, tuple[str, str]] = {}  # doc_id -> (version key, folded text)

    def changed(self) -> None:
        with self._lock:
            self._texts = {}

    def _entries(self) -> list[tuple[dict, str]]:
        return [(d, "|".join(_norm(str(d.get(k) or "")) for k in (  # "|": no match across fields
            "title", "province", "source_name", "author", "doc_id")) + "|" + _norm(_date_keys(d.get("published"))))
            for d in self.store.list_documents()]

    @staticmethod
    def _version(rec: dict) -> str:
        return "|".join(str(rec.get(k)) for k in ("version", "content_hash", "n_chunks", "published", "title"))

    def _text(self, rec: dict) -> str:
        with self._lock:
            known = self._texts.get(rec["doc_id"])
            if known is None or known[0] != self._version(rec):
                self._texts = {d["doc_id"]: (self._version(d), _norm(d.get("text") or ""))  # one pass, all articles
                               for d in self.store.list_documents(with_text=True)}
                known = self._texts.get(rec["doc_id"], ("", ""))
            return known[1]

    def search(self, query: str) -> list[dict]:
        """Records (newest first) holding the query, as whole words, in one field or in the text."""
        q = _norm(query)
        hits = [rec for rec, meta in self._entries() if not q.strip() or q in meta or q in self._text(rec)]
        return sorted(hits, key=lambda d: (d.get("published") or "", d.get("title") or ""), reverse=True)

    def overview(self) -> dict:
        """Article count, date range and provinces (most articles first)."""
        docs = [e[0] for e in self._entries()]
        dates = sorted(d["published"][:10] for d in docs if d.get("published"))
        counts: dict[str, int] = {}
        for d in docs:
            if d.get("province"):
                counts[d["province"]] = counts.get(d["province"], 0) + 1
        return {"articles": len(docs), "first": dates[0] if dates else None, "last": dates[-1] if dates else None,
                "provinces": sorted(counts, key=lambda p: (-counts[p], p))}

    def examples(self, n: int = EXAMPLES) -> list[str]:
        """Example questions about stored articles: the newest ones, one per province first."""
        docs = self.search("")
        picked, seen = [], set()
        for d in docs:
            if d.get("title") and d.get("province") not in seen:
                picked.append(d)
                seen.add(d.get("province"))
        picked += [d for d in docs if d.get("title") and d not in picked]
        out = []
        for d in picked[:n]:
            title = " ".join(d["title"].split())
            title = title if len(title) <= 90 else title[:90].rsplit(" ", 1)[0] + "…"
            out.append(f"Bài «{title}» nói gì?")
        return out


def overview_text(o: dict) -> str:
    """The first screen's sentence about the archive, in Vietnamese."""
    if not o["articles"]:
        return "Kho bài viết đang trống: hãy thêm bài ở thẻ «Thêm bài viết»."
    when = (f" đăng từ {vn_date(o['first'])} đến {vn_date(o['last'])}" if o["first"] else "")
    provs = o["provinces"]
    where = ""
    if provs:
        shown = ", ".join(provs[:8]) + (f" và {len(provs) - 8} tỉnh/thành khác" if len(provs) > 8 else "")
        where = f", về {shown}"
    return f"Kho có **{o['articles']}** bài viết{when}{where}."

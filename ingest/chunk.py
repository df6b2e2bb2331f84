"""Sentence-aware chunking measured in the embedder's own tokens.

Chunks are runs of whole sentences up to `max_tokens`; the next chunk starts with the trailing
sentences of the previous one worth at most `overlap` tokens. A sentence longer than a whole
chunk is cut at spaces (never inside a syllable). Offsets point into `Article.text`, so a
citation can always be located in the article a user opens.

The pipeline's fourth step (read → clean → metadata → chunk → write):

    >>> from ingest.chunk import chunk_article
    >>> from rag.models import Article
    >>> art = Article(doc_id="a", source="a.txt", text="Câu một dài. Câu hai. Câu ba.", content_hash="h")
    >>> [c.text for c in chunk_article(art, count=lambda s: len(s.split()), max_tokens=4, overlap=0)]
    ['Câu một dài.', 'Câu hai. Câu ba.']
"""
from __future__ import annotations

import hashlib
from typing import Callable

from rag import vntext
from rag.models import Article, Chunk


def header_for(article: Article) -> str:
    """Context the embedder sees before each chunk, so a chunk that never names its province or
    date is still found by them. Kept apart from the chunk text shown to users."""
    parts = [article.title or ""]
    if article.doc_number and article.doc_number not in (article.title or ""):
        parts[0] = f"{parts[0]} (số {article.doc_number})".strip()
    meta = " · ".join(p for p in (article.province, (article.published or "")[:10], article.source_name) if p)
    if meta:
        parts.append(meta)
    return "\n".join(p for p in parts if p)


def _pieces(text: str, start: int, end: int, count: Callable[[str], int], max_tokens: int):
    """Split one over-long sentence at spaces into spans of at most max_tokens."""
    words, pos = [], start
    for w in text[start:end].split(" "):
        if w:
            words.append((pos, pos + len(w)))
        pos += len(w) + 1
    cur_s, cur_e, cur_n = None, None, 0
    spans = []
    for ws, we in words:
        n = count(text[ws:we])
        if n > max_tokens:  # one "word" longer than a chunk (no spaces at all): cut by characters
            step = max(1, int((we - ws) * max_tokens / n * 0.9))
            spans.extend((a, min(a + step, we), None) for a in range(ws, we, step))
        else:
            spans.append((ws, we, n))
    for ws, we, n in spans:
        n = count(text[ws:we]) if n is None else n
        if cur_s is not None and cur_n + n > max_tokens:
            yield cur_s, cur_e, cur_n
            cur_s, cur_n = None, 0
        if cur_s is None:
            cur_s = ws
        cur_e, cur_n = we, cur_n + n
    if cur_s is not None:
        yield cur_s, cur_e, cur_n


def chunk_article(article: Article, count: Callable[[str], int], max_tokens: int = 256,
                  overlap: int = 32) -> list[Chunk]:
    text = article.text
    units: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for s, e in vntext.split_sentences(text):
        n = count(text[s:e])
        if n > max_tokens:
            units.extend(_pieces(text, s, e, count, max_tokens))
        else:
            units.append((s, e, n))
    header = header_for(article)
    chunks: list[Chunk] = []
    i = fresh = 0  # fresh: first unit the current chunk does not share with the one before
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        s, e = units[i][0], units[j - 1][1]
        idx = len(chunks)
        cid = hashlib.sha1(f"{article.doc_id}:{article.content_hash}:{idx}".encode()).hexdigest()[:16]
        chunks.append(Chunk(chunk_id=cid, doc_id=article.doc_id, index=idx, text=text[s:e], header=header,
                            start=s, end=e, n_tokens=total))
        if j >= len(units):
            break
        # step back over trailing sentences that fit in the overlap budget, but never into text
        # the previous chunk already repeated (a passage sits in at most two chunks) and never so
        # far that the next chunk could not reach past this one's end
        k, back = j, 0
        while (k - 1 > i and k - 1 >= fresh and back + units[k - 1][2] <= overlap
               and back + units[k - 1][2] + units[j][2] <= max_tokens):
            k -= 1
            back += units[k][2]
        i, fresh = k, j
    return chunks

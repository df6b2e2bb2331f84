"""Rendering for the browser: escaping, the citations panel, the article view, copyable references.

Everything article-derived that reaches the browser as HTML goes through `esc` (html.escape plus
the characters of Gradio's HTML templating); links are only ever absolute http(s) URLs.

    >>> esc("<b>${x}</b>")
    '&lt;b&gt;&#36;&#123;x&#125;&lt;/b&gt;'
    >>> reference({"title": "Tin", "source_name": "Báo A", "published": "2024-01-31", "url": "https://a.vn/1"})
    'Tin — Báo A, 31/01/2024, https://a.vn/1'
"""
from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

_MARKER = re.compile(r"\s*\[\d+\]")


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


def strip_markers(answer: str) -> str:
    """The answer without its [n] citation markers."""
    return _MARKER.sub("", answer or "").strip()


def reference(c: dict) -> str:
    """Vietnamese reference style: `Tiêu đề — Nguồn, dd/mm/yyyy, URL` (missing parts left out)."""
    title = (c.get("title") or c.get("doc_id") or "").strip()
    rest = ", ".join(x for x in (c.get("source_name"), vn_date(c.get("published")), safe_url(c.get("url"))) if x)
    return f"{title} — {rest}" if rest else title


def quoted_reference(c: dict) -> str:
    """What "copy citation" gives: the quote in quotation marks, then the reference
    (`“Câu trích.” — Tiêu đề, Nguồn, dd/mm/yyyy, URL`), ready to paste into a report."""
    quote = " ".join((c.get("quote") or "").split())
    parts = [(c.get("title") or c.get("doc_id") or "").strip(), c.get("source_name"), vn_date(c.get("published")),
             safe_url(c.get("url"))]
    ref = ", ".join(x for x in parts if x)
    return f"“{quote}” — {ref}" if quote else ref


def quoted_reference_html(c: dict) -> str:
    """The same as rich text for Word: the quote, the title in italics, the URL as a link."""
    title = esc((c.get("title") or c.get("doc_id") or "").strip())
    rest = [esc(x) for x in (c.get("source_name"), vn_date(c.get("published"))) if x]
    url = safe_url(c.get("url"))
    if url:
        rest.append(f'<a href="{esc(url)}">{esc(url)}</a>')
    quote = esc(" ".join((c.get("quote") or "").split()))
    ref = f"<i>{title}</i>" + (", " + ", ".join(rest) if rest else "")
    return f"<p>“{quote}” — {ref}</p>" if quote else f"<p>{ref}</p>"


def clean_text(answer: str) -> str:
    """An answer's Markdown as plain text: no ** or __, no backslash escapes; [n] markers kept."""
    t = re.sub(r"(\*\*|__)(.+?)\1", r"\2", answer or "")
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", t).strip()


def answer_with_footnotes(res: dict) -> str:
    """What "copy the whole answer" gives: clean text, then one footnote per [n] with the quote."""
    cites = res.get("citations") or []
    text = clean_text(res.get("answer", ""))
    if not cites:
        return text
    notes = "\n".join(f"[{c['n']}] {quoted_reference(c)}" for c in cites)
    return f"{text}\n\nNguồn:\n{notes}"


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


def _link(url: str) -> str:
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">Mở bài gốc ↗</a>'


def _cite_card(c: dict, turn: int) -> str:
    """One citation card: every metadata field the article has, the passage with the quote
    marked, and a copy button (plain text and rich text for Word)."""
    n = int(c.get("n", 0))
    title = c.get("title") or c.get("doc_id") or ""
    meta = [f'<span class="hd-m-{k}">{esc(v)}</span>' for k, v in (
        ("source", c.get("source_name")), ("date", vn_date(c.get("published"))), ("province", c.get("province")))
        if v]
    url = safe_url(c.get("url"))
    if url:
        meta.append(_link(url))
    return (f'<div class="hd-cite" id="hd-cite-{int(turn)}-{n}" data-n="{n}" data-doc-id="{esc(c.get("doc_id"))}">'
            f'<div class="hd-cite-title"><span class="hd-n">[{n}]</span> {esc(title)}</div>'
            f'<div class="hd-cite-meta">{" · ".join(meta) or esc(c.get("doc_id"))}</div>'
            f'<blockquote class="hd-passage">{_passage_html(c.get("passage") or "", c.get("quote") or "")}</blockquote>'
            f'<button type="button" class="hd-copy" data-hd-copy="{esc(quoted_reference(c))}" '
            f'data-hd-copy-html="{esc(quoted_reference_html(c))}" title="Sao chép câu trích và nguồn để dán vào báo cáo">'
            f'Sao chép trích dẫn [{n}]</button></div>')


def render_citations(res: dict | None, turn: int = 0, hidden: bool = False) -> str:
    """The citations panel of one answer (`turn`: its number in the conversation, as data-hd-turn)."""
    if not res:
        return ('<div class="hd-cites hd-empty" data-hd-turn="0">Nguồn trích dẫn của câu trả lời '
                'sẽ hiện ở đây. Bấm vào một câu trả lời hoặc số [n] để xem nguồn của nó.</div>')
    cites = res.get("citations") or []
    out = [f'<div class="hd-cites" data-hd-turn="{int(turn)}"{" hidden" if hidden else ""}>',
           f'<div class="hd-cites-head"><b>Nguồn của câu trả lời {int(turn)}</b>'
           f'<button type="button" class="hd-copy hd-copy-all" data-hd-copy="{esc(answer_with_footnotes(res))}" '
           f'title="Sao chép câu trả lời (không định dạng) kèm chú thích nguồn">Sao chép cả câu trả lời</button></div>']
    if res.get("notice"):
        out.append(f'<div class="hd-notice">{esc(res["notice"])}</div>')
    if not cites:
        out.append('<div class="hd-empty">Câu trả lời này không có trích dẫn.</div></div>')
        return "".join(out)
    out += [_cite_card(c, turn) for c in cites]
    out.append("</div>")
    return "".join(out)


def render_panels(answers: list[dict], active: int | None = None) -> str:
    """Every answer's panel (1-based turns); only `active` (default: the last) is shown. The
    page script switches panels when an answer or one of its [n] markers is clicked."""
    if not answers:
        return render_citations(None)
    active = active or len(answers)
    return "".join(render_citations(a, k, hidden=k != active) for k, a in enumerate(answers, 1))


def render_article(doc: dict | None) -> str:
    """One stored article, cleaned text and metadata, for the sources tab."""
    if not doc:
        return '<div class="hd-article hd-empty">Chọn một bài viết trong bảng để xem nội dung đã làm sạch.</div>'
    meta = [esc(x) for x in (doc.get("province"), vn_date(doc.get("published")), doc.get("source_name"),
                             doc.get("author")) if x]
    url = safe_url(doc.get("url"))
    if url:
        meta.append(_link(url))
    paras = [p for p in (doc.get("text") or "").split("\n") if p.strip()]
    body = "".join(f"<p>{esc(p)}</p>" for p in paras)
    return (f'<div class="hd-article" data-doc-id="{esc(doc.get("doc_id"))}">'
            f'<h3>{esc(doc.get("title") or doc.get("doc_id"))}</h3>'
            f'<div class="hd-cite-meta">{" · ".join(meta)} · mã bài: <code>{esc(doc.get("doc_id"))}</code> · '
            f'{int(doc.get("n_chunks") or 0)} đoạn</div>{body}</div>')

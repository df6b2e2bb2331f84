"""Vietnamese text utilities shared by ingestion, indexing and retrieval.

Three forms of the same text:

* ``display(text)``: what users see. NFC, invisible characters removed, exotic spaces
  made plain, line ends made ``\\n``. The article's own spelling is kept.
* ``normalize(text)``: the INDEX form. ``display()`` plus a single tone-mark placement
  convention, so "hoà"/"hòa", "thuỷ"/"thủy", "qúy"/"quý", "khoẻ"/"khỏe" become one string.
  Case is kept. Only diacritic placement changes: ``len(normalize(x)) == len(display(x))``
  and ``fold(normalize(x)) == fold(display(x))``.
* ``fold(text)``: no diacritics at all ("Đắk Lắk" -> "Dak Lak"), for unaccented queries.

Tone convention (``normalize``): the traditional ("old") placement used by most
Vietnamese news, decided per syllable from its letters only (the tone is first lifted off):

1. "qu" and "gi" (before another vowel) are onsets: their u / i never carry the tone
   ("qúy" -> "quý", "gìa" -> "già", "giữ").
2. A vowel with a shape mark (ă â ê ô ơ ư) carries it; for two of them (ươ) the last:
   "thuế", "Nguyễn", "người", "rượu", "thuở", "hoặc".
3. Otherwise, with a final consonant (c ch m n ng nh p t): the last vowel ("hoàng", "huýt").
4. Otherwise, open syllable: one vowel -> it; two vowels -> the FIRST ("hòa", "hòe",
   "thủy", "mùa", "kìa", "cháo"); three vowels -> the middle one ("ngoài", "khuỷu").

Words that are not one Vietnamese syllable (several vowel groups, several tone marks,
onset or final consonants Vietnamese does not have: "Raúl", "Sáez") are left untouched.
"""
from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "display",
    "normalize",
    "fold",
    "syllables",
    "words",
    "split_sentences",
    "sentences",
    "is_unaccented",
    "has_diacritics",
]

# ---------------------------------------------------------------------------
# display()

# Zero-width and other invisible format characters: they split words for the tokenizer
# and block NFC composition when they sit between a letter and its combining mark.
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Unicode spaces that are not line breaks -> " " (tab is kept: it is plain ASCII).
_SPACE_RE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Every line-break convention -> "\n".
_NEWLINE_RE = re.compile("\r\n?|[\u0085\u2028\u2029]")


def display(text: str) -> str:
    """Text as shown to users: NFC, no zero-width chars, plain spaces, LF line ends."""
    if text.isascii():  # fast path: most markup/numbers/English, nothing to compose
        return _NEWLINE_RE.sub("\n", text) if "\r" in text else text
    text = _INVISIBLE_RE.sub("", text)  # before NFC, so "a<ZWJ><U+0301>" composes
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _SPACE_RE.sub(" ", text)
    return _NEWLINE_RE.sub("\n", text)


# ---------------------------------------------------------------------------
# Tone tables

_TONE_MARKS = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # sắc huyền hỏi ngã nặng
_VOWELS = "aăâeêioôơuưy"
_SHAPED = frozenset("ăâêôơư")  # vowels whose own mark attracts the tone

_SPLIT: dict[str, tuple[str, int]] = {}  # vowel char -> (toneless vowel, tone 0..5)
_JOIN: dict[tuple[str, int], str] = {}  # inverse
for _b in _VOWELS + _VOWELS.upper():
    _SPLIT[_b] = (_b, 0)
    _JOIN[(_b, 0)] = _b
    for _t, _mark in enumerate(_TONE_MARKS, 1):
        _c = unicodedata.normalize("NFC", _b + _mark)
        assert len(_c) == 1, _c
        _SPLIT[_c] = (_b, _t)
        _JOIN[(_b, _t)] = _c

_ALL_V = "".join(_SPLIT)
_TONED_V = "".join(c for c, (_, t) in _SPLIT.items() if t)
# Combining marks left after NFC: a word followed by one is not touched, because moving
# its tone would let NFC recompose the mark with a different letter (not idempotent).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Only words where a toned vowel touches another vowel can have a placement choice;
# everything else ("đã", "Lắk", "ban") is skipped by the regex engine, not by Python.
_CANDIDATE_RE = re.compile(
    rf"(?<![^\W\d_])[^\W\d_]*?(?:[{_TONED_V}][{_ALL_V}]|[{_ALL_V}][{_TONED_V}])"
    rf"[^\W\d_]*+(?![{_MARKS}])"
)

_ONSETS = frozenset(
    "b c ch d đ g gh h k kh l m n ng ngh nh p ph q r s t th tr v x".split() + [""]
)
_CODAS = frozenset("c ch m n ng nh p t".split() + [""])


@functools.lru_cache(maxsize=1 << 16)  # news uses a few thousand distinct syllables
def _retone(w: str) -> str:
    """Move the tone of one syllable to its conventional vowel (see module doc)."""
    info = [_SPLIT.get(c) for c in w]
    vpos = [i for i, x in enumerate(info) if x is not None]
    first, last = vpos[0], vpos[-1]
    if last - first + 1 != len(vpos):  # several vowel groups: not one syllable
        return w
    tones = [info[i][1] for i in vpos if info[i][1]]  # type: ignore[index]
    if len(tones) != 1:  # two tone marks: a typo or a foreign word, leave it
        return w
    low = w.lower()
    onset, coda = low[:first], low[last + 1 :]
    if onset not in _ONSETS or coda not in _CODAS:
        return w
    base = [info[i][0].lower() for i in vpos]  # type: ignore[index]
    nuc = vpos
    if len(vpos) > 1 and ((onset == "q" and base[0] == "u") or (onset == "g" and base[0] == "i")):
        nuc, base = vpos[1:], base[1:]  # "qu", "gi" are onsets
    elif onset == "q":
        return w  # q without u is not Vietnamese
    shaped = [p for p, b in zip(nuc, base) if b in _SHAPED]
    if shaped:
        target = shaped[-1]
    elif coda or len(nuc) == 1:
        target = nuc[-1]
    elif len(nuc) == 2:
        target = nuc[0]  # old style: hòa, thủy, khỏe, mùa
    elif len(nuc) == 3:
        target = nuc[1]  # ngoài, khuỷu, ngoẹo
    else:
        return w
    tone = tones[0]
    chars = list(w)
    for i in vpos:
        chars[i] = _JOIN[(info[i][0], tone if i == target else 0)]  # type: ignore[index]
    return "".join(chars)


def normalize(text: str) -> str:
    """Index form: ``display()`` plus the old-style tone placement (case kept)."""
    text = display(text)
    if text.isascii():
        return text
    return _CANDIDATE_RE.sub(lambda m: _retone(m.group()), text)


# ---------------------------------------------------------------------------
# fold() / has_diacritics()


def _build_fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        bare = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if bare != ch and len(bare) == 1 and bare.isascii():
            table[cp] = ord(bare)
    table[ord("đ")], table[ord("Đ")] = ord("d"), ord("D")
    for cp in range(0x0300, 0x0370):  # stray combining marks (NFD input)
        table[cp] = None
    return table


_FOLD = _build_fold_table()
_DIACRITIC_RE = re.compile("[" + "".join(chr(c) for c in _FOLD if c >= 0x0370 or c < 0x0300) + "\u0300-\u036f]")


def fold(text: str) -> str:
    """Remove every diacritic, đ->d, Đ->D; keeps case and everything else."""
    if text.isascii():
        return text
    return text.translate(_FOLD)


def has_diacritics(text: str) -> bool:
    """True when any letter carries a diacritic (incl. đ/Đ and stray combining marks)."""
    return not text.isascii() and _DIACRITIC_RE.search(text) is not None


# ---------------------------------------------------------------------------
# syllables() / words()

# Numbers keep their inner "." "," "/" ":" when digits follow ("11,5", "1.000",
# "25/7/2018", "9/15", "13:15"); everything else splits on non-word characters, so
# "04-QĐ/TW" -> "04", "qđ", "tw" and "1954-2020" -> "1954", "2020" ("-" always splits:
# it is a range far more often than a date). "_" splits too (it is \w in Python).
_TOKEN_RE = re.compile(r"\d+(?:[.,/:]\d+)+|[^\W_]+")


def syllables(text: str) -> list[str]:
    """Lowercased lexical tokens (syllables, numbers, dates) of ``normalize(text)``."""
    return _TOKEN_RE.findall(normalize(text).lower())


@functools.cache
def _vi_tokenizer():  # pyvi costs seconds to import: load once per process, on first use
    from pyvi import ViTokenizer

    return ViTokenizer


_LETTERS_RE = re.compile(r"[^\W\d_]+")
_GAP_RE = re.compile(r"[ \t]+")  # syllables of one word are separated by spaces only


def words(text: str) -> list[str]:
    """Multi-syllable words found by pyvi, lowercased, in normalize() form: "tuyên_giáo".

    Only compounds whose syllables are letters and adjacent in the input (same line,
    separated by spaces only) are kept; single syllables are left to ``syllables()``.
    """
    tok = _vi_tokenizer()
    out: list[str] = []
    for line in normalize(text).split("\n"):  # pyvi would otherwise join across lines
        if not line.strip():
            continue
        pos = 0
        for token in tok.tokenize(line).split():
            parts = token.split("_")
            start = line.find(parts[0], pos)
            if start < 0:
                continue  # pyvi changed the text: cannot align this token
            end = start + len(parts[0])
            ok = len(parts) > 1
            for part in parts[1:]:
                gap = _GAP_RE.match(line, end)
                if not ok or gap is None or not line.startswith(part, gap.end()):
                    ok = False
                    break
                end = gap.end() + len(part)
            if ok and all(_LETTERS_RE.fullmatch(p) for p in parts):
                out.append("_".join(parts).lower())
                pos = end
            else:
                pos = start + len(parts[0])
    return out


# ---------------------------------------------------------------------------
# split_sentences()

_LINE_BREAKS = "\n\r\v\f\x1c-\x1e\x85\u2028\u2029"
# One line with its surrounding whitespace trimmed.
_LINE_RE = re.compile(rf"[^\s](?:[^{_LINE_BREAKS}]*[^\s])?")
# A candidate sentence end: terminator, closing quotes/brackets, then whitespace.
# No whitespace, no candidate: that keeps "25.7.2018", "3.5", "TP.HCM", "Th.S",
# "https://baosonla.org.vn/..." and domain names whole.
_BREAK_RE = re.compile(r"(\./\.|[.!?…]+)([”\"’'»)\]]*)\s+")
_OPENERS = frozenset("“\"‘'«([")
# Words that end with "." without ending the sentence (compared lowercased).
_ABBREV = frozenset(
    "tp tx tt q p h x ts ths th pgs gs bs bsck bscki bsckii ks kts ncs ls tskh "
    "mr mrs ms dr st no tr vs".split()
)
# "1." "12." "a." "IV." "1.2." at the start of a sentence are list labels, not ends.
_LIST_LABEL_RE = re.compile(r"\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|[IVXivx]{1,4}")
_ITEM_RE = re.compile(r"[^\W\d_]\)")  # "b) ..." starts a list item
_QUOTE_RE = re.compile(r"“[^”]*”|\"[^\"]*\"")


def _is_abbrev(tok: str) -> bool:
    """'TP', 'ThS', 'PGS.TS', 'Th.S', 'v.v', initials 'H' / 'N.V'."""
    parts = tok.split(".")
    if len(parts) == 1:
        return tok.lower() in _ABBREV or (len(tok) == 1 and tok.isupper())
    return all(p.lower() in _ABBREV or (len(p) == 1 and p.isalpha()) for p in parts)


def _ends_sentence(text: str, m: re.Match[str], start: int, line_end: int) -> bool:
    term = m.group(1)
    if term == "./.":  # Vietnamese official "end of text" mark
        return True
    nxt = text[m.end()]
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS or _ITEM_RE.match(text, m.end())):
        return False  # "v.v. các", "? anh hỏi": the sentence goes on
    if term.strip(".") == "":  # only dots: check the word before them
        k = m.start()
        while k > start and not text[k - 1].isspace():
            k -= 1
        tok = text[k : m.start()].lstrip("“\"‘'«([")
        if tok and _is_abbrev(tok):
            return False
        if term == "." and k == start and _LIST_LABEL_RE.fullmatch(tok):
            return False
    if "…" in term or ".." in term:  # an ellipsis inside a quotation does not end it
        p = m.end(2)
        for q in _QUOTE_RE.finditer(text, start, line_end):
            if q.start() < p < q.end():
                return False
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, in order, whitespace excluded.

    A line break always ends a sentence. Inside a line a sentence ends after
    ". " "! " "? " "… " "./." (plus closing quotes/brackets) when the next character
    is an uppercase letter (incl. Đ, Ư, Â...), a digit, an opening quote/bracket or a list
    item label like "b)", except
    after an abbreviation ("TP.", "ThS.", "PGS.TS.", "Q.", "v.v."), a single capital initial
    ("H."), a list label at the start of the sentence ("1.", "a.", "IV."), or an ellipsis
    still inside a quotation. Text between spans is whitespace only.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE_RE.finditer(text):
        start, end = line.span()
        for m in _BREAK_RE.finditer(text, start, end):
            if _ends_sentence(text, m, start, end):
                spans.append((start, m.end(2)))
                start = m.end()
        spans.append((start, end))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as substrings (see ``split_sentences``)."""
    return [text[a:b] for a, b in split_sentences(text)]


# ---------------------------------------------------------------------------
# is_unaccented()

# Vietnamese syllable shapes once diacritics are gone (onset + rhyme), e.g. "truong",
# "nguyen", "khoanh". English short words often fit too ("the", "man"), hence the cues.
_U_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
_U_RHYMES = (
    "a ai ao au ay ac ach am an ang anh ap at "
    "e eo eu ec ech em en eng enh ep et "
    "i ia iu ich im in inh ip it iec iem ien ieng iep iet ieu "
    "o oi oc om on ong op ot ooc oong "
    "oa oai oao oay oac oach oam oan oang oanh oap oat oe oeo oen oet "
    "u ua ui uu uc um un ung up ut uan uang uat uay ue uech uenh "
    "uoc uoi uom uon uong uop uot uou "
    "uy uya uyu uych uynh uyt uyen uyet "
    "y yem yen yet yeu"
).split()
_U_SYLLABLE_RE = re.compile(
    _U_ONSET + "(?:" + "|".join(sorted(_U_RHYMES, key=len, reverse=True)) + ")"
)
# Shapes English hardly has: these onsets, or long Vietnamese rhymes.
_U_DISTINCT_RE = re.compile(
    r"(?:ngh?|nh|kh|gi|qu|tr|ph)[a-z]*|[a-z]*(?:uong|uoc|uoi|uyen|uyet|uynh|ieu|yeu|ien|iet|"
    r"ieng|anh|inh|ach|ich|enh|ech|oanh|oang|oai|oay)"
)
_U_VN_WORDS = frozenset(
    "nao cua duoc khong la va bao nhieu dau ai gi nhung cac cho voi trong nguoi da dang se "
    "co mot nay thi tai tu den ve sao ngay nam thang tinh huyen xa viec nhu bi boi hay "
    "hoac nhat tren duoi sau truoc khi neu vi nen cung rat lam phai muon o theo".split()
)
# English function words; several are also unaccented Vietnamese ("to", "can", "the"),
# which is why they count against, not for, and only weigh half as much as a cue.
_U_EN_WORDS = frozenset(
    "the a an i am in on at to it is of and or he she me be so no go do can but not my his "
    "her we you they this that what which who whom how why when where for with from by as "
    "are was were has have had did does will would then than there here yet get got let set "
    "put its our your their".split()
)
# Pure-letter ASCII words; "S8", "F12tdf", "4G" are model codes, not syllables.
_ASCII_WORD_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])")
_NON_ASCII_LETTER_RE = re.compile(r"[^\W\d_\x00-\x7f]")


def english_word_share(text: str) -> float:
    """Share of the ASCII words of ``text`` that are English function words ("the", "what",
    "did"...): a language signal that proper names ("Dak Lak", "BTGTU") do not blur."""
    toks = [w.lower() for w in _ASCII_WORD_RE.findall(text)]
    return sum(1 for w in toks if w in _U_EN_WORDS) / len(toks) if toks else 0.0


def is_unaccented(text: str) -> bool:
    """True when ``text`` looks like Vietnamese typed without diacritics.

    Rule, on the pure-letter words (acronyms such as "USD", "TP" skipped unless the whole
    text is upper case):
    * no letter outside ASCII at all (so no diacritic, no đ), and at least 3 words;
    * at least 60 % of the words are Vietnamese syllable shapes (onset + rhyme);
    * Vietnamese score >= 3 and > 2 x the number of English function words ("the", "is",
      "which"...), where every syllable-shaped non-English word scores 1, or 2 when it is a
      common unaccented function word ("nao", "cua", "duoc", "khong", "la", "va"...) or has
      a shape English lacks (onset ng/nh/kh/tr/ph/gi/qu, rhyme uong/ieu/anh/inh...).
    "tinh nao bo tri truong ban tuyen giao" -> True; "Which province appointed the head" -> False.
    """
    if _NON_ASCII_LETTER_RE.search(text) or has_diacritics(text):
        return False
    caps = text.isupper()
    toks = [w.lower() for w in _ASCII_WORD_RE.findall(text) if caps or len(w) < 2 or not w.isupper()]
    if len(toks) < 3:
        return False
    shaped = [w for w in toks if _U_SYLLABLE_RE.fullmatch(w)]
    if len(shaped) < 0.6 * len(toks):
        return False
    en = sum(1 for w in toks if w in _U_EN_WORDS)
    vn = sum(
        2 if w in _U_VN_WORDS or _U_DISTINCT_RE.fullmatch(w) else 1
        for w in shaped
        if w not in _U_EN_WORDS
    )
    return vn >= 3 and vn > 2 * en


def is_syllable(word: str) -> bool:
    """True when ``word`` (letters only, any case, with or without diacritics) has the shape of
    one Vietnamese syllable: onset + rhyme, Vietnamese letters only, at most one tone mark."""
    w = display(word).lower()
    if not w or not w.isalpha():
        return False
    tones = 0
    for c in w:
        info = _SPLIT.get(c)
        if info is None:
            if c not in "bcdđghklmnpqrstvx" and not ("a" <= c <= "z"):
                return False  # a letter Vietnamese does not have (ç, ñ, ä, µ…)
        elif info[1]:
            tones += 1
    if tones > 1:
        return False
    return _U_SYLLABLE_RE.fullmatch(fold(w)) is not None

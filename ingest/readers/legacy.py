r"""Legacy Vietnamese 8-bit encodings of the 1990s-2000s: Windows-1258, TCVN3 (ABC fonts), VNI.

A decoding is accepted only when it clearly reads as Vietnamese, never guessed blindly:

    >>> from ingest.readers.legacy import detect_legacy
    >>> from tests.test_ingest_read import to_cp1258  # doctest: +SKIP
    >>> detect_legacy(to_cp1258("Người dân Hòa Bình quý trọng nước, thủy điện và rừng"))[0]  # doctest: +SKIP
    'Windows-1258'
    >>> detect_legacy("Nghị quyết".encode("utf-8")) is None  # too few words to be sure
    True
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["detect_legacy", "vietnamese_confidence", "controls_ratio", "TCVN3_TABLE"]

# C0 controls that never appear in text (tab, LF, VT, FF, CR and ESC are tolerated)
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
# letters only Vietnamese uses: a legacy reading without any of them is not Vietnamese
_VN_ONLY = set("ăằắẳẵặầấẩẫậđềếểễệỉĩịỏọồốổỗộơờớởỡợủũụưừứửữựỳỷỹỵảạẻẽẹằ")


def controls_ratio(text: str) -> float:
    """Share of control characters: high for binary data and for a wrong 8-bit table."""
    if not text:
        return 0.0
    return len(_BAD_CONTROLS.findall(text)) / len(text)

# TCVN 5712:1993 bytes 0x80-0xFF (agrees with glibc's TCVN5712-1). Files typed with the ABC
# ".Vn" fonts use the lowercase slots; uppercase text typed with the "H" fonts comes out in
# lower case (the encoding itself does not say), so it is converted as lowercase.
_TCVN3_HIGH = ("\xc0\u1ea2\xc3\xc1\u1ea0\u1eb6\u1eac\xc8\u1eba\u1ebc\xc9\u1eb8\u1ec6\xcc\u1ec8\u0128"
               "\xcd\u1eca\xd2\u1ece\xd5\xd3\u1ecc\u1ed8\u1edc\u1ede\u1ee0\u1eda\u1ee2\xd9\u1ee6\u0168"
               "\xa0\u0102\xc2\xca\xd4\u01a0\u01af\u0110\u0103\xe2\xea\xf4\u01a1\u01b0\u0111\u1eb0"
               "\u0300\u0309\u0303\u0301\u0323\xe0\u1ea3\xe3\xe1\u1ea1\u1eb2\u1eb1\u1eb3\u1eb5\u1eaf\u1eb4"
               "\u1eae\u1ea6\u1ea8\u1eaa\u1ea4\u1ec0\u1eb7\u1ea7\u1ea9\u1eab\u1ea5\u1ead\xe8\u1ec2\u1ebb\u1ebd"
               "\xe9\u1eb9\u1ec1\u1ec3\u1ec5\u1ebf\u1ec7\xec\u1ec9\u1ec4\u1ebe\u1ed2\u0129\xed\u1ecb\xf2"
               "\u1ed4\u1ecf\xf5\xf3\u1ecd\u1ed3\u1ed5\u1ed7\u1ed1\u1ed9\u1edd\u1edf\u1ee1\u1edb\u1ee3\xf9"
               "\u1ed6\u1ee7\u0169\xfa\u1ee5\u1eeb\u1eed\u1eef\u1ee9\u1ef1\u1ef3\u1ef7\u1ef9\xfd\u1ef5\u1ed0")
assert len(_TCVN3_HIGH) == 128
TCVN3_TABLE = {0x80 + i: c for i, c in enumerate(_TCVN3_HIGH)}

# VNI-Windows fonts: a base letter followed by a mark glyph, stored as Windows-1252 bytes.
_T = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323", "": ""}
_VNI_TONE = {"ù": "s", "ø": "f", "û": "r", "õ": "x", "ï": "j"}  # after a e o u y ơ ư
_VNI_BREVE = {"ê": "", "é": "s", "è": "f", "ú": "r", "ü": "x", "ë": "j"}  # after a: ă + tone
_VNI_CIRC = {"â": "", "á": "s", "à": "f", "å": "r", "ã": "x", "ä": "j"}  # after a e o: â ê ô + tone
_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _upper_too(d: dict[str, str]) -> str:
    return "".join(sorted(set(d) | {k.upper() for k in d if k}))


_VNI_RE = re.compile(
    f"([aA])([{_upper_too(_VNI_BREVE)}])"
    f"|([aAeEoO])([{_upper_too(_VNI_CIRC)}])"
    f"|([aAeEoOuUyYôÔöÖ])([{_upper_too(_VNI_TONE)}])"
    f"|([{_upper_too(_VNI_SINGLE)}])"
)


def _vni_sub(m: re.Match) -> str:
    def out(base: str, shape: str, tone_key: str) -> str:
        return unicodedata.normalize("NFC", base + shape + _T[tone_key])

    if m.group(1):
        return out(m.group(1), "\u0306", _VNI_BREVE[m.group(2).lower()])
    if m.group(3):
        return out(m.group(3), "\u0302", _VNI_CIRC[m.group(4).lower()])
    if m.group(5):
        base = m.group(5)
        shape = ""
        if base.lower() in "ôö":  # VNI's "ô" is ơ and "ö" is ư
            base, shape = ("o" if base.lower() == "ô" else "u"), "\u031b"
            base = base.upper() if m.group(5).isupper() else base
        return out(base, shape, _VNI_TONE[m.group(6).lower()])
    ch = m.group(7)
    vn = _VNI_SINGLE[ch.lower()]
    return vn.upper() if ch.isupper() else vn


def _decode_vni(data: bytes) -> str | None:
    try:
        raw = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return _VNI_RE.sub(_vni_sub, raw)


def _decode_tcvn3(data: bytes) -> str | None:
    text = data.decode("latin-1").translate(TCVN3_TABLE)
    return unicodedata.normalize("NFC", text)  # 0xB0-0xB4 are combining tone marks


def _decode_cp1258(data: bytes) -> str | None:
    try:
        return unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return None


_WORD_EDGE = re.compile(r"^\W+|\W+$")


def vietnamese_confidence(text: str) -> tuple[float, int]:
    """(share of words that are well-formed Vietnamese syllables, number of words counted).

    Words are whitespace-separated runs with punctuation trimmed; numbers are not counted.
    A wrong legacy table leaves stray symbols and impossible letter sequences inside words,
    so the share of a wrong decoding is low; a right one is near 1 (foreign names aside)."""
    from rag.vntext import is_syllable

    n = ok = 0
    for tok in text.split():
        w = _WORD_EDGE.sub("", tok)
        if not w or any(c.isdigit() for c in w):
            continue
        n += 1
        ok += is_syllable(w)
    return (ok / n if n else 0.0), n


LEGACY_MIN_WORDS = 8
LEGACY_MIN_SHARE = 0.85
LEGACY_MIN_LEAD = 0.15  # over the next best reading: two plausible decodings = not confident


def detect_legacy(data: bytes) -> tuple[str, str] | None:
    """(encoding name, text) for bytes that are confidently Windows-1258, TCVN3 or VNI
    Vietnamese, else None. Every table is tried; the best must read as Vietnamese (share of
    well-formed syllables >= 0.85 over >= 8 words, some with diacritics) and clearly beat the
    others. A guess below that is refused rather than stored as mojibake."""
    scored = []
    for name, fn in (("Windows-1258", _decode_cp1258), ("TCVN3", _decode_tcvn3), ("VNI", _decode_vni)):
        text = fn(data)
        if text is None or controls_ratio(text) > 0.01:
            continue
        if any(unicodedata.combining(c) for c in text):  # a tone mark NFC could not attach
            share = 0.0
        else:
            share, n = vietnamese_confidence(text)
            if n < LEGACY_MIN_WORDS or not any(c in _VN_ONLY for c in text.lower()):
                share = 0.0
        scored.append((share, name, text))
    scored.sort(key=lambda x: -x[0])
    if not scored or scored[0][0] < LEGACY_MIN_SHARE:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < LEGACY_MIN_LEAD:
        return None
    return scored[0][1], scored[0][2]

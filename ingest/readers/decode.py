r"""Bytes to text, strictly: a BOM, UTF-8, UTF-16 without BOM, or a legacy Vietnamese encoding
that really reads as Vietnamese; binary files are refused with the reason.

    >>> from ingest.readers.decode import decode_bytes
    >>> decode_bytes("Hòa Bình\r\n".encode("utf-16"))
    'Hòa Bình\n'
"""
from __future__ import annotations

import unicodedata

from ingest.readers.legacy import controls_ratio, detect_legacy

__all__ = ["DecodeError", "decode_bytes", "finish_text"]


class DecodeError(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)

def finish_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)


def _utf16_without_bom(data: bytes) -> str | None:
    """Endianness from where the NUL bytes sit (ASCII letters and spaces have a NUL high byte)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    ne, no = even.count(0) / len(even), odd.count(0) / len(odd)
    if no >= 0.3 and ne <= 0.05:
        codec = "utf-16-le"
    elif ne >= 0.3 and no <= 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    if controls_ratio(text) > 0.001 or any(0xE000 <= ord(c) <= 0xF8FF for c in text):
        return None
    return text


def decode_bytes(data: bytes, source: str = "") -> str:
    """Bytes -> NFC text, or raise ``DecodeError(reason)`` with a human sentence.

    Order: BOM (UTF-8, UTF-16/32 LE/BE); binary refusal (known magic numbers, NUL bytes unless
    the NUL pattern says UTF-16 without BOM); strict UTF-8; Windows-1258 only when the result
    reads as Vietnamese (cp1258 keeps tones as combining marks, hence the NFC).
    """
    if not data:
        raise DecodeError("empty file (0 bytes)")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return finish_text(data[len(bom):].decode(codec))
            except UnicodeDecodeError as e:
                raise DecodeError(f"cannot decode: starts with a {name} byte-order mark but is not "
                                  f"valid {name} (byte {e.start + len(bom)})") from None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DecodeError(f"binary file ({what})")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return finish_text(text)
        raise DecodeError("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8")
        bad = None
    except UnicodeDecodeError as e:
        text, bad = None, e
    if text is not None:
        if controls_ratio(text) > 0.01:
            raise DecodeError("binary file (control characters)")
        return finish_text(text)
    if controls_ratio(data.decode("latin-1")) > 0.01:
        raise DecodeError("binary file (control characters)")
    if bad is not None and bad.end == len(data) and len(data) - bad.start < 4:
        try:  # valid UTF-8 up to a character cut off at the end: a truncated file, not a legacy one
            data[:bad.start].decode("utf-8")
            raise DecodeError(f"truncated file: it ends in the middle of a UTF-8 character "
                              f"(byte {bad.start} of {len(data)}); the article would be incomplete")
        except UnicodeDecodeError:
            pass
    legacy = detect_legacy(data)
    if legacy is not None:
        return finish_text(legacy[1])
    hint = ""
    try:  # only to make the message more useful; never used to decode
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding not in ("utf_8", "cp1258"):
            hint = f" (it looks like {best.encoding})"
    except Exception:  # pragma: no cover - optional dependency trouble
        pass
    where = f" (invalid byte 0x{data[bad.start]:02x} at {bad.start})" if bad is not None else ""
    raise DecodeError("cannot decode: not UTF-8/UTF-16/Windows-1258/TCVN3/VNI" + where + hint)

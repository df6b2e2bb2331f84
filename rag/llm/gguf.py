"""GGUF header metadata and the chat template llama.cpp should use for a model file.

    >>> chat_template_for("gemma-3-270m.gguf")  # doctest: +SKIP
    ('gemma', False)
"""
from __future__ import annotations

import mmap
import re
import struct
from pathlib import Path
from typing import Any

_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def gguf_metadata(path: str | Path, keys: set[str]) -> dict[str, Any]:
    """Read string/scalar metadata values of a GGUF file's header (no dependency on `gguf`)."""
    out: dict[str, Any] = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:4] != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        (n_kv,) = struct.unpack_from("<Q", m, 16)
        pos = 24

        def skip(t: int, pos: int) -> int:
            if t in _GGUF_SCALARS:
                return pos + struct.calcsize("<" + _GGUF_SCALARS[t])
            if t == 8:  # string
                return pos + 8 + struct.unpack_from("<Q", m, pos)[0]
            if t == 9:  # array
                et, n = struct.unpack_from("<IQ", m, pos)
                pos += 12
                if et in _GGUF_SCALARS:
                    return pos + n * struct.calcsize("<" + _GGUF_SCALARS[et])
                for _ in range(n):
                    pos = skip(et, pos)
                return pos
            raise ValueError(f"unknown GGUF value type {t}")

        for _ in range(n_kv):
            (klen,) = struct.unpack_from("<Q", m, pos)
            key = bytes(m[pos + 8 : pos + 8 + klen]).decode("utf-8", "replace")
            pos += 8 + klen
            (t,) = struct.unpack_from("<I", m, pos)
            pos += 4
            if key in keys:
                if t == 8:
                    (n,) = struct.unpack_from("<Q", m, pos)
                    out[key] = bytes(m[pos + 8 : pos + 8 + n]).decode("utf-8", "replace")
                elif t in _GGUF_SCALARS:
                    out[key] = struct.unpack_from("<" + _GGUF_SCALARS[t], m, pos)[0]
            pos = skip(t, pos)
            if len(out) == len(keys):
                break
    return out


def chat_template_for(path: str | Path) -> tuple[str, bool]:
    """(chat_template, use_jinja) for llama.cpp: the GGUF's own template when it has one,
    else a built-in template named after the model family (file name or architecture)."""
    meta = _gguf_meta(path)
    if meta.get("tokenizer.chat_template"):
        return "", True  # llama.cpp applies the file's own Jinja template
    return named_template(path, meta), False  # with use_jinja=True a name would itself be the template


def _gguf_meta(path: str | Path) -> dict[str, Any]:
    try:
        return gguf_metadata(path, {"tokenizer.chat_template", "general.architecture", "general.name"})
    except Exception:
        return {}


def named_template(path: str | Path, meta: dict[str, Any] | None = None) -> str:
    """One of llama.cpp's built-in templates, picked from the file name and architecture."""
    meta = _gguf_meta(path) if meta is None else meta
    hint = " ".join([Path(path).name, str(meta.get("general.architecture", "")),
                     str(meta.get("general.name", ""))]).lower()
    if "gemma" in hint:
        return "gemma"
    if re.search(r"llama[-_ ]?3", hint):
        return "llama3"
    if re.search(r"phi[-_ ]?3", hint):
        return "phi3"
    return "chatml"

"""Uploaded files: safe names, type and size checks, and the copy into <data_dir>/uploads/.

    >>> safe_filename("../../evil.txt")
    'evil.txt'
    >>> safe_filename("export.jsonl.gz")
    'export.jsonl.gz'
"""
from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.readers import SUPPORTED as UPLOAD_EXTS  # what ingest reads is what the upload tab accepts

STATUS_VI = {"stored": "đã lưu", "unchanged": "không đổi (đã có)", "failed": "lỗi",
             "duplicate": "trùng lặp (bỏ qua)"}


class UploadError(ValueError):
    """An upload refused before ingestion (the message is shown in the result table)."""


@dataclass
class FileResult:
    name: str
    status: str  # "stored" | "unchanged" | "failed" | "duplicate"
    detail: str


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


def save_upload(src: str | Path, name: str | None, uploads_dir: Path, max_file_mb: float) -> Path:
    """Copy an uploaded temp file to uploads/<sanitised name>; refuse type and size problems."""
    src = Path(src)
    fname = safe_filename(name or src.name)
    if not fname.lower().endswith(UPLOAD_EXTS):
        raise UploadError(f"định dạng không hỗ trợ (chỉ nhận {', '.join(UPLOAD_EXTS)})")
    try:
        size = src.stat().st_size
    except OSError as e:
        raise UploadError(f"không đọc được tệp tải lên: {e.strerror or e}") from None
    if size > int(max_file_mb * 1024 * 1024):
        raise UploadError(f"tệp {size / 1048576:.1f} MB, vượt giới hạn {max_file_mb:g} MB (HOIDAP_MAX_FILE_MB)")
    root = uploads_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    dest = (root / fname).resolve()
    if dest.parent != root:  # belt and braces: safe_filename already removed separators
        raise UploadError("tên tệp không hợp lệ")
    tmp = root / f".{fname}.{uuid.uuid4().hex[:8]}.part"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest

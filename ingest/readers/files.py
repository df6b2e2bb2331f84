"""The file system side of reading: walking folders, refusing what is not a regular file,
size limits, and loading a file as text.

    >>> from ingest.readers.files import human_size, load_text
    >>> load_text(Path("data/sample/000_dcdfc6636e64646c.txt"), 20 << 20)[:20]  # str or ReadFailure
    'Đoàn công tác Vụ Tổ '
    >>> load_text(Path("data/sample/000_dcdfc6636e64646c.txt"), 100).reason
    'file is 3 KB, over the 100 bytes limit (HOIDAP_MAX_FILE_MB)'
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Callable, Iterator

from ingest.readers.decode import DecodeError, decode_bytes
from ingest.readers.items import ReadFailure

__all__ = ["human_size", "walk", "not_a_file", "read_bytes", "load_text"]


def human_size(n: int) -> str:
    mb = n / (1024 * 1024)
    if mb >= 10:
        return f"{mb:.0f} MB"
    if mb >= 1:
        return f"{mb:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[Path | ReadFailure]:
    """Files under `folder`, sorted by name at each level, hidden entries skipped, no loops."""
    try:
        st = folder.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:  # said, not skipped silently: the user expects its articles
        yield ReadFailure(str(folder), f"cannot read folder: {e.strerror or e}".replace("Permission", "permission"))
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        p = Path(e.path)
        try:
            is_dir = e.is_dir()  # follows symlinks; loops are cut by `seen`
        except OSError:
            is_dir = False
        if is_dir:
            yield from walk(p, seen)
        else:
            yield p


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file (dangling or looping link, pipe, device…), or None."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        if path.is_symlink():
            return "broken symbolic link"
        if e.errno == errno.EACCES:
            return "cannot read: permission denied"
        return f"cannot read: {e.strerror or e}"
    if stat.S_ISDIR(st.st_mode):
        return "cannot read: is a folder"
    if not stat.S_ISREG(st.st_mode):
        # opening a named pipe would block until someone writes to it
        kind = ("a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "special")
        return f"not a regular file ({kind})"
    return None


def read_bytes(path: Path, max_bytes: int) -> bytes | ReadFailure:
    src = str(path)
    try:
        bad = not_a_file(path)
        if bad:
            return ReadFailure(src, bad)
        size = path.stat().st_size
        if size > max_bytes:
            return ReadFailure(src, f"file is {human_size(size)}, over the {human_size(max_bytes)} "
                                    f"limit (HOIDAP_MAX_FILE_MB)")
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            return ReadFailure(src, f"file is over the {human_size(max_bytes)} limit (HOIDAP_MAX_FILE_MB)")
        return data
    except PermissionError:
        return ReadFailure(src, "cannot read: permission denied")
    except IsADirectoryError:
        return ReadFailure(src, "cannot read: is a folder")
    except OSError as e:
        return ReadFailure(src, f"cannot read: {e.strerror or e}")


def load_text(path: Path, max_bytes: int,
              decode: Callable[[bytes, str], str] = decode_bytes) -> str | ReadFailure:
    """The file decoded to NFC text, or why not (too big, unreadable, binary, only whitespace)."""
    data = read_bytes(path, max_bytes)
    if isinstance(data, ReadFailure):
        return data
    try:
        text = decode(data, str(path))
    except DecodeError as e:
        return ReadFailure(str(path), e.reason)
    if not text.strip():
        return ReadFailure(str(path), "empty file (only whitespace)")
    return text

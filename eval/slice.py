"""A fixed slice of the shared news corpora, named by article ids, rebuilt on demand.

The shared corpora (``<shared>/corpus/baomoi.jsonl.gz``, 35k Báo Mới articles of 2017, and
``<shared>/corpus/dantri_unc.jsonl.gz``, 2.6k Dân trí articles of 2020-21) are too big to commit
and too big to ingest for a quick eval. A suite such as ``eval/suites/news_dev.jsonl`` is written
against a slice of about 2,000 of their articles; the repo commits only the slice's ids
(``eval/suites/news_dev.ids``) and this module rebuilds the JSONL corpus from them:

    hoidap eval-slice eval/suites/news_dev.ids --shared ../shared --out .hoidap/slices/news_dev.jsonl

The ids file is text: ``# `` comment lines (one of them ``# sha256 <hex>`` of the rebuilt file),
then one ``<article id>\\t<group>`` per line; the group says why the article is in the slice
(a topical cluster, or ``random``). The rebuilt file holds the source records unchanged, one per
line in the ids file's order, so it is byte-identical on every run; a differing sha256 means the
shared corpora changed and the suite's gold sources may no longer hold.

How the slice was chosen (``select_slice``; rerun only to cut a new slice, it rewrites the ids):
topical clusters first, so every kind of question has same-topic distractors (several articles
on Party propaganda work, local government, the economy, education, health, culture, disasters),
then Dân trí articles per category, then a seeded random sample of the remaining Báo Mới
articles. Every draw is a seeded sample of candidates sorted by id.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SOURCES = ("corpus/baomoi.jsonl.gz", "corpus/dantri_unc.jsonl.gz")
SEED = 20261203
SIZE = 2000

# (group, regex searched in the title (Báo Mới) or first line (Dân trí), how many to draw).
# The propaganda cluster searches the text too: few titles say "tuyên giáo".
CLUSTERS: tuple[tuple[str, str, int], ...] = (
    ("propaganda", r"[Tt]uyên giáo|[Tt]uyên vận|[Dd]ân vận", 1000),  # every one: the product's core topic
    ("party", r"[Tt]ỉnh ủy|[Tt]hành ủy|[Hh]uyện ủy|[Đđ]ảng ủy|Bí thư", 150),
    ("government", r"HĐND|UBND|Chủ tịch (tỉnh|UBND|thành phố|TP)|kỳ họp|cử tri|[Ss]áp nhập|cán bộ|công chức", 130),
    ("economy", r"GRDP|GDP|ngân sách|FDI|vốn đầu tư|xuất khẩu|tăng trưởng|doanh thu|nông thôn mới", 150),
    ("education", r"thi THPT|tuyển sinh|điểm chuẩn|học sinh giỏi|lớp 10|đại học|giáo viên|trường học", 150),
    ("health", r"sốt xuất huyết|tay chân miệng|bệnh viện|[Dd]ịch |ngộ độc|vắc xin|vaccine|Bộ Y tế|bệnh nhân", 150),
    ("culture", r"lễ hội|[Ll]ễ hội|di tích|di sản|[Bb]ảo tàng|festival|[Ff]estival|văn hóa", 120),
    ("disaster", r"[Bb]ão|lũ|sạt lở|mưa lớn|lốc|hạn hán|xâm nhập mặn", 80),
)
DANTRI_PER_CATEGORY = {"education": 60, "health": 60, "society": 60, "business": 60, "travel": 30,
                       "science": 25, "tech": 25, "world": 25, "sport": 20, "entertainment": 20}


class SliceError(ValueError):
    """A problem with the ids file or the shared corpora; the message names the file."""


@dataclass(frozen=True)
class Entry:
    id: str
    group: str


def _records(shared: Path) -> Iterator[tuple[str, str]]:
    """(raw JSON line, source file name) for every article of the shared corpora, in file order."""
    for rel in SOURCES:
        path = shared / rel
        if not path.is_file():
            raise SliceError(f"missing shared corpus file: {path}")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield line.rstrip("\n"), path.name


def _heading(rec: dict) -> str:
    return rec.get("title") or rec.get("text", "").split("\n", 1)[0]


def select_slice(shared: str | Path, size: int = SIZE, seed: int = SEED) -> list[Entry]:
    """Choose the slice (see the module doc). Deterministic for the same shared files."""
    baomoi, dantri = [], []
    for line, name in _records(Path(shared)):
        rec = json.loads(line)
        (baomoi if name.startswith("baomoi") else dantri).append(rec)
    rng = random.Random(seed)
    chosen: dict[str, str] = {}
    # near-identical reposts of one story (same opening) count once, so a cluster is not one event
    seen_openings: set[str] = set()

    def take(candidates: list[dict], n: int, group: str) -> None:
        pool = sorted((r for r in candidates if r["id"] not in chosen), key=lambda r: r["id"])
        for rec in rng.sample(pool, min(n, len(pool))):
            opening = rec["text"][:200]
            if opening in seen_openings or len(rec["text"]) < 400:
                continue
            seen_openings.add(opening)
            chosen[rec["id"]] = group

    for group, pattern, n in CLUSTERS:
        rx = re.compile(pattern)
        if group == "propaganda":  # both corpora, title and text
            cands = [r for r in baomoi + dantri if rx.search(_heading(r) + "\n" + r["text"])]
        else:
            cands = [r for r in baomoi if rx.search(_heading(r))]
        take(cands, n, group)
    for category, n in DANTRI_PER_CATEGORY.items():
        take([r for r in dantri if r.get("category") == category], n, f"dantri-{category}")
    take(baomoi, size - len(chosen), "random")
    while len(chosen) < size:  # skipped reposts and stubs leave gaps: draw again
        before = len(chosen)
        take(baomoi, size - len(chosen), "random")
        if len(chosen) == before:
            break
    return [Entry(i, g) for i, g in chosen.items()]


def read_ids(path: str | Path) -> tuple[list[Entry], str | None]:
    """The entries of an ids file and the sha256 its header records (None if it has none)."""
    path = Path(path)
    if not path.is_file():
        raise SliceError(f"no such ids file: {path}")
    entries: list[Entry] = []
    digest = None
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*sha256\s+([0-9a-f]{64})\s*$", line)
            digest = m.group(1) if m else digest
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise SliceError(f"{path.name} line {n}: expected '<id><TAB><group>', got {line!r}")
        if parts[0] in seen:
            raise SliceError(f"{path.name} line {n}: duplicate id {parts[0]!r}")
        seen.add(parts[0])
        entries.append(Entry(parts[0].strip(), parts[1].strip()))
    if not entries:
        raise SliceError(f"{path.name}: no article ids")
    return entries, digest


def build_slice(ids_path: str | Path, shared: str | Path, out: str | Path | None = None,
                check_digest: bool = True) -> tuple[int, str]:
    """Write the slice's records (JSONL, ids-file order) to `out` (or only hash them when None).
    Returns (articles, sha256 of the bytes). Raises SliceError when an id is missing from the
    shared corpora, or (check_digest) when the bytes differ from the digest the ids file records."""
    entries, expected = read_ids(ids_path)
    wanted = {e.id for e in entries}
    lines: dict[str, str] = {}
    for line, _ in _records(Path(shared)):
        m = re.match(r'\{"id":\s*"([^"]+)"', line)
        rid = m.group(1) if m else json.loads(line).get("id")
        if rid in wanted:
            lines[rid] = line
    missing = [e.id for e in entries if e.id not in lines]
    if missing:
        raise SliceError(f"{len(missing)} ids of {Path(ids_path).name} are not in {shared}/corpus: "
                         + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""))
    data = "".join(lines[e.id] + "\n" for e in entries).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    if check_digest and expected and digest != expected:
        raise SliceError(f"the rebuilt slice's sha256 {digest[:12]}… differs from {expected[:12]}… recorded in "
                         f"{Path(ids_path).name}: the shared corpora have changed since the slice was cut")
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(out)
    return len(entries), digest


def write_ids(entries: list[Entry], path: str | Path, shared: str | Path, header: str = "") -> str:
    """Write an ids file for `entries` with the sha256 of the slice they rebuild to. Returns it."""
    path = Path(path)
    body = "".join(f"{e.id}\t{e.group}\n" for e in entries)
    path.write_text(body, encoding="utf-8")  # digest-free first, to hash the rebuild
    _, digest = build_slice(path, shared, None, check_digest=False)
    lines = [f"# {h}" if h else "#" for h in header.splitlines()]
    lines.append(f"# sha256 {digest}")
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return digest

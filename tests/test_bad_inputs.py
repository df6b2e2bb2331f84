"""A corpus of hostile inputs, generated here (no committed binaries), ingested for real on top of
the sample articles: every file ends stored correctly or rejected with a reason naming it, nothing
crashes, no document is half-stored, and the earlier articles are untouched."""
from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_sample_store, make_settings, record

VN = ("Tỉnh ủy Sơn La tổ chức hội nghị tổng kết công tác tuyên giáo năm 2023 tại thành phố. "
      "Đồng chí Bí thư tỉnh ủy phát biểu chỉ đạo hội nghị và giao nhiệm vụ trọng tâm cho năm tới. "
      "Các đại biểu thảo luận về việc đổi mới phương thức tuyên truyền ở cơ sở.")
MB = 1024 * 1024


def vni_encode(text: str) -> bytes:
    """Unicode -> VNI-Windows bytes (the inverse of ingest.readers.legacy's VNI table, for test input)."""
    tones = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
    breve = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
    circ = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
    i_tone = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
    out = []
    for ch in text:
        if ch in "đĐ":
            out.append("ñ" if ch == "đ" else "Ñ")
            continue
        d = unicodedata.normalize("NFD", ch)
        base, marks = d[0], d[1:]
        if not marks or not base.isalpha():
            out.append(ch)
            continue
        up = base.isupper()
        tone = next((m for m in marks if m in tones), "")
        shape = next((m for m in marks if m in "\u0306\u0302\u031b"), "")
        b = base.lower()
        if b == "i" and tone and not shape:
            s = i_tone[tone]
        elif b == "y" and tone == "\u0323":
            s = "î"
        elif shape == "\u031b":
            s = ("ô" if b == "o" else "ö") + (tones[tone] if tone else "")
        elif shape == "\u0306":
            s = "a" + breve[tone]
        elif shape == "\u0302":
            s = b + circ[tone]
        else:
            s = b + tones[tone]
        out.append(s.upper() if up else s)
    return "".join(out).encode("cp1252")


def tcvn3_encode(text: str) -> bytes:
    from ingest.readers.legacy import TCVN3_TABLE as _TCVN3_TABLE

    inv = {v: k for k, v in _TCVN3_TABLE.items() if len(v) == 1 and not unicodedata.combining(v)}
    return bytes(inv[c] if c in inv else ord(c) for c in text)


def _iconv_tcvn(text: str) -> bytes | None:
    """glibc's own TCVN 5712 encoder: an outside reference for the TCVN3 table."""
    try:
        r = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=text.encode(), capture_output=True)
    except FileNotFoundError:
        return None
    return r.stdout if r.returncode == 0 else None


# ------------------------------------------------------------------------------------ the corpus

def build_corpus(root: Path) -> dict[str, tuple[str, str]]:
    """Write the hostile files; returns {name: (expected outcome, detail)} where outcome is
    "stored" (detail: a phrase the stored text must contain), "rejected" (detail: part of the
    reason) or "duplicate"."""
    exp: dict[str, tuple[str, str]] = {}
    rnd = random.Random(7)

    def put(name: str, data: bytes, outcome: str, detail: str) -> None:
        (root / name).write_bytes(data)
        exp[name] = (outcome, detail)

    put("empty.txt", b"", "rejected", "empty file (0 bytes)")
    put("blank.md", b" \n\t\n  \n", "rejected", "empty file")
    put("binary.txt", rnd.randbytes(64 * 1024), "rejected", "binary file")
    put("image.html", b"\x89PNG\r\n\x1a\n" + rnd.randbytes(4096), "rejected", "binary file (a PNG image)")
    put("elf.md", b"\x7fELF\x02\x01\x01" + rnd.randbytes(2048), "rejected", "binary file (an executable)")
    put("controls.txt", b"ok\x01\x02\x03\x04\x05\x06text\x07\x08" * 50, "rejected", "binary file")
    utf8 = ("Bản tin " + VN).encode("utf-8")
    put("truncated.txt", utf8[:-1], "rejected", "truncated file")  # "." is 1 byte: cut inside "ở"? see below
    cut = utf8[: utf8.rindex("ở".encode()) + 1]  # the first byte of a 3-byte character
    (root / "truncated.txt").write_bytes(cut)
    put("corrupt_utf8.txt", utf8[:40] + b"\xff\xfe\xfa" + utf8[40:], "rejected", "cannot decode")
    put("utf16_bom.txt", b"\xff\xfe" + ("Tin UTF-16 có BOM. " + VN).encode("utf-16-le"), "stored",
        "Tin UTF-16 có BOM")
    put("utf16le_nobom.txt", ("Tin UTF-16LE không BOM. " + VN).encode("utf-16-le"), "stored",
        "Tin UTF-16LE không BOM")
    put("utf16be_nobom.txt", ("Tin UTF-16BE không BOM. " + VN).encode("utf-16-be"), "stored",
        "Tin UTF-16BE không BOM")
    from tests.test_ingest_read import to_cp1258

    cp = to_cp1258("Bản Windows-1258. " + VN)
    put("cp1258.txt", cp, "stored", "Bản Windows-1258")
    tcvn_text = "bản tcvn3 của tỉnh Điện Biên. " + VN
    put("tcvn3.txt", _iconv_tcvn(tcvn_text) or tcvn3_encode(tcvn_text), "stored", "bản tcvn3 của tỉnh Điện Biên")
    put("vni.txt", vni_encode("Bản VNI của tỉnh Quảng Ngãi, người dân ở đây rất hiếu khách. " + VN), "stored",
        "Bản VNI của tỉnh Quảng Ngãi, người dân ở đây rất hiếu khách")
    put("latin1.txt", ("Ceci n'est pas du vietnamien: garçon, façade, où, déjà vu, crème brûlée. " * 3)
        .encode("cp1252"), "rejected", "cannot decode")
    put("nfd.txt", unicodedata.normalize("NFD", "Bản NFD về Đắk Nông. " + VN).encode(), "stored",
        "Bản NFD về Đắk Nông")
    # HTML: scripts, iframes, styles, event handlers, megabytes of navigation around one article
    nav = "<nav><ul>" + "".join(f'<li><a href="/muc/{i}">Chuyên mục điều hướng {i}</a></li>'
                                for i in range(40000)) + "</ul></nav>"
    page = (f"<html><head><title>Trang tin</title><script>{'var x=1;' * 20000}</script>"
            f"<style>body{{color:red}}</style></head><body>{nav}"
            "<iframe src='https://evil.example/'>khung lạ</iframe>"
            "<article><h1>Hội nghị tuyên giáo tỉnh Sơn La</h1>"
            f"<p onclick='alert(1)'>Bản HTML có kịch bản. {VN}</p><script>document.write('mã độc')</script>"
            f"<p>{VN}</p></article>{nav}</body></html>")
    put("scripts_nav.html", page.encode(), "stored", "Bản HTML có kịch bản")
    deep = ("<html><body>" + "<div><span>" * 50000 + f"<p>Bản HTML lồng sâu. {VN}</p>"
            + "</span></div>" * 50000 + "</body></html>")
    put("deep.html", deep.encode(), "stored", "Bản HTML lồng sâu")
    put("blob.txt", (f"Bản có khối base64. {VN}\n\n" + base64.b64encode(rnd.randbytes(150_000)).decode()
                     + f"\n\n{VN}").encode(), "stored", "Bản có khối base64")
    # 50 MB: over the 20 MB default limit, refused from its size (not read into memory)
    with open(root / "huge.txt", "wb") as f:
        line = (VN + "\n").encode()
        for _ in range(50 * MB // len(line) + 1):
            f.write(line)
    exp["huge.txt"] = ("rejected", "over the 20 MB limit")
    with open(root / "huge.jsonl", "wb") as f:  # one 50 MB record, then a normal one
        f.write(b'{"id": "huge-1", "text": "' + (VN.encode() + b" ") * (50 * MB // len(VN.encode())) + b'"}\n')
        f.write(json.dumps({"id": "after-huge", "text": "Bản sau bản ghi khổng lồ. " + VN},
                           ensure_ascii=False).encode() + b"\n")
    exp["huge.jsonl#L1"] = ("rejected", "over the 20 MB limit")
    exp["after-huge"] = ("stored", "Bản sau bản ghi khổng lồ")
    # JSONL: broken lines, wrong types, missing text
    lines = [
        json.dumps({"id": "rec-ok", "title": "Bản ghi tốt", "text": "Bản ghi JSONL tốt. " + VN}, ensure_ascii=False),
        '{"id": "rec-broken", "text": "Bản ghi hỏng',
        "[1, 2, 3]",
        json.dumps({"id": "rec-num", "text": 42}),
        json.dumps({"id": "rec-missing", "title": "Không có nội dung"}, ensure_ascii=False),
        json.dumps({"id": "rec-empty", "text": "   "}),
        json.dumps({"id": 123, "title": 456, "date": 20240305, "author": ["a", "b"], "url": {"x": 1},
                    "text": "Bản ghi kiểu lạ. " + VN}, ensure_ascii=False),
        json.dumps({"id": {"x": 1}, "text": "Bản ghi id là đối tượng. " + VN}, ensure_ascii=False),
        json.dumps({"id": "rec-ok", "text": "Bản ghi trùng id. " + VN}, ensure_ascii=False),
        "",
        "null",
        json.dumps({"id": "rec-date", "date": "không phải ngày", "text": "Bản ghi ngày sai. " + VN},
                   ensure_ascii=False),
    ]
    data = "\n".join(lines).encode() + b"\n" + b'{"id": "rec-bytes", "text": "\xff\xfe bad"}\n'
    (root / "records.jsonl").write_bytes(data)
    exp.update({
        "rec-ok": ("stored", "Bản ghi JSONL tốt"),
        "records.jsonl#L2": ("rejected", "invalid JSON"),
        "records.jsonl#L3": ("rejected", "expected a JSON object, got list"),
        "records.jsonl#L4": ("rejected", "'text' must be a string, not int"),
        "records.jsonl#L5": ("rejected", "missing 'text'"),
        "records.jsonl#L6": ("rejected", "'text' is empty"),
        "123": ("stored", "Bản ghi kiểu lạ"),
        "records.jsonl#L8": ("rejected", "'id' must be a string or a number"),
        "records.jsonl#L9": ("rejected", "duplicate document id 'rec-ok'"),
        "records.jsonl#L11": ("rejected", "expected a JSON object, got NoneType"),
        "rec-date": ("stored", "Bản ghi ngày sai"),
        "records.jsonl#L13": ("rejected", "not valid UTF-8"),
    })
    # the same article under three names (the third only differs in Unicode form and tone placement)
    dup = "Bản trùng lặp về tỉnh Hòa Bình. " + VN
    put("dup_a.txt", dup.encode(), "stored", "Bản trùng lặp về tỉnh Hòa Bình")
    put("dup_b.txt", dup.encode(), "duplicate", "same text as dup_a.txt")
    put("dup_c.txt", unicodedata.normalize("NFD", dup.replace("Hòa", "Hoà")).encode(), "duplicate",
        "same text as dup_a.txt")
    # links, pipes, folders with file names, unreadable files
    os.symlink("loop_b.txt", root / "loop_a.txt")
    os.symlink("loop_a.txt", root / "loop_b.txt")
    os.symlink("self.txt", root / "self.txt")
    os.symlink("/nonexistent/hoidap/article.txt", root / "dangling.txt")
    exp.update({"loop_a.txt": ("rejected", "symbolic link loop"), "loop_b.txt": ("rejected", "symbolic link loop"),
                "self.txt": ("rejected", "symbolic link loop"), "dangling.txt": ("rejected", "broken symbolic link")})
    (root / "sub").mkdir()
    (root / "sub" / "inner.txt").write_text("Bản trong thư mục con. " + VN, encoding="utf-8")
    os.symlink("..", root / "sub" / "up")  # a folder loop: walked once, never twice
    exp["sub/inner.txt"] = ("stored", "Bản trong thư mục con")
    (root / "folder.txt").mkdir()
    (root / "folder.txt" / "real.txt").write_text("Bản trong thư mục tên .txt. " + VN, encoding="utf-8")
    exp["folder.txt/real.txt"] = ("stored", "Bản trong thư mục tên .txt")
    os.mkfifo(root / "pipe.txt")  # opening it would block forever
    exp["pipe.txt"] = ("rejected", "not a regular file (a named pipe)")
    locked = root / "unreadable.txt"
    locked.write_text("Bản không đọc được. " + VN, encoding="utf-8")
    locked.chmod(0)
    # root reads a mode-000 file anyway: then it is simply stored (the permission-denied path is
    # exercised as an unprivileged user in test_unreadable_file_as_unprivileged_user)
    exp["unreadable.txt"] = ("stored", "Bản không đọc được") if os.geteuid() == 0 else \
        ("rejected", "permission denied")
    return exp


def test_bad_input_corpus(sample_store, embedder, tmp_path):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    settings = make_settings(copy_sample_store(sample_store, tmp_path / "data"))
    corpus = tmp_path / "bad"
    corpus.mkdir()
    expected = build_corpus(corpus)
    with Store(settings) as store:
        before = {d["doc_id"]: (d["content_hash"], d["n_chunks"]) for d in store.list_documents()}
        before_chunks = store.count_chunks()
        t0 = time.perf_counter()
        report = Ingestor(settings, store=store, embedder=embedder).run([corpus], progress=False)
        seconds = time.perf_counter() - t0
        docs = {d["doc_id"]: d for d in store.list_documents(with_text=True)}
        # no partial document: nothing in flight, every article's chunks are all there
        assert store.pending() == set()
        assert store.count_chunks() == sum(d["n_chunks"] for d in docs.values())
        for doc_id in docs:
            assert store._count(doc_id, docs[doc_id]["content_hash"]) == docs[doc_id]["n_chunks"]
    # earlier data intact
    assert {k: (docs[k]["content_hash"], docs[k]["n_chunks"]) for k in before} == before
    failed = {Path(s).relative_to(corpus).as_posix() if s.startswith(str(corpus)) else s: r
              for s, r in report.failed}
    dups = {Path(s).relative_to(corpus).as_posix(): r for s, r in report.duplicates}
    rows = []
    for name, (outcome, detail) in expected.items():
        if outcome == "stored":
            assert name in docs, (name, failed.get(name), report.summary())
            text = docs[name]["text"]
            assert detail in text, (name, text[:200])
            assert unicodedata.is_normalized("NFC", text)
            got = "stored"
        elif outcome == "rejected":
            assert name in failed, (name, sorted(failed), sorted(docs))
            assert detail in failed[name], (name, failed[name])
            got = failed[name]
        else:
            assert name in dups, (name, dups)
            assert detail in dups[name]
            got = dups[name]
        rows.append({"input": name, "outcome": outcome, "detail": got})
    # nothing unexpected: every stored, failed or skipped item is one of the cases above
    new_docs = set(docs) - set(before)
    assert new_docs == {n for n, (o, _) in expected.items() if o == "stored"}
    assert set(failed) == {n for n, (o, _) in expected.items() if o == "rejected"}
    assert set(dups) == {n for n, (o, _) in expected.items() if o == "duplicate"}
    # what was kept of the hostile HTML is the article, not its code or navigation
    html = docs["scripts_nav.html"]["text"]
    for junk in ("var x", "alert", "mã độc", "khung lạ", "Chuyên mục điều hướng", "color:red"):
        assert junk not in html
    assert docs["scripts_nav.html"]["title"] == "Hội nghị tuyên giáo tỉnh Sơn La"
    assert "base64" in docs["blob.txt"]["text"] and max(map(len, docs["blob.txt"]["text"].split())) < 200
    assert docs["123"]["title"] == "456" and docs["rec-date"].get("published") is None
    assert not any(d.startswith("sub/up/") for d in docs)  # the folder loop was cut
    assert seconds < 300, seconds
    record("bad_inputs", rows=rows, seconds=round(seconds, 1), stored=len(report.stored),
           rejected=len(report.failed), duplicates=len(report.duplicates), earlier_intact=len(before))


def test_legacy_tables_against_references():
    """TCVN3 decodes glibc's own TCVN 5712 encoding; VNI round-trips; none is guessed from too
    little text, and English or French text is never "converted"."""
    from ingest.readers.legacy import detect_legacy

    text = "thành phố hồ chí minh tổ chức lễ hội đường sách tết nguyên đán với nhiều hoạt động đặc sắc"
    ref = _iconv_tcvn(text)
    if ref is not None:
        assert detect_legacy(ref) == ("TCVN3", text)
    assert detect_legacy(tcvn3_encode(text)) == ("TCVN3", text)
    mixed = "Ủy ban nhân dân Thành phố Hồ Chí Minh tổ chức Lễ hội Đường sách Tết Nguyên đán Ất Tỵ"
    assert detect_legacy(vni_encode(mixed)) == ("VNI", mixed)
    assert detect_legacy(vni_encode("Hà Nội")) is None  # two words: not enough to be sure
    assert detect_legacy("naïve café déjà vu crème brûlée façade garçon où été".encode("cp1252")) is None
    assert detect_legacy("Grüße aus München, schöne Grüße über Straßen".encode("cp1252")) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_unreadable_file_as_unprivileged_user(tmp_path):
    """chmod 000 does not stop root, so the reader runs as 'nobody' to meet a real EACCES."""
    import pwd

    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user")
    base = Path("/tmp") / f"hoidap-perm-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    try:
        base.chmod(0o755)
        (base / "ok.txt").write_text("Bản đọc được. " + VN, encoding="utf-8")
        (base / "ok.txt").chmod(0o644)
        (base / "secret.txt").write_text("Bản bị khóa. " + VN, encoding="utf-8")
        (base / "secret.txt").chmod(0)
        (base / "closed").mkdir()
        (base / "closed" / "x.txt").write_text(VN, encoding="utf-8")
        (base / "closed").chmod(0)
        from ingest.readers import iter_items

        # a forked child that drops to 'nobody' (the interpreter under /root is not theirs to run)
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.close(rfd)
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                out = [[type(i).__name__, getattr(i, "source", ""), getattr(i, "reason", "")]
                       for i in iter_items(base)]
                os.write(wfd, json.dumps(out).encode())
            finally:
                os._exit(0)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as fh:
            raw = fh.read()
        os.waitpid(pid, 0)
        items = {Path(s).name: (kind, reason) for kind, s, reason in json.loads(raw)}
        assert items["ok.txt"][0] == "RawItem"
        assert items["secret.txt"] == ("ReadFailure", "cannot read: permission denied")
        assert "x.txt" not in items and items["closed"] == ("ReadFailure", "cannot read folder: permission denied")
        record("bad_inputs_unprivileged", rows=[{"input": "secret.txt (mode 000, read as nobody)",
                                                 "outcome": "rejected", "detail": items["secret.txt"][1]}])
    finally:
        for p in (base / "closed", base / "secret.txt"):
            p.chmod(0o700)
        shutil.rmtree(base, ignore_errors=True)

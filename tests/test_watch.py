"""`hoidap watch`: a new, a changed and a deleted file in one folder, and a new feed item, each
picked up by one run; one log line per run; the last check and result of each source kept."""
from __future__ import annotations

import pytest

from tests.conftest import make_settings
from tests.test_web_sources import PAGES, _serve_pages
from tests.webserver import Site, rss

ART = ("Ban Tuyên giáo Tỉnh ủy {p} tổ chức hội nghị tổng kết công tác tuyên giáo năm {y}. Hội nghị đánh giá "
       "kết quả học tập, quán triệt nghị quyết và triển khai nhiệm vụ năm tới tại {p}.")


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


def _docs(store) -> dict[str, dict]:
    return {d["doc_id"]: store.get_document(d["doc_id"]) for d in store.list_documents()}


def test_folder_new_changed_deleted_one_run_each(tmp_path, embedder):
    from ingest.watch import Watcher, load_state
    from rag.store import Store

    folder = tmp_path / "tin"
    folder.mkdir()
    (folder / "a.txt").write_text(ART.format(p="Sơn La", y=2022), encoding="utf-8")
    (folder / "b.txt").write_text(ART.format(p="Lai Châu", y=2022), encoding="utf-8")
    settings = make_settings(tmp_path / "store")
    with Store(settings) as store:
        w = Watcher(settings, [str(folder)], store=store, embedder=embedder)
        line = w.run_once()
        assert "\n" not in line and "2 new or changed, 0 unchanged" in line
        assert set(_docs(store)) == {"a.txt", "b.txt"}

        (folder / "c.txt").write_text(ART.format(p="Điện Biên", y=2023), encoding="utf-8")  # new
        line = w.run_once()
        assert "1 new or changed, 2 unchanged" in line and set(_docs(store)) == {"a.txt", "b.txt", "c.txt"}

        (folder / "a.txt").write_text(ART.format(p="Sơn La", y=2024), encoding="utf-8")  # changed
        line = w.run_once()
        assert "1 new or changed, 2 unchanged" in line and "năm 2024" in _docs(store)["a.txt"]["text"]

        (folder / "b.txt").unlink()  # deleted
        line = w.run_once()
        assert "0 new or changed, 2 unchanged, 1 removed" in line and set(_docs(store)) == {"a.txt", "c.txt"}
    state = load_state(settings)[str(folder.resolve())]
    assert state["ok"] is True and state["result"] == "0 new or changed, 2 unchanged, 1 removed"
    assert state["last_check"][:4].isdigit()


def test_feed_new_item_one_run(tmp_path, site, embedder):
    from ingest.watch import Watcher, load_state
    from rag.store import Store

    pages = _serve_pages(site, ["vnexpress_1", "dantri_2", "tuoitre_3"])
    items = [{"title": b["title"], "link": u, "date": "Tue, 02 Jul 2024 08:30:00 +0700"} for u, b in pages]
    feed = site.put("/rss/tin-moi.rss", rss(items[:2]), "application/rss+xml")
    settings = make_settings(tmp_path / "store", fetch_allow_hosts=["127.0.0.1"], fetch_delay_s=0.0)
    with Store(settings) as store:
        w = Watcher(settings, [feed], store=store, embedder=embedder)
        assert "2 new entries of 2: 2 new or changed" in w.run_once()
        site.hits.clear()
        assert "no new entries (2 listed)" in w.run_once()
        # the articles already stored are not fetched again (robots.txt is read once a run)
        assert [h for h in site.hits if h != "/robots.txt"] == ["/rss/tin-moi.rss"]
        site.put("/rss/tin-moi.rss", rss(items), "application/rss+xml")
        line = w.run_once()
        assert "1 new entries of 3: 1 new or changed" in line, line
        assert set(_docs(store)) == {u for u, _ in pages}
        site.put("/rss/tin-moi.rss", (PAGES / "dantri_1.html").read_text(encoding="utf-8"))
        line = w.run_once()
    assert "is an HTML page, not an RSS/Atom feed or sitemap" in line
    assert load_state(settings)[feed]["ok"] is False


def test_watch_command_once(tmp_path):
    from click.testing import CliRunner

    from ui.cli import cli

    folder = tmp_path / "tin"
    folder.mkdir()
    (folder / "a.txt").write_text(ART.format(p="Hà Giang", y=2023), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "store"), "watch", str(folder), "--once"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("watch ")]
    assert len(lines) == 1 and "1 new or changed" in lines[0]
    bad = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "store"), "watch", str(folder), "--every", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.output

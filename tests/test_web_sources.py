"""Articles by URL (page, RSS feed, sitemap) from a real HTTP server on loopback, allowed through
HOIDAP_FETCH_ALLOW_HOSTS; the SSRF door shut without it; bad URLs reported one line each."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_settings
from tests.webserver import Site, rss, sitemap

PAGES = ROOT / "tests" / "fixtures" / "news_pages"
sys.path.insert(0, str(PAGES))
from bodies import BODIES  # noqa: E402

BY_TITLE = {b["title"]: b for b in BODIES}
RFC822 = "%a, %d %b %Y %H:%M:%S +0700"


def _rfc822(d: str, t: str) -> str:
    import datetime as dt

    return dt.datetime.fromisoformat(f"{d}T{t}").strftime(RFC822)


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


def _serve_pages(site: Site, stems: list[str]) -> list[tuple[str, dict]]:
    """Fixture pages served at /bai/<stem>.html: (url, body) pairs."""
    out = []
    for stem in stems:
        html = (PAGES / f"{stem}.html").read_text(encoding="utf-8")
        title = html.split('<meta property="og:title" content="', 1)[1].split('"', 1)[0]
        import html as h

        out.append((site.put(f"/bai/{stem}.html", html), BY_TITLE[h.unescape(title)]))
    return out


def _ingest(settings, sources, embedder, **kw):
    from ingest.pipeline import Ingestor
    from rag.store import Store

    with Store(settings) as store:
        report = Ingestor(settings, store=store, embedder=embedder).run(sources, progress=False, **kw)
        docs = {d["doc_id"]: store.get_document(d["doc_id"]) for d in store.list_documents()}
    return report, docs


def _settings(tmp_path, site=None, **kw):
    allow = ["127.0.0.1"] if site is not None else []
    return make_settings(tmp_path / "store", fetch_allow_hosts=allow, fetch_delay_s=0.0, **kw)


def test_page_feed_and_sitemap_ingested_with_titles_dates_urls(tmp_path, site, embedder):
    served = _serve_pages(site, ["vnexpress_1", "dantri_2", "tuoitre_3", "vietnamnet_4", "nhandan_5",
                                 "thanhnien_1", "vnexpress_3"])
    feed_items = served[:5]
    feed = site.put("/rss/tin-moi-nhat.rss", rss([{"title": b["title"], "link": u, "date": _rfc822(*b["date"])}
                                                  for u, b in feed_items]), "application/rss+xml")
    old, new = served[5], served[6]
    sm = site.put("/sitemap.xml", sitemap([(old[0], "2020-01-01"), (new[0], new[1]["date"][0])]),
                  "application/xml")
    page = site.put("/bai/tinhuy_1.html", (PAGES / "tinhuy_1.html").read_text(encoding="utf-8"))
    settings = _settings(tmp_path, site)
    report, docs = _ingest(settings, [feed, sm, page], embedder, since="2021-01-01")
    assert not report.failed and not report.duplicates, report.summary()
    assert any("dated before 2021-01-01" in text for _, text in report.notes), report.notes
    expected = feed_items + [new]
    assert old[0] not in docs  # --since left the 2020 entry out
    for url, body in expected:
        d = docs[url]
        assert d["title"] == body["title"]
        assert d["url"] == url and d["source"] == url
        assert d["published"] == f"{body['date'][0]}T{body['date'][1]}"
        assert body["lead"][:40] in d["text"] and body["paras"][-1][:40] in d["text"]
    portal = docs[page]
    body = BY_TITLE[portal["title"]]  # an old portal: no date in its meta tags, htmldate finds the day
    assert portal["published"][:10] == body["date"][0] and portal["url"] == page
    # a second run fetches again but stores nothing new
    report2, _ = _ingest(settings, [feed], embedder)
    assert len(report2.unchanged) == 5 and not report2.stored


def test_loopback_refused_without_the_allow_list(tmp_path, site, embedder):
    url = site.put("/bai/a.html", (PAGES / "dantri_1.html").read_text(encoding="utf-8"))
    report, docs = _ingest(_settings(tmp_path), [url, f"http://localhost:{site.server.server_address[1]}/bai/a.html"],
                           embedder)
    reasons = dict(report.failed)
    assert "127.0.0.1 is a loopback address" in reasons[url]
    assert "resolves to 127.0.0.1, which is a loopback address" in reasons[url.replace("127.0.0.1", "localhost")]
    assert "HOIDAP_FETCH_ALLOW_HOSTS" in reasons[url] and not docs and site.hits == []


@pytest.mark.parametrize("url, why", [
    ("file:///etc/passwd", "only http and https"),
    ("ftp://127.0.0.1/x", "only http and https"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.7/admin", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[::1]:8080/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://100.100.100.200/latest/meta-data/", "non-public"),
    ("http://0.0.0.0:7860/", "unspecified"),
    ("http://user:secret@example.com/", "user name or password"),
])
def test_ssrf_attempts_refused(url, why):
    from ingest.web.guard import AddressGuard, FetchRefused

    with pytest.raises(FetchRefused) as e:
        AddressGuard([]).vet(url)
    assert why in e.value.reason


def test_bad_urls_one_line_each_and_nothing_stored_is_lost(tmp_path, site, embedder):
    good = _serve_pages(site, ["vnexpress_2"])[0][0]
    settings = _settings(tmp_path, site, fetch_retries=1, fetch_timeout_s=1.5)
    first, docs = _ingest(settings, [good], embedder)
    assert first.ok and good in docs
    kept = docs[good]
    site.put("/boom", "lỗi", status=500)
    site.put("/moved", "", status=302, Location="http://10.1.2.3/internal")
    feed_html = site.put("/rss/thoi-su.rss", (PAGES / "dantri_1.html").read_text(encoding="utf-8"))
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    private = site.put("/private/a.html", (PAGES / "dantri_1.html").read_text(encoding="utf-8"))
    urls = {site.url("/missing"): "HTTP 404 Not Found", site.url("/boom"): "HTTP 500 Internal Server Error after 2 tries",
            site.url("/slow"): "timed out after 1.5 s",
            site.url("/moved"): "10.1.2.3 is a private address (set HOIDAP_FETCH_ALLOW_HOSTS to allow it) "
                                "(redirected to http://10.1.2.3/internal)",
            feed_html: "is an HTML page, not an RSS/Atom feed or sitemap",
            private: "robots.txt of 127.0.0.1 does not allow hoidap to fetch it"}
    report, docs = _ingest(settings, list(urls), embedder)
    reasons = dict(report.failed)
    assert set(reasons) == set(urls), report.summary()
    for url, why in urls.items():
        assert why in reasons[url], (url, reasons[url])
        assert "\n" not in reasons[url]
    assert docs[good] == kept  # the article stored before is untouched
    assert "/private/a.html" not in site.hits  # robots.txt was read first, the page never asked for


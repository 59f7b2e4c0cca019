"""The whole job against a real HTTP server on 127.0.0.1: feed, sitemap, URL list, failures."""

from __future__ import annotations

import json
from pathlib import Path

from faultserver import Reply
from helpers import FAST_DEFAULTS, NewsSite, query, run_cli, write_sources


def _sources(tmp_path: Path, site: NewsSite, extra: str = "") -> Path:
    return write_sources(tmp_path, FAST_DEFAULTS + f"""\
sources:
  - name: gazette-feed
    feed: {site.url('/feed.xml')}
  - name: gazette-map
    sitemap: {site.url('/sitemap.xml')}
  - name: picked
    urls: [{site.url('/a/0.html')}, {site.url('/missing.html')}]
{extra}""")


def test_feed_sitemap_and_urls_land_articles(tmp_path: Path, db: Path, news_site: NewsSite) -> None:
    sources = _sources(tmp_path, news_site)
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["sources"]
    # /a/0.html is in the feed and in the URL list: fetched and stored once, by whichever
    # source claimed it first
    assert summary["gazette-feed"]["articles"] + summary["picked"]["articles"] == 3
    assert summary["gazette-map"]["articles"] == 3
    assert summary["picked"]["failed"] == 1 and "404" in summary["picked"]["problems"][0]

    rows = query(db, "SELECT url, title, author, published, language, word_count FROM articles ORDER BY url")
    assert [r[0] for r in rows] == sorted(news_site.url(p) for p in news_site.paths)
    url, title, author, published, language, words = rows[1]
    assert title == "Story number 1 about the council" and author == "Reporter 1"
    assert published.date().isoformat() == "2026-11-02" and language == "en" and words > 100
    bodies = " ".join(r[0] for r in query(db, "SELECT body FROM articles"))
    assert "newsletter" not in bodies and "Copyright" not in bodies

    # every attempt is in fetches; every response (the 404 too) is a capture in a WARC file
    fetches = dict(query(db, "SELECT url, status FROM fetches WHERE kind = 'article'"))
    assert fetches[news_site.url("/missing.html")] == 404
    captures = query(db, "SELECT kind, count(*) FROM captures GROUP BY 1 ORDER BY 1")
    assert captures == [("article", 7), ("feed", 1), ("robots", 1), ("sitemap", 1)]
    warcs = list((db.parent / "captures").glob("*.warc.gz"))
    assert warcs and all(w.stat().st_size > 0 for w in warcs)


def test_second_run_fetches_nothing_new_and_rechecks_feed_conditionally(
    tmp_path: Path, db: Path, news_site: NewsSite
) -> None:
    sources = _sources(tmp_path, news_site)
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    before = query(db, "SELECT count(*), count(DISTINCT id) FROM articles")[0]
    news_site.server.log.clear()
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM articles")[0] == before == (6, 6)
    paths = news_site.server.log.paths()
    assert not [p for p in paths if p.startswith("/a/")], paths  # no article fetched twice
    feed = news_site.server.log.requests(path="/feed.xml")
    assert len(feed) == 1 and feed[0].headers.get("if-none-match") == '"feed-v1"'
    assert json.loads(result.stdout)["sources"]["gazette-feed"]["not_modified"] == 1


def test_unreachable_host_is_reported_and_other_sources_land(tmp_path: Path, db: Path, news_site: NewsSite) -> None:
    extra = """\
  - name: offline-feed
    feed: http://127.0.0.1:9/rss.xml
"""
    sources = _sources(tmp_path, news_site, extra)
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert "offline-feed" in summary["failed_sources"]
    problem = summary["sources"]["offline-feed"]["problems"][0]
    assert "127.0.0.1:9/rss.xml" in problem and "connect" in problem
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 6
    errors = query(db, "SELECT error FROM fetches WHERE source = 'offline-feed'")
    assert errors and errors[0][0].startswith("connect")


def test_broken_feed_and_non_html_are_recorded(tmp_path: Path, db: Path, news_site: NewsSite) -> None:
    server = news_site.server
    server.route("/broken.xml", Reply(body=b"this is not a feed <<<", content_type="application/rss+xml"))
    server.route("/report.pdf", Reply(body=b"%PDF-1.4 binary", content_type="application/pdf"))
    sources = write_sources(tmp_path, FAST_DEFAULTS + f"""\
sources:
  - name: broken
    feed: {news_site.url('/broken.xml')}
  - name: pdfs
    urls: [{news_site.url('/report.pdf')}, {news_site.url('/a/1.html')}]
""")
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sources"]["broken"]["problems"], summary
    assert summary["sources"]["pdfs"]["articles"] == 1
    # one front door, one name: the same reason as in rejects and in batch shards
    assert summary["sources"]["pdfs"]["reasons"].get("unsupported-content-type") == 1


def test_redirects_are_followed_and_recorded(tmp_path: Path, db: Path, news_site: NewsSite) -> None:
    news_site.server.route("/old/story", Reply.redirect(news_site.url("/a/2.html"), status=301))
    sources = write_sources(tmp_path, FAST_DEFAULTS + f"""\
sources:
  - name: moved
    urls: ["{news_site.url('/old/story?utm_source=x')}"]
""")
    result = run_cli("run", "--sources", str(sources), "--db", str(db))
    assert result.returncode == 0, result.stderr
    (redirects,) = query(db, "SELECT redirects FROM fetches WHERE source = 'moved' AND kind = 'article'")[0]
    assert json.loads(redirects)[0].startswith(news_site.url("/old/story"))
    url, final_url = query(db, "SELECT url, final_url FROM captures WHERE source = 'moved' AND kind = 'article'")[0]
    assert final_url == news_site.url("/a/2.html") and "/old/story" in url
    assert query(db, "SELECT url FROM articles")[0][0] == news_site.url("/a/2.html")


def test_too_large_body_is_recorded_not_captured(tmp_path: Path, db: Path, news_site: NewsSite) -> None:
    news_site.server.route("/huge.html", Reply.large(3 * 1024 * 1024))
    sources = write_sources(tmp_path, FAST_DEFAULTS + f"""\
  max_bytes: 1000000
sources:
  - name: big
    urls: [{news_site.url('/huge.html')}, {news_site.url('/a/3.html')}]
""")
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    errors = dict(query(db, "SELECT url, error FROM fetches WHERE source = 'big'"))
    assert errors[news_site.url("/huge.html")].startswith("too-large")
    assert query(db, "SELECT url FROM captures WHERE source = 'big' AND kind = 'article'") == [(news_site.url("/a/3.html"),)]
    assert json.loads(result.stdout)["sources"]["big"]["articles"] == 1

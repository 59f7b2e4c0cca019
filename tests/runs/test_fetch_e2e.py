"""`pipeline run` twice against fault servers: politeness end to end, each page fetched once,
feeds and sitemaps re-checked conditionally. Asserted from the servers' own request logs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from faultserver import FaultServers, Reply, conditional
from helpers import article_html, query, run_cli, write_sources

pytestmark = pytest.mark.timeout(240)

NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
DELAY_S = 0.05


def _urlset(entries: list[tuple[str, str | None]]) -> bytes:
    urls = "".join(
        f"<url><loc>{loc}</loc>"
        + (
            f"<news:news><news:publication_date>{day}</news:publication_date></news:news>"
            if day
            else ""
        )
        + "</url>"
        for loc, day in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" {NEWS_NS}>{urls}</urlset>'
    ).encode()


def _serve_sites(hosts: FaultServers) -> None:
    a, b = hosts[0], hosts[1]
    a.route(
        "/robots.txt", Reply(body="User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{a.url('/sitemap-news.xml.gz')}</loc></sitemap>"
        f"<sitemap><loc>{a.url('/sitemap-2.xml')}</loc></sitemap></sitemapindex>"
    ).encode()
    modified = "Sat, 21 Nov 2026 08:00:00 GMT"
    a.route(
        "/sitemap_index.xml", conditional(index, '"idx"', modified, content_type="application/xml")
    )
    news = _urlset(
        [
            (a.url("/news/1.html"), "2026-11-20T10:00:00Z"),
            (a.url("/news/2.html"), "2026-11-21"),
            (a.url("/news/old.html"), "2020-01-01"),  # older than `since`: never fetched
        ]
    )
    a.route(
        "/sitemap-news.xml.gz",
        conditional(gzip.compress(news), '"news"', modified, content_type="application/gzip"),
    )
    second = _urlset([(a.url("/private/secret.html"), None), (a.url("/news/3.html"), None)])
    a.route(
        "/sitemap-2.xml", conditional(second, '"two"', modified, content_type="application/xml")
    )
    for n in (1, 2, 3):
        a.route(f"/news/{n}.html", Reply(body=article_html(n), delay_s=DELAY_S))
    a.route("/news/3.html", [Reply(429, headers={"Retry-After": "1"}), Reply(body=article_html(3))])
    a.route("/private/secret.html", Reply(body=b"never to be fetched"))

    items = "".join(
        f"<item><title>S{n}</title><link>{b.url(f'/story/{n}.html')}</link>"
        f"<pubDate>Sat, 21 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
        for n in range(1, 5)
    )
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{items}</channel></rss>'
    )
    b.route(
        "/feed.xml",
        conditional(feed.encode(), '"feed"', modified, content_type="application/rss+xml"),
    )
    for n in range(1, 5):
        b.route(f"/story/{n}.html", Reply(body=article_html(10 + n), delay_s=DELAY_S))
    b.route("/story/2.html", [Reply(503), Reply(body=article_html(12))])
    # hostile and broken index documents: recorded as problems, the run goes on
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&c;</loc></url></urlset>'
    )
    b.route("/evil-sitemap.xml", Reply(body=bomb, content_type="application/xml"))
    b.route(
        "/broken-feed.xml", Reply(body=b"<rss><channel><item><title>x", content_type="text/xml")
    )


def _sources(tmp_path: Path, hosts: FaultServers) -> Path:
    return write_sources(
        tmp_path,
        f"""\
defaults:
  delay_s: {DELAY_S}
  per_host_concurrency: 2
  max_retries: 2
  connect_timeout_s: 2
  read_timeout_s: 5
sources:
  - name: a-news
    sitemap: {hosts[0].url("/sitemap_index.xml")}
    since: "2026-01-01"
  - name: b-feed
    feed: {hosts[1].url("/feed.xml")}
  - name: evil
    sitemap: {hosts[1].url("/evil-sitemap.xml")}
  - name: broken
    feed: {hosts[1].url("/broken-feed.xml")}
""",
    )


def _assert_polite(hosts: FaultServers) -> None:
    for srv in hosts:
        log = hosts.log
        assert log.max_concurrency(srv.host_port) <= 2
        gaps = log.start_gaps(srv.host_port)
        assert not gaps or min(gaps) >= DELAY_S - 0.03, [
            (r.path, round(r.start, 4), r.status) for r in log.requests(srv.host_port)
        ]
        assert log.paths(srv.host_port).count("/robots.txt") == 1
    assert not [p for p in hosts.log.paths() if p.startswith("/private/")]


def test_two_runs_polite_incremental_and_conditional(tmp_path: Path, fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(2, first=31)
    _serve_sites(hosts)
    a, b = hosts[0], hosts[1]
    sources = _sources(tmp_path, hosts)
    db = tmp_path / "warehouse" / "corpus.duckdb"

    first = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)["sources"]
    assert "entity" in " ".join(summary["evil"]["problems"]), summary["evil"]
    assert "broken-feed.xml" in " ".join(summary["broken"]["problems"]), summary["broken"]
    _assert_polite(hosts)
    fetched = sorted(p for p in hosts.log.paths() if p.startswith(("/news/", "/story/")))
    assert fetched == sorted(
        ["/news/1.html", "/news/2.html", "/news/3.html", "/news/3.html"]  # 3: 429, then 200
        + [f"/story/{n}.html" for n in range(1, 5)]
        + ["/story/2.html"]  # 2: 503, then 200
    )
    throttled, retried = hosts.log.requests(a.host_port, "/news/3.html")
    assert throttled.replied is not None and retried.start - throttled.replied >= 0.95  # Retry-After: 1
    denied = query(db, "SELECT error FROM fetches WHERE url LIKE '%/private/%'")
    assert denied and all(e.startswith("robots-disallowed") for (e,) in denied)
    pages = query(
        db, "SELECT count(DISTINCT url) FROM captures WHERE kind = 'article' AND status = 200"
    )
    assert pages == [(7,)]
    attempts = dict(
        query(db, "SELECT url, attempts FROM fetches WHERE kind = 'article' AND status = 200")
    )
    assert attempts[a.url("/news/3.html")] == 2 and attempts[b.url("/story/2.html")] == 2

    hosts.log.clear()
    second = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert second.returncode == 0, second.stderr
    _assert_polite(hosts)
    paths = hosts.log.paths()
    assert not [p for p in paths if p.startswith(("/news/", "/story/"))], paths  # nothing twice
    for srv, path in [
        (a, "/sitemap_index.xml"),
        (a, "/sitemap-news.xml.gz"),
        (a, "/sitemap-2.xml"),
        (b, "/feed.xml"),
    ]:
        (request,) = hosts.log.requests(srv.host_port, path)
        assert request.headers.get("if-none-match") and request.status == 304, (path, request)
    assert query(db, "SELECT count(DISTINCT url) FROM captures WHERE kind = 'article'") == [(7,)]

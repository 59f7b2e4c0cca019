"""`site:` sources: a homepage's declared feeds, robots.txt sitemaps, the usual paths when it names
none, and `follow:` through section pages; all shown by `run --list` before anything is fetched."""

from __future__ import annotations

from pathlib import Path

from faultserver import Reply
from helpers import article_html, query, rss, sitemap, write_sources

from pipeline.config import load_config
from pipeline.runs.plan import plan
from pipeline.runs.run import RunOptions, run


def _home(links: str = "", head: str = "") -> bytes:
    return (f"<html><head><title>Gazette</title>{head}</head><body><nav>{links}</nav>"
            "<p>Welcome to the gazette.</p></body></html>").encode()


def _sources(tmp_path: Path, url: str, extra: str = "") -> Path:
    return write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0, max_retries: 0}}
        sources:
          - name: gazette
            site: {url}
        {extra}""")


def test_declared_feeds_and_robots_sitemaps_are_found_listed_and_collected(
        tmp_path: Path, db: Path, fault_server) -> None:
    base = fault_server.url("").rstrip("/")
    fault_server.route("/", Reply(body=_home(
        head='<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="News">')))
    fault_server.route("/robots.txt", Reply(body=f"User-agent: *\nAllow: /\nSitemap: {base}/sm.xml\n",
                                            content_type="text/plain"))
    fault_server.route("/feed.xml", Reply(body=rss(base, ["/a/1.html", "/a/2.html"]),
                                          content_type="application/rss+xml"))
    fault_server.route("/sm.xml", Reply(body=sitemap(base, ["/a/2.html", "/a/3.html"]),
                                        content_type="application/xml"))
    for n in (1, 2, 3):
        fault_server.route(f"/a/{n}.html", Reply(body=article_html(n)))
    sources = _sources(tmp_path, base + "/")
    listed = plan(load_config(sources), db)["gazette"]
    assert sorted(listed.urls) == [f"{base}/a/{n}.html" for n in (1, 2, 3)]
    assert any(line.startswith("feed " + base + "/feed.xml") for line in listed.index)
    assert any(line.startswith("sitemap " + base + "/sm.xml") for line in listed.index)
    assert not [p for p in fault_server.log.paths() if p.startswith("/a/")]  # --list fetched none

    summary = run(load_config(sources), RunOptions(db_path=db, workers=0)).as_dict()
    assert summary["sources"]["gazette"]["articles"] == 3
    kinds = dict(query(db, "SELECT kind, count(*) FROM captures GROUP BY 1"))
    assert kinds["site"] == 1 and kinds["feed"] == 1 and kinds["sitemap"] == 1


def test_the_usual_paths_are_tried_when_the_homepage_names_no_feed(
        tmp_path: Path, db: Path, fault_server) -> None:
    base = fault_server.url("").rstrip("/")
    fault_server.route("/", Reply(body=_home()))
    fault_server.route("/rss.xml", Reply(body=rss(base, ["/a/7.html"]),
                                         content_type="application/rss+xml"))
    fault_server.route("/a/7.html", Reply(body=article_html(7)))
    listed = plan(load_config(_sources(tmp_path, base + "/")), db)["gazette"]
    assert listed.urls == [f"{base}/a/7.html"]
    assert any(line.startswith(f"feed {base}/rss.xml (200") for line in listed.index)


def test_follow_walks_section_pages_within_its_limits(tmp_path: Path, db: Path, fault_server) -> None:
    base = fault_server.url("").rstrip("/")
    fault_server.route("/", Reply(body=_home(
        '<a href="/2026/11/21/harbour-barrier-approved">Barrier</a> <a href="/world/">World</a>')))
    fault_server.route("/world/", Reply(body=_home(
        '<a href="/2026/11/20/ferry-strike-ends-today">Ferry</a> <a href="/tag/ferries">tag</a>')))
    for path in ("/2026/11/21/harbour-barrier-approved", "/2026/11/20/ferry-strike-ends-today"):
        fault_server.route(path, Reply(body=article_html(len(path))))
    one = plan(load_config(_sources(tmp_path, base + "/", "    follow: {depth: 1}\n")), db)
    assert one["gazette"].urls == [f"{base}/2026/11/21/harbour-barrier-approved"]
    two = plan(load_config(_sources(tmp_path, base + "/", "    follow: {depth: 2}\n")), db)
    assert two["gazette"].urls == [f"{base}/2026/11/21/harbour-barrier-approved",
                                   f"{base}/2026/11/20/ferry-strike-ends-today"]
    assert "/tag/ferries" not in fault_server.log.paths()

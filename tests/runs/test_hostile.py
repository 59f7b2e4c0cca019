"""Hostile input costs itself only: a clear reason, the run goes on, nothing lost, nothing read or
written outside what the user named (issue: "Nothing lost, doubled or let in")."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from faultserver import Reply
from helpers import article_html, query, rss, sitemap, write_sources
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.capture.files import expand
from pipeline.capture.warc import iter_checked
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.models import Article, Capture
from pipeline.runs.offline import extract_inputs
from pipeline.runs.run import RunOptions, run
from pipeline.stages.extract import defuse_markup, extract_capture


def _run(sources: Path, db: Path) -> dict:
    return run(load_config(sources), RunOptions(db_path=db, workers=0)).as_dict()


def _capture(body: bytes, content_type: str = "text/html") -> Capture:
    return Capture(id="c", url="https://news.example/a", final_url="https://news.example/a",
                   source="s", status=200, content_type=content_type, body=body,
                   fetched_at=__import__("datetime").datetime.now(), sha256="")


def test_broken_feeds_and_sitemaps_cost_only_their_source(tmp_path, db, fault_server) -> None:
    base = fault_server.url("").rstrip("/")
    year0 = rss(base, ["/a/1.html"]).replace(b"Sat, 21 Nov 2026 08:00:00 GMT",
                                               b"Sat, 01 Jan 0000 00:00:00 GMT")
    fault_server.route("/year0.xml", Reply(body=year0, content_type="application/rss+xml"))
    far = sitemap(base, ["/a/2.html"]).replace(
        b"</loc>", b"</loc><lastmod>9999-12-31T23:59:59-14:00</lastmod>")
    fault_server.route("/far.xml", Reply(body=far, content_type="application/xml"))
    deep = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    fault_server.route("/deep.json", Reply(body=deep, content_type="application/feed+json"))
    for n in (1, 2, 3):
        fault_server.route(f"/a/{n}.html", Reply(body=article_html(n)))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0, max_retries: 0}}
        sources:
          - {{name: year0, feed: {base}/year0.xml}}
          - {{name: far, sitemap: {base}/far.xml}}
          - {{name: deep, feed: {base}/deep.json}}
          - {{name: fine, urls: [{base}/a/3.html]}}
        """)
    summary = _run(sources, db)
    assert summary["status"] == "ok"
    sources_ = summary["sources"]
    assert sources_["year0"]["articles"] == 1 and sources_["far"]["articles"] == 1
    assert sources_["fine"]["articles"] == 1
    assert sources_["deep"]["problems"] and sources_["deep"]["articles"] == 0


def test_a_date_the_warehouse_cannot_hold_becomes_null_with_a_note(tmp_path, db, fault_server) -> None:
    page = article_html(5).replace(b"2026-11-06T08:00:00Z", b"0001-01-01T00:00:00+14:00")
    assert b"0001-01-01" in page
    fault_server.route("/old.html", Reply(body=page))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0}}
        sources:
          - {{name: old, urls: [{fault_server.url('/old.html')}]}}
        """)
    assert _run(sources, db)["sources"]["old"]["articles"] == 1
    (published, removed) = query(db, "SELECT published, removed FROM articles")[0]
    assert published is None and "unstorable-date" in removed


def test_pathological_markup_is_flattened_before_parsing() -> None:
    page = "<html><body>" + "<div><span><b>" * 80_000 + "<p>" + "Plain words of a story. " * 40
    defused, note = defuse_markup(page)
    assert note and "240000 unclosed" in note and "<div>" not in defused
    result = extract_capture(_capture(page.encode()))
    assert isinstance(result, Article) and "Plain words of a story." in result.body
    assert any(r.reason == "pathological-markup" for r in result.removed)
    ordinary = "<div><p>fine</p></div>" * 50
    assert defuse_markup(ordinary) == (ordinary, None)


def test_one_stray_nul_byte_does_not_drop_a_page() -> None:
    page = article_html(6).replace(b"<nav>", b"<nav>\x00")
    assert isinstance(extract_capture(_capture(page)), Article)
    assert extract_capture(_capture(b"\x00\x01\x02" * 2000)).reason == "binary"  # type: ignore[union-attr]


def test_symlink_loops_under_double_star_do_not_hang_the_glob(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "page.txt").write_text("x")
    os.symlink("../b", tmp_path / "a" / "to_b")
    os.symlink("../a", tmp_path / "b" / "to_a")
    os.symlink(".", tmp_path / "a" / "self")
    paths, cut = expand(["**/*.txt"], tmp_path)
    assert paths == [tmp_path / "a" / "page.txt"] and not cut


def test_a_huge_record_in_a_small_warc_gz_is_refused_within_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "bomb.warc.gz"
    size = 256 * 1024 * 1024  # zeros: the file stays small, the record is huge
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")

        class Zeros(io.RawIOBase):
            left = size

            def readable(self) -> bool:
                return True

            def readinto(self, buffer) -> int:  # noqa: ANN001
                n = min(len(buffer), self.left)
                buffer[:n] = bytes(n)
                self.left -= n
                return n

        record = writer.create_warc_record("https://news.example/big", "response",
                                           payload=io.BufferedReader(Zeros()), length=size,
                                           http_headers=headers)
        writer.write_record(record)
    assert path.stat().st_size < 2 * 1024 * 1024
    with open(path, "rb") as fh:
        (record,) = list(iter_checked(fh, local_gz=str(path), max_body_bytes=1024 * 1024))
    assert record.too_large and record.body == b""


def test_dev_zero_and_huge_stdin_are_refused_not_read_whole() -> None:
    (record,) = extract_inputs(["/dev/zero"])
    assert record["drop"].startswith("unreadable: larger than max_bytes")
    (piped,) = extract_inputs(["-"], stdin=io.BytesIO(b"x" * (11 * 1024 * 1024)))
    assert piped["drop"].startswith("too-large")


def test_duplicate_yaml_keys_and_header_breaking_user_agents_are_config_errors(tmp_path) -> None:
    path = write_sources(tmp_path, """\
        sources:
          - name: a
            feed: https://example.org/rss
            feed: https://example.org/other
        """)
    with pytest.raises(ConfigError, match=r"sources.yaml:4: duplicate key 'feed' \(first at line 3\)"):
        load_config(path)
    path = write_sources(tmp_path, """\
        defaults:
          user_agent: "bot\\r\\nX-Injected: 1"
        sources:
          - {name: a, feed: "https://example.org/rss"}
        """)
    with pytest.raises(ConfigError, match=r"sources.yaml:2: defaults.user_agent"):
        load_config(path)


def test_url_caps_are_applied_and_reported(tmp_path, db, fault_server) -> None:
    base = fault_server.url("").rstrip("/")
    fault_server.route("/big.xml", Reply(body=sitemap(base, [f"/a/{n}.html" for n in range(40)]),
                                         content_type="application/xml"))
    for n in range(40):
        fault_server.route(f"/a/{n}.html", Reply(body=article_html(n)))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0, max_urls_per_run: 10, per_host_concurrency: 4}}
        sources:
          - {{name: big, sitemap: {base}/big.xml}}
        """)
    summary = _run(sources, db)["sources"]["big"]
    assert summary["articles"] == 10
    assert query(db, "SELECT count(*) FROM fetches WHERE kind = 'article'")[0][0] == 10
    assert any("capped at max_urls_per_run=10" in p for p in summary["problems"])
    again = _run(sources, db)["sources"]["big"]  # the rest wait for the next runs
    assert again["articles"] == 10 and again["skipped_known"] == 10



def test_the_sitemap_cap_is_reported_when_it_bites(tmp_path, db, fault_server, monkeypatch) -> None:
    from pipeline.capture import remote

    monkeypatch.setattr(remote, "MAX_SITEMAPS_PER_SOURCE", 3)
    base = fault_server.url("").rstrip("/")
    children = "".join(f"<sitemap><loc>{base}/sm-{n}.xml</loc></sitemap>" for n in range(5))
    fault_server.route("/index.xml", Reply(
        body=('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
              f'sitemap/0.9">{children}</sitemapindex>').encode(), content_type="application/xml"))
    for n in range(5):
        fault_server.route(f"/sm-{n}.xml", Reply(body=sitemap(base, [f"/a/{n}.html"]),
                                                 content_type="application/xml"))
        fault_server.route(f"/a/{n}.html", Reply(body=article_html(n)))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0}}
        sources:
          - {{name: many, sitemap: {base}/index.xml}}
        """)
    summary = _run(sources, db)["sources"]["many"]
    assert summary["articles"] == 2  # the index and two children were read, three left
    assert any("more than 3 sitemaps; 3 not read this run" in p for p in summary["problems"])


def test_deep_json_ld_does_not_drop_a_valid_article() -> None:
    deep = '{"a":' * 900 + "1" + "}" * 900
    story = "<p>" + "Officials said the harbour barrier would be finished by 2029. " * 8 + "</p>"
    page = (f'<html><head><title>T</title><script type="application/ld+json">{deep}</script>'
            f"</head><body><article><h1>T</h1>{story}{story}</article></body></html>")
    result = extract_capture(_capture(page.encode()))
    assert isinstance(result, Article) and "harbour barrier" in result.body

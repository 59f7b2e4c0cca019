"""Captures a replay tool can use: WARC/1.1 with warcinfo, every exchange (redirect hops,
robots.txt, a 503 before its retry), revisits for 304s, payloads as received; checked by
`warcio check` and `cdxj-indexer`, and replayed to the same sha256 as the index says."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

from faultserver import Reply, conditional
from helpers import article_html, query, write_sources
from warcio.archiveiterator import ArchiveIterator

from pipeline.config import load_config
from pipeline.runs.run import RunOptions, run

BIN = Path(sys.executable).parent  # the console scripts of the environment's packages


def _records(captures: Path) -> list:
    out = []
    for warc in sorted(captures.glob("*.warc.gz")):
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                out.append((warc.name, record.rec_type, dict(record.rec_headers.headers),
                            record.http_headers.get_statuscode() if record.http_headers else None))
    return out


def _crawl(tmp_path: Path, db: Path, fault_server) -> Path:
    server = fault_server
    server.route("/robots.txt", Reply(body="User-agent: *\nAllow: /\n", content_type="text/plain"))
    server.route("/old.html", Reply.redirect("/a/1.html", status=301))
    server.route("/a/1.html", Reply(body=article_html(1)))
    server.route("/flaky.html", [Reply(503), Reply(body=article_html(2))])
    server.route("/gz.html", Reply.gzipped(article_html(3)))
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f'<item><link>{server.url("/a/4.html")}</link></item></channel></rss>').encode()
    server.route("/feed.xml", conditional(feed, '"v1"', "Sat, 21 Nov 2026 08:00:00 GMT",
                                          content_type="application/rss+xml"))
    server.route("/a/4.html", Reply(body=article_html(4)))
    sources = write_sources(tmp_path, f"""\
        defaults:
          delay_s: 0
          max_retries: 1
          backoff_base_s: 0
        sources:
          - name: picked
            urls: [{server.url('/old.html')}, {server.url('/flaky.html')}, {server.url('/gz.html')}]
          - name: feed
            feed: {server.url('/feed.xml')}
        """)
    config = load_config(sources)
    for _ in range(2):  # the second run re-checks the feed: a 304, archived as a revisit
        assert run(config, RunOptions(db_path=db, workers=0)).status == "ok"
    return db.parent / "captures"


def test_every_exchange_is_archived_and_tools_of_the_field_accept_the_files(
        tmp_path: Path, db: Path, fault_server) -> None:
    captures = _crawl(tmp_path, db, fault_server)
    records = _records(captures)
    first = {}
    for name, kind, headers, _status in records:
        first.setdefault(name, (kind, headers))
    assert all(kind == "warcinfo" for kind, _ in first.values())  # each file opens with one
    info = next(iter(first.values()))[1]
    assert info["WARC-Filename"].endswith(".warc.gz")
    versions = set()
    for warc in captures.glob("*.warc.gz"):
        versions |= {line.split(b"\r\n", 1)[0] for line in gzip.open(warc).read().split(b"\r\n\r\n")
                     if line.startswith(b"WARC/")}
    assert versions == {b"WARC/1.1"}
    kinds = [(r[1], r[2].get("WARC-Target-URI", ""), r[3]) for r in records]
    assert ("response", fault_server.url("/robots.txt"), "200") in kinds
    assert ("response", fault_server.url("/old.html"), "301") in kinds  # the redirect hop
    assert ("response", fault_server.url("/flaky.html"), "503") in kinds  # before its retry
    assert ("response", fault_server.url("/flaky.html"), "200") in kinds
    assert sum(k[0] == "request" for k in kinds) >= 7
    revisits = [r for r in records if r[1] == "revisit"]
    assert len(revisits) == 1 and revisits[0][3] == "304"
    assert revisits[0][2]["WARC-Refers-To"].startswith("<urn:uuid:")
    assert revisits[0][2]["WARC-Refers-To-Target-URI"] == fault_server.url("/feed.xml")

    for warc in captures.glob("*.warc.gz"):
        checked = subprocess.run([str(BIN / "warcio"), "check", "-v", str(warc)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "digest pass" in checked.stdout and "digest fail" not in checked.stdout
    cdx = subprocess.run([str(BIN / "cdxj-indexer"), str(captures)],
                         capture_output=True, text=True)
    assert cdx.returncode == 0, cdx.stderr
    lines = cdx.stdout.splitlines()
    assert any('"status": "503"' in line for line in lines)
    assert any('"mime": "warc/revisit"' in line for line in lines)


def test_replayed_payloads_match_the_index(tmp_path: Path, db: Path, fault_server) -> None:
    captures = _crawl(tmp_path, db, fault_server)
    rows = query(db, "SELECT warc_file, warc_offset, warc_length, sha256, final_url FROM captures "
                     "WHERE warc_file LIKE '%.warc.gz'")
    assert len(rows) >= 6
    gzipped = None
    for warc_file, offset, _length, sha, url in rows:
        with open(captures / warc_file, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            payload = record.content_stream().read()
            assert hashlib.sha256(payload).hexdigest() == sha, url
            if url.endswith("/gz.html"):
                gzipped = record.http_headers.get_header("Content-Encoding")
    assert gzipped == "gzip"  # stored as received; replay decodes it

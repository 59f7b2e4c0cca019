"""Cron safety: one run at a time, and a run killed with SIGKILL is completed by the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from faultserver import Reply
from helpers import REPO, NewsSite, article_html, query, run_cli, write_sources
from warcio.archiveiterator import ArchiveIterator


def _start(sources: Path, db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--sources", str(sources), "--db", str(db), *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _indexed(db: Path) -> int:
    """Article captures indexed so far; 0 while the running job holds the file."""
    if not db.exists():
        return 0
    try:
        return query(db, "SELECT count(*) FROM captures WHERE kind = 'article'")[0][0]
    except Exception:
        return 0


def _wait_for(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _held_site(tmp_path: Path, fault_server, free: int, release: threading.Event,
               count: int = 30) -> tuple[NewsSite, Path]:
    """A site whose first `free` pages answer at once; the others wait for `release`.

    With 2 requests per host taken in order, a run captures exactly `free` pages and then
    waits on two held ones: the kill always lands at the same point, however slow the machine.
    """
    site = NewsSite(fault_server, count=count)
    for n, path in enumerate(site.paths[free:], start=free):
        page = Reply(body=article_html(n))
        fault_server.route(path, lambda req, page=page: (release.wait(), page)[1])
    sources = write_sources(tmp_path, f"""\
        defaults:
          delay_s: 0
          per_host_concurrency: 2
          max_retries: 0
        sources:
          - name: gazette
            urls: [{', '.join(site.url(p) for p in site.paths)}]
        """)
    return site, sources


def _responses_in_warcs(db: Path) -> int:
    """Article responses written to the WARC files so far (a torn last record is not counted)."""
    count = 0
    for warc in (db.parent / "captures").glob("*.warc.gz"):
        try:
            with open(warc, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type == "response" and "/a/" in (
                            record.rec_headers.get_header("WARC-Target-URI") or ""):
                        count += 1
        except Exception:  # noqa: BLE001 - being written right now
            pass
    return count


def _kill(victim: subprocess.Popen) -> None:
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL


def _second_run(sources: Path, db: Path, fault_server) -> list[str]:
    """Run again to completion; the article pages it fetched."""
    fault_server.log.clear()
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM articles")[0] == (30, 30, 30)
    # nothing stored twice: one 2xx capture per page
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM captures WHERE kind = 'article'")[0] == (30, 30)
    assert [r[0] for r in query(db, "SELECT status FROM runs ORDER BY started_at")] == ["killed", "ok"]
    # the WARC files stay readable end to end
    for warc in (db.parent / "captures").glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            for _record in ArchiveIterator(fh):
                pass
    return [p for p in fault_server.log.paths() if p.startswith("/a/")]


def test_sigkill_before_any_batch_landed_loses_no_complete_capture(
        tmp_path: Path, db: Path, fault_server) -> None:
    release = threading.Event()
    site, sources = _held_site(tmp_path, fault_server, free=10, release=release)
    victim = _start(sources, db, "--batch-size", "100", "--flush-interval-s", "3600")
    try:
        _wait_for(lambda: _responses_in_warcs(db) >= 10)
        _kill(victim)
    finally:
        release.set()
    assert _indexed(db) == 0  # no batch had landed: the pages are only in the WARC file
    fetched = _second_run(sources, db, fault_server)
    # the 10 complete captures were indexed from the WARC, not fetched again
    assert sorted(fetched) == sorted(site.paths[10:]) and len(fetched) == len(set(fetched))


def test_sigkill_after_some_batches_landed_then_next_run_completes(
        tmp_path: Path, db: Path, fault_server) -> None:
    release = threading.Event()
    site, sources = _held_site(tmp_path, fault_server, free=10, release=release)
    victim = _start(sources, db, "--batch-size", "4", "--flush-interval-s", "3600")
    try:
        _wait_for(lambda: _indexed(db) >= 8 and _responses_in_warcs(db) >= 10)
        _kill(victim)
    finally:
        release.set()
    indexed = _indexed(db)
    assert indexed == 8  # two batches of 4 landed; two captures were still in hand
    assert query(db, "SELECT count(*) FROM articles")[0][0] + query(db, "SELECT count(*) FROM rejects")[0][0] == indexed
    fetched = _second_run(sources, db, fault_server)
    assert sorted(fetched) == sorted(site.paths[10:]) and len(fetched) == len(set(fetched))


def test_second_concurrent_run_exits_with_locked_code(tmp_path: Path, db: Path, fault_server) -> None:
    release = threading.Event()
    site, sources = _held_site(tmp_path, fault_server, free=2, release=release, count=12)
    first = _start(sources, db)
    try:
        _wait_for(lambda: len([p for p in fault_server.log.paths() if p.startswith("/a/")]) >= 3)
        second = run_cli("run", "--sources", str(sources), "--db", str(db))
    finally:
        release.set()
    assert second.returncode == 3
    assert "another run holds" in second.stderr
    first.wait(timeout=120)
    assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 12

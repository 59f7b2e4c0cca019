"""Cron safety: one run at a time, and a run killed with SIGKILL is completed by the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from helpers import REPO, NewsSite, query, run_cli, write_sources


def _start(sources: Path, db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--sources", str(sources), "--db", str(db), *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _slow_site_sources(tmp_path: Path, fault_server, count: int = 30,
                       delay_s: float = 0.15) -> tuple[NewsSite, Path]:
    site = NewsSite(fault_server, count=count, delay_s=delay_s)
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


def test_sigkill_mid_fetch_then_next_run_completes(tmp_path: Path, db: Path, fault_server) -> None:
    site, sources = _slow_site_sources(tmp_path, fault_server, delay_s=0.5)
    victim = _start(sources, db, "--batch-size", "4")
    _wait_for(lambda: _indexed(db) >= 4)  # some batches landed ...
    assert len([p for p in fault_server.log.paths() if p.startswith("/a/")]) < 30  # ... mid-fetch
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert victim.returncode == -signal.SIGKILL

    indexed = query(db, "SELECT count(*) FROM captures WHERE kind = 'article'")[0][0]
    assert 0 < indexed < 30, "the kill should land mid-run, after some batches were loaded"
    assert query(db, "SELECT count(*) FROM articles")[0][0] + query(db, "SELECT count(*) FROM rejects")[0][0] == indexed
    fault_server.log.clear()

    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM articles")[0] == (30, 30, 30)
    # nothing stored twice: one 2xx capture per page
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM captures WHERE kind = 'article'")[0] == (30, 30)
    statuses = [r[0] for r in query(db, "SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["killed", "ok"]
    # the WARC files stay readable end to end, and every index row points at a record
    for warc in (db.parent / "captures").glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            for _record in ArchiveIterator(fh):
                pass
    # the second run fetched only what the first had not landed, each page once
    fetched = [p for p in fault_server.log.paths() if p.startswith("/a/")]
    assert len(fetched) == len(set(fetched)) == 30 - indexed


def test_second_concurrent_run_exits_with_locked_code(tmp_path: Path, db: Path, fault_server) -> None:
    site, sources = _slow_site_sources(tmp_path, fault_server, count=12, delay_s=1.5)
    first = _start(sources, db)
    _wait_for(lambda: any(p.startswith("/a/") for p in fault_server.log.paths()))
    second = run_cli("run", "--sources", str(sources), "--db", str(db))
    assert second.returncode == 3
    assert "another run holds" in second.stderr
    first.wait(timeout=120)
    assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 12

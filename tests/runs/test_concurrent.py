"""Queries while the job runs: a reader in another process must not make the run lose articles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from corpus_rows import story
from helpers import REPO, query, run_cli, write_sources

from pipeline.errors import WarehouseBusyError
from pipeline.store.warehouse import Warehouse, _is_lock_error

READER = Path(__file__).resolve().parents[1] / "support" / "concurrent_reader.py"


def _files(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    for n in range(count):
        (directory / f"story-{n:03d}.txt").write_text(
            f"Regional report number {n}\n\n{story(1000 + n, 250)}", encoding="utf-8")


def _reader(db: Path, stop: Path, hold_s: float, pause_s: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(READER), str(db), str(stop), str(hold_s), str(pause_s)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("hold_s, pause_s", [(0.5, 0.2), (1.5, 0.5)], ids=["querying", "holding"])
def test_a_reader_during_the_run_loses_nothing(tmp_path: Path, db: Path, hold_s: float,
                                                pause_s: float) -> None:
    _files(tmp_path / "pages", 10)
    sources = write_sources(tmp_path, "sources:\n  - name: local\n    files: pages/*.txt\n")
    Warehouse(db).migrate()
    stop = tmp_path / "stop"
    reader = _reader(db, stop, hold_s, pause_s)
    try:
        time.sleep(0.3)  # the reader holds the file when the run starts
        result = run_cli("run", "--sources", str(sources), "--db", str(db), "--batch-size", "5", "--json")
    finally:
        stop.touch()
        seen = [int(line) for line in reader.communicate(timeout=60)[0].split()]
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sources"]["local"]["articles"] == 10
    assert query(db, "SELECT count(*), count(cluster_id) FROM articles") == [(10, 10)]
    assert query(db, "SELECT status FROM runs") == [("ok",)]
    assert len(seen) >= 2 and seen == sorted(seen)  # the reader kept reading during the run


def test_duckdb_lock_errors_are_recognised(db: Path) -> None:
    Warehouse(db).migrate()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
        "time.sleep(30)"), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        for read_only in (False, True):
            with pytest.raises(duckdb.IOException) as info:
                duckdb.connect(str(db), read_only=read_only)
            assert _is_lock_error(info.value), str(info.value)
        with pytest.raises(WarehouseBusyError, match="locked by another process"):
            with Warehouse(db, busy_timeout_s=0.5).connect(read_only=True):
                pass
    finally:
        holder.kill()
        holder.wait()

"""Every documented exit code, as cron and scripts see them (README, "Exit codes")."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, SEEDS, run_cli, run_cli_process, write_sources

from pipeline.runs.lock import RunLock


@pytest.fixture
def seeds_sources(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "seeds", ignore=shutil.ignore_patterns("*.json"))
    return write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")


def test_0_done_and_1_a_failed_query(seeds_sources: Path, db: Path) -> None:
    assert run_cli("run", "--sources", str(seeds_sources), "--db", str(db)).returncode == 0
    failed = run_cli("sql", "SELECT no_such_column FROM articles", "--db", str(db))
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [
    ["stats"], ["sql", "SELECT 1"], ["search", "x"], ["export", "out.parquet"], ["review"],
    ["reextract"],
])
def test_2_no_warehouse_is_one_line_and_no_traceback(tmp_path: Path, command: list[str]) -> None:
    result = run_cli(*command, "--db", str(tmp_path / "missing.duckdb"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "missing.duckdb" in result.stderr
    assert not (tmp_path / "missing.duckdb").exists()


def test_2_a_broken_sources_file_names_file_line_and_field(tmp_path: Path, db: Path) -> None:
    sources = write_sources(tmp_path, "sources:\n  - name: x\n    feeed: https://example.org/\n")
    result = run_cli("run", "--sources", str(sources), "--db", str(db))
    assert result.returncode == 2 and "sources.yaml:3: sources.0.feeed" in result.stderr


def test_3_another_run_holds_the_lock(seeds_sources: Path, db: Path) -> None:
    with RunLock(db.with_name(db.name + ".lock")):
        result = run_cli("run", "--sources", str(seeds_sources), "--db", str(db))
    assert result.returncode == 3 and "another run holds" in result.stderr


def test_4_the_warehouse_stays_locked_by_another_writer(seeds_sources: Path, db: Path) -> None:
    assert run_cli("run", "--sources", str(seeds_sources), "--db", str(db)).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_cli("run", "--sources", str(seeds_sources), "--db", str(db),
                         env={"PIPELINE_BUSY_TIMEOUT_S": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 4 and "stayed locked" in result.stderr


def test_5_strict_when_a_source_yields_nothing(tmp_path: Path, db: Path) -> None:
    sources = write_sources(tmp_path, """\
        defaults: {connect_timeout_s: 1, max_retries: 0}
        sources:
          - {name: gone, feed: "http://127.0.0.1:9/rss.xml"}
        """)
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--strict", "--json")
    assert result.returncode == 5
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 5 and summary["failed_sources"] == ["gone"]


def test_the_readme_cron_line_works_as_pasted_on_a_fresh_copy(tmp_path: Path) -> None:
    """The installed command in a child process, from the README's own crontab line."""
    for name in ("sources.yaml", "fixtures", "warehouse"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns(
                "*.duckdb*", "captures", "review", "*.lock", "*.log", "summary.txt"))
        else:
            shutil.copy(src, tmp_path / name)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in readme.splitlines() if ln.startswith("7 * * * * "))
    command = line.split("&& ", 1)[1].replace("/usr/local/bin/uv run ", "")
    assert command.startswith("pipeline --log-file warehouse/logs/run.log run --strict")
    shell = command.replace("pipeline ", f"{sys.executable} -m pipeline ", 1)
    env_offline = "PIPELINE_CONNECT_TIMEOUT_S=1 PIPELINE_MAX_RETRIES=0 "
    done = subprocess.run(["sh", "-c", env_offline + shell], cwd=tmp_path, timeout=300)
    assert done.returncode == 5  # offline: the three news feeds yield nothing, --strict says so
    log = (tmp_path / "warehouse" / "logs" / "run.log").read_text(encoding="utf-8")
    assert "run started" in log and "finished in" in log and "exit 5" in log
    summary = (tmp_path / "warehouse" / "logs" / "summary.txt").read_text(encoding="utf-8")
    assert "failed (--strict)" in summary and "seeds" in summary
    assert run_cli_process("--version").stdout.startswith("pipeline ")

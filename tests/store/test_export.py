"""Exports: parquet, JSON lines and CSV slices of the corpus, written whole or not at all."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from corpus_rows import load, row, story
from helpers import run_cli
from pipeline.store.export import ExportError, ExportOptions, export
from pipeline.store.warehouse import Warehouse


@pytest.fixture
def filled(db: Path) -> Path:
    warehouse = Warehouse(db)
    warehouse.migrate()
    load(warehouse, [row(f"a{i}", story(i, 200), source="even" if i % 2 == 0 else "odd")
                     for i in range(30)])
    return db


def test_parquet_with_where(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "even.parquet"
    result = export(filled, out, ExportOptions(where="source = 'even'"))
    assert (result.rows, result.format) == (15, "parquet")
    got = duckdb.sql(f"SELECT count(*), min(source), max(source), count(cluster_id) FROM '{out}'").fetchone()
    assert got == (15, "even", "even", 15)
    assert not list(out.parent.glob(".*partial"))


def test_jsonl_and_csv_from_the_cli(filled: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    result = run_cli("export", str(jsonl), "--db", str(filled), "--columns", "id,title,body", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 30
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(records) == 30 and set(records[0]) == {"id", "title", "body"}
    out = tmp_path / "stories.txt"
    result = run_cli("export", str(out), "--format", "csv", "--table", "stories", "--db", str(filled))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 30 and "members" in rows[0]


def test_bad_requests_fail_clearly_and_leave_nothing(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    result = run_cli("export", str(out), "--where", "no_such_column = 1", "--db", str(filled))
    assert result.returncode == 1 and "no_such_column" in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
    with pytest.raises(ExportError, match="cannot tell the format"):
        export(filled, tmp_path / "x.bin", ExportOptions())
    with pytest.raises(ExportError, match="unknown table"):
        export(filled, out, ExportOptions(table="articles; DROP TABLE runs"))
    assert run_cli("export", str(out), "--db", str(tmp_path / "none.duckdb")).returncode == 2

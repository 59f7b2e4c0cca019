"""Exports: parquet, JSON lines and CSV slices of the corpus, written whole or not at all; --where is
one expression checked by DuckDB, --table and --columns come from the catalog."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from corpus_rows import load, row, story
from helpers import run_cli

from pipeline.cli import main
from pipeline.errors import ExportError, ExportRequestError
from pipeline.stages.rows import ArticleRow
from pipeline.store.export import ExportOptions, export
from pipeline.store.warehouse import Warehouse

REMOVED = [{"text": "Sign up for our newsletter", "reason": "newsletter", "position": 2},
           {"text": "Related: more stories", "reason": "related"}]  # older rows have no position


def _row(i: int) -> ArticleRow:
    return replace(row(f"a{i}", story(i, 200), source="even" if i % 2 == 0 else "odd"),
                   removed=json.dumps(REMOVED if i % 3 == 0 else []),
                   published=datetime(2026, 1, 1 + i % 28, 12, 30) if i % 5 else None)


@pytest.fixture
def filled(db: Path) -> Path:
    warehouse = Warehouse(db)
    warehouse.migrate()
    load(warehouse, [_row(i) for i in range(30)])
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str):
    return CliRunner().invoke(main, ["export", *args], catch_exceptions=False)


def test_parquet_with_where(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "even.parquet"
    result = export(filled, out, ExportOptions(where="source = 'even'"))
    assert (result.rows, result.format) == (15, "parquet")
    got = duckdb.sql(f"SELECT count(*), min(source), max(source), count(cluster_id) FROM '{out}'").fetchone()
    assert got == (15, "even", "even", 15)
    assert not list(out.parent.glob(".*partial"))


def test_parquet_shapes_removed_as_structs_and_published_as_timestamp(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus.parquet"
    export(filled, out, ExportOptions())
    schema = pq.read_schema(out)
    assert schema.field("removed").type == pa.list_(pa.struct(
        [("text", pa.string()), ("reason", pa.string()), ("position", pa.int32())]))
    assert schema.field("published").type == pa.timestamp("us")  # naive: UTC
    rows = {r["id"]: r for r in pq.read_table(out, columns=["id", "removed", "published"]).to_pylist()}
    assert rows["a3"]["removed"] == [REMOVED[0], {**REMOVED[1], "position": None}]
    assert rows["a1"]["removed"] == [] and rows["a1"]["published"] == datetime(2026, 1, 2, 12, 30)
    assert rows["a5"]["published"] is None
    view = tmp_path / "latest.parquet"
    export(filled, view, ExportOptions(table="latest_articles", columns=("id", "published")))
    assert pq.read_schema(view).field("published").type == pa.timestamp("us")


def test_jsonl_and_csv_from_the_cli(filled: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    result = invoke(str(jsonl), "--db", str(filled), "--columns", "id,title,removed", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 30
    records = {r["id"]: r for r in map(json.loads, jsonl.read_text().splitlines())}
    assert len(records) == 30 and set(records["a0"]) == {"id", "title", "removed"}
    assert records["a3"]["removed"][0] == REMOVED[0]  # a list of objects, not a JSON string
    out = tmp_path / "stories.txt"
    result = invoke(str(out), "--format", "csv", "--table", "stories", "--db", str(filled))
    assert result.exit_code == 0, result.output
    assert "export" in result.stdout and "rows" in result.stdout  # the summary is on stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 30 and json.loads(rows[0]["sources"]) in (["even"], ["odd"])
    assert isinstance(json.loads(rows[0]["article_ids"]), list)


def test_csv_writes_removed_as_json_text(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    export(filled, out, ExportOptions(columns=("id", "published", "removed")))
    rows = {r["id"]: r for r in csv.DictReader(out.open())}
    assert json.loads(rows["a3"]["removed"]) == [REMOVED[0], {**REMOVED[1], "position": None}]
    assert json.loads(rows["a1"]["removed"]) == []
    assert rows["a1"]["published"] == "2026-01-02 12:30:00"


def test_the_where_injection_fails_and_leaves_the_warehouse_byte_identical(
        filled: Path, tmp_path: Path) -> None:
    before = digest(filled)
    out = tmp_path / "x.csv"
    injection = f"1=1) TO '{filled}' (FORMAT csv); COPY (SELECT 1 WHERE 1=1"
    result = invoke(str(out), "--where", injection, "--db", str(filled))
    assert result.exit_code == 2, result.output
    assert "--where" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert digest(filled) == before and not out.exists()
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(("where", "why"), [
    ("word_count > 1; DROP TABLE runs", "--where"),
    ("word_count > 1, word_count < 5", "single expression"),
    ("id IN (SELECT column0 FROM read_csv('/etc/hostname'))", "may not read files"),
    ("no_such_column = 1", "no_such_column"),
    ("  ", "empty"),
])
def test_a_where_that_is_not_one_condition_on_the_table_is_bad_input(
        filled: Path, tmp_path: Path, where: str, why: str) -> None:
    out = tmp_path / "out" / "x.parquet"
    with pytest.raises(ExportRequestError, match=why):
        export(filled, out, ExportOptions(where=where))
    assert not out.parent.exists()


def test_table_and_columns_come_from_the_catalog(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    with pytest.raises(ExportRequestError, match="unknown table 'articles; DROP TABLE runs'.*stories"):
        export(filled, out, ExportOptions(table="articles; DROP TABLE runs"))
    with pytest.raises(ExportRequestError, match="no column 'bogus'.*word_count"):
        export(filled, out, ExportOptions(columns=("id", "bogus")))
    with pytest.raises(ExportRequestError, match='no column \'title" FROM runs --\''):
        export(filled, out, ExportOptions(columns=('title" FROM runs --',)))
    assert export(filled, out, ExportOptions(table="minhash_bands")).rows > 0  # any catalog table
    result = invoke(str(out), "--table", "nope", "--db", str(filled))
    assert result.exit_code == 2 and "unknown table 'nope'" in result.stderr


def test_bad_requests_fail_clearly_and_leave_nothing(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    with pytest.raises(ExportRequestError, match="cannot tell the format"):
        export(filled, tmp_path / "x.bin", ExportOptions())
    failed = invoke(str(out), "--where", "CAST(title AS INTEGER) > 0", "--db", str(filled))
    assert failed.exit_code == 1 and failed.stderr.startswith("export failed")
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
    with pytest.raises(ExportError):
        export(filled, out, ExportOptions(where="CAST(title AS INTEGER) > 0"))


def test_a_missing_warehouse_is_exit_2_in_one_line(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "x.parquet"), "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2 and "no warehouse here" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "none.duckdb").exists()


def test_export_end_to_end_in_a_child_process(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "en.jsonl"
    result = run_cli("export", str(out), "--where", "word_count > 100 AND source = 'odd'",
                     "--db", str(filled), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 15 == len(out.read_text().splitlines())
    bad = run_cli("export", str(out), "--where", "1=1) TO 'x'", "--db", str(filled))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

"""`pipeline sql`, `stats`, `search`, `export` as people and scripts see them: formats, tables that fit
the terminal, one-line errors with their exit codes, refusals that leave the warehouse untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from corpus_rows import load, row, story
from helpers import run_cli
from rich.cells import cell_len

from pipeline.cli import main
from pipeline.cli import query as Q
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse

TITLE = "Pipes | and [/red] markup stay text"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("query") / "warehouse" / "corpus.duckdb"
    warehouse = Warehouse(db)
    warehouse.migrate()
    rows = [row(f"a{i}", story(i, 300), source="seeds" if i % 2 else "wire") for i in range(5)]
    rows[0] = replace(rows[0], title=TITLE)
    rows[1] = replace(rows[1], removed=json.dumps(
        [{"text": "Subscribe now", "reason": "newsletter", "position": 1}]))
    load(warehouse, rows)
    with warehouse.connect() as con:
        refresh_index(con)
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str, columns: int = 80, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"COLUMNS": str(columns)}, input=stdin,
                              catch_exceptions=False)


def one_line_error(result: Result, code: int, text: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_table_mode_fits_the_terminal_one_line_per_row(db: Path) -> None:
    result = invoke("sql", "SELECT id, title, body, removed FROM articles ORDER BY id",
                    "--db", str(db), "--format", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), lines
    body_lines = [line for line in lines if line.startswith("│")]
    assert len(body_lines) == 5 and all("…" in line for line in body_lines)  # cut, not wrapped
    assert "Pipes | and [/red] m…" in body_lines[0]  # markup is shown, not interpreted
    assert lines[-1] == "5 row(s)"
    wide = invoke("sql", "SELECT id, title FROM articles ORDER BY id", "--db", str(db),
                  "--format", "table", columns=200)
    assert TITLE in wide.stdout  # nothing cut when it fits


def test_table_is_the_default_on_a_terminal_and_json_lines_when_piped(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sql = "SELECT id, word_count FROM articles ORDER BY id LIMIT 2"
    piped = invoke("sql", sql, "--db", str(db))
    assert [json.loads(line)["id"] for line in piped.stdout.splitlines()] == ["a0", "a1"]
    assert invoke("sql", sql, "--db", str(db), "--json").stdout == piped.stdout
    monkeypatch.setattr(Q, "stdout_is_terminal", lambda: True)
    assert invoke("sql", sql, "--db", str(db)).stdout.splitlines()[0].startswith("┏")


def test_csv_json_and_markdown(db: Path) -> None:
    sql = ("SELECT id, title, [1, 2] AS numbers, {'k': 'v'} AS struct, NULL AS nothing "
           "FROM articles WHERE id = 'a0'")
    rows = list(csv.DictReader(io.StringIO(invoke("sql", sql, "--db", str(db), "--format", "csv").stdout)))
    assert rows == [{"id": "a0", "title": TITLE, "numbers": "[1, 2]", "struct": '{"k": "v"}',
                     "nothing": ""}]
    record = json.loads(invoke("sql", sql, "--db", str(db), "--format", "json").stdout)
    assert record == {"id": "a0", "title": TITLE, "numbers": [1, 2], "struct": {"k": "v"},
                      "nothing": None}
    markdown = invoke("sql", sql, "--db", str(db), "--format", "markdown").stdout.splitlines()
    assert markdown[0] == "| id | title | numbers | struct | nothing |"
    assert markdown[1] == "| --- | --- | --- | --- | --- |"
    assert markdown[2] == r'| a0 | Pipes \| and [/red] markup stay text | [1, 2] | {"k": "v"} |  |'


def test_max_rows_stdin_and_explain(db: Path) -> None:
    capped = invoke("sql", "SELECT * FROM range(50)", "--db", str(db), "--format", "table",
                    "--max-rows", "10")
    assert capped.stdout.splitlines()[-1] == "first 10 row(s) shown; more not shown"
    streamed = invoke("sql", "SELECT * FROM range(5000)", "--db", str(db), "--format", "csv")
    assert len(streamed.stdout.splitlines()) == 5001
    piped = invoke("sql", "-", "--db", str(db), stdin="SELECT count(*) AS n FROM articles")
    assert json.loads(piped.stdout) == {"n": 5}
    commented = invoke("sql", "-- how many\nSELECT count(*) AS n FROM articles", "--db", str(db))
    assert json.loads(commented.stdout) == {"n": 5}
    typo = invoke("sql", "SELECT 1", "--jsn", "--db", str(db))
    assert typo.exit_code == 2 and "--jsn" in typo.stderr
    plan = invoke("sql", "EXPLAIN SELECT count(*) FROM articles", "--db", str(db), "--format", "table")
    assert plan.exit_code == 0 and "SCAN" in plan.stdout and "row(s)" not in plan.stdout  # the plan as is


@pytest.mark.parametrize("sql", ["", "   ", "-- nothing but a comment", "/* block */ ;"])
def test_no_statement_is_exit_2_with_a_clear_message(db: Path, sql: str) -> None:
    one_line_error(invoke("sql", sql, "--db", str(db)), 2, "no SQL statement given")


def test_a_failed_query_is_one_line_and_exit_1(db: Path) -> None:
    one_line_error(invoke("sql", "SELECT nope FROM nowhere", "--db", str(db)), 1,
                   "query failed: Catalog Error")
    one_line_error(invoke("sql", "SELEC 1", "--db", str(db)), 1, "syntax error")
    one_line_error(invoke("sql", "SELECT 1; SELECT 2", "--db", str(db)), 2, "one statement at a time")


def test_writes_attaches_and_file_reads_are_refused(db: Path, tmp_path: Path) -> None:
    before = digest(db)
    for sql, why in ((f"COPY (SELECT 1) TO '{db}' (FORMAT csv)", "COPY"),
                     (f"ATTACH '{db}' AS w (READ_WRITE)", "ATTACH"),
                     (f"EXPORT DATABASE '{tmp_path}/dump'", "EXPORT DATABASE"),
                     ("INSTALL httpfs", "INSTALL"), ("LOAD json", "LOAD"),
                     ("SELECT * FROM read_text('/etc/hostname')", "--allow-files")):
        one_line_error(invoke("sql", sql, "--db", str(db)), 2, why)
    assert digest(db) == before and list(tmp_path.iterdir()) == []
    (tmp_path / "x.csv").write_text("a\n41\n")
    allowed = invoke("sql", f"SELECT a + 1 AS b FROM read_csv('{tmp_path / 'x.csv'}')",
                     "--db", str(db), "--allow-files")
    assert allowed.exit_code == 0 and json.loads(allowed.stdout) == {"b": 42}
    refused = invoke("sql", f"COPY (SELECT 1) TO '{db}'", "--db", str(db), "--allow-files")
    one_line_error(refused, 2, "COPY")
    assert digest(db) == before


@pytest.mark.parametrize("args", [
    ["sql", "SELECT 1"], ["stats"], ["search", "anything"], ["search", "x", "--reindex"],
    ["export", "out.parquet"],
])
def test_a_missing_warehouse_is_exit_2_in_one_line(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "missing.duckdb"
    if args[0] == "export":
        args = ["export", str(tmp_path / "out.parquet")]
    one_line_error(invoke(*args, "--db", str(missing)), 2, "no warehouse here")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_warehouse_is_exit_2(tmp_path: Path) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    one_line_error(invoke("stats", "--db", str(text)), 2, "not a readable DuckDB warehouse")


def test_stats_tables_have_titles(db: Path) -> None:
    result = invoke("stats", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    for title in ("rows per table", "articles by source", "articles by language", "recent runs"):
        assert title in result.stdout
    assert "reject reasons: none" in result.stdout
    data = json.loads(invoke("stats", "--db", str(db), "--json").stdout)
    assert data["tables"]["articles"] == 5
    assert {r["source"] for r in data["by_source"]} == {"seeds", "wire"}


def test_search_results_show_the_url(db: Path) -> None:
    result = invoke("search", "government minister", "--db", str(db), "--limit", "3", columns=200)
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "snippet" in line)
    assert "url" in header and "https://example.org/a" in result.stdout
    assert result.stdout.splitlines()[-1] == "3 row(s)"
    hits = [json.loads(line) for line in
            invoke("search", "government", "--db", str(db), "--json").stdout.splitlines()]
    assert len(hits) == 5 and all(h["url"].startswith("https://example.org/") for h in hits)


def test_the_commands_end_to_end_in_a_child_process(db: Path, tmp_path: Path) -> None:
    before = digest(db)
    refused = run_cli("sql", f"COPY (SELECT 1) TO '{db}'", "--db", str(db))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert digest(db) == before
    ok = run_cli("sql", "SELECT count(*) AS n FROM articles", "--db", str(db))
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"n": 5}  # piped: JSON lines
    missing = run_cli("stats", "--db", str(tmp_path / "missing.duckdb"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and missing.stdout == ""

"""The guarded read-only connection: DuckDB itself refuses file access, ATTACH and new extensions,
the settings stay locked, and only one read-only statement is prepared."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from corpus_rows import load, row, story

from pipeline.store import readonly as R
from pipeline.store.fts import extension_path
from pipeline.store.warehouse import Warehouse


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("readonly") / "warehouse" / "corpus.duckdb"
    Warehouse(db).migrate()
    load(Warehouse(db), [row(f"a{i}", story(i, 100)) for i in range(3)])
    return db


@pytest.fixture
def con(warehouse: Path):
    with R.guarded(warehouse) as con:
        yield con


def refused_by_duckdb(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Run SQL past the statement check, straight on the guarded connection: DuckDB must refuse."""
    with pytest.raises((R.QueryRefused, R.QueryError)) as caught:
        R.execute(con, sql)
    return str(caught.value)


def test_copy_to_the_warehouse_file_is_refused_and_the_file_is_unchanged(
        con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    before = digest(warehouse)
    message = refused_by_duckdb(con, f"COPY (SELECT 1) TO '{warehouse}' (FORMAT csv)")
    assert "disabled by configuration" in message
    with pytest.raises(R.QueryRefused, match="COPY"):
        R.prepare(con, f"COPY (SELECT 1) TO '{warehouse}'")
    assert digest(warehouse) == before
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_attach_read_write_over_the_warehouse_file_is_refused(
        con: duckdb.DuckDBPyConnection, warehouse: Path, tmp_path: Path) -> None:
    before = digest(warehouse)
    alias = tmp_path / "alias.duckdb"  # the same file under another name
    os.link(warehouse, alias)
    for target in (warehouse, alias):
        refused_by_duckdb(con, f"ATTACH '{target}' AS w (READ_WRITE)")
        with pytest.raises(R.QueryRefused, match="ATTACH"):
            R.prepare(con, f"ATTACH '{target}' AS w (READ_WRITE)")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    assert "disabled by configuration" in refused_by_duckdb(con, f"ATTACH '{other}' AS o")
    assert [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases() "
                                      "WHERE NOT internal").fetchall()] == ["corpus"]
    assert digest(warehouse) == before


@pytest.mark.parametrize("sql", [
    "EXPORT DATABASE '{dir}/dump'",
    "COPY articles TO '{dir}/articles.csv'",
    "COPY articles FROM '{dir}/articles.csv'",
    "INSTALL fts",
    "LOAD '{dir}/copy.duckdb_extension'",
    "SELECT * FROM read_csv('{dir}/x.csv')",
    "SELECT * FROM read_csv_auto('{dir}/x.csv')",
    "SELECT * FROM read_parquet('{dir}/x.parquet')",
    "SELECT * FROM parquet_scan('{dir}/x.parquet')",
    "SELECT * FROM read_json('{dir}/x.json')",
    "SELECT * FROM read_json_auto('{dir}/x.json')",
    "SELECT * FROM read_ndjson('{dir}/x.json')",
    "SELECT * FROM read_text('{dir}/x.csv')",
    "SELECT * FROM read_blob('{dir}/x.csv')",
    "SELECT * FROM glob('{dir}/*')",
    "SELECT * FROM '{dir}/x.csv'",
    "SELECT * FROM sniff_csv('{dir}/x.csv')",
    "IMPORT DATABASE '{dir}/dump'",
])
def test_duckdb_refuses_every_file_access(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                          sql: str) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    (tmp_path / "x.json").write_text('{"a": 1}\n')
    duckdb.sql(f"COPY (SELECT 1 AS a) TO '{tmp_path / 'x.parquet'}'")
    shutil.copy(extension_path(), tmp_path / "copy.duckdb_extension")
    files = sorted(p.name for p in tmp_path.iterdir())
    text = sql.format(dir=tmp_path)
    message = refused_by_duckdb(con, text)
    assert "disabled" in message or "Table with name" in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # nothing written


@pytest.mark.parametrize("sql", [
    "SET enable_external_access = true", "RESET enable_external_access",
    "SET lock_configuration = false", "SET allowed_paths = ['/']",
    "SET autoload_known_extensions = true", "SET allow_unsigned_extensions = true",
])
def test_the_settings_are_locked(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    message = refused_by_duckdb(con, sql)
    assert "locked" in message or "while database is running" in message, message
    assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)


def test_queries_and_the_search_macros_still_work(con: duckdb.DuckDBPyConnection) -> None:
    assert R.execute(con, R.prepare(con, "SELECT count(*) FROM articles")).fetchone() == (3,)
    for sql in ("DESCRIBE articles", "SHOW TABLES", "SUMMARIZE articles", "FROM articles LIMIT 1",
                "PRAGMA table_info('articles')", "EXPLAIN SELECT 1", "CALL pragma_version()",
                "WITH x AS (SELECT 1 AS n) SELECT n FROM x", "SELECT stem('deliveries', 'porter')"):
        assert R.execute(con, R.prepare(con, sql)).fetchall(), sql


@pytest.mark.parametrize("sql", ["", "   \n\t", "-- only a comment", "/* a block */", " ; ; "])
def test_no_statement_is_a_clear_refusal(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(R.QueryRefused, match="no SQL statement given"):
        R.prepare(con, sql)


@pytest.mark.parametrize(("sql", "why"), [
    ("SELECT 1; SELECT 2", "one statement at a time, got 2"),
    ("SELECT 1; COPY (SELECT 1) TO 'x.csv'", "one statement at a time"),
    ("EXPORT DATABASE 'x'", "EXPORT DATABASE writes files"),
    ("INSTALL httpfs", "INSTALL and LOAD"),
    ("LOAD json", "INSTALL and LOAD"),
    ("DETACH corpus", "DETACH"),
    ("SET threads = 1", "settings are fixed"),
    ("SET VARIABLE x = 1", "settings are fixed"),
    ("CREATE TEMP TABLE t AS SELECT 1", "read-only"),
    ("DELETE FROM articles", "read-only"),
    ("PREPARE p AS SELECT 1", "PREPARE"),
    ("BEGIN TRANSACTION", "transaction"),
])
def test_statements_that_are_not_one_query_are_refused(
        con: duckdb.DuckDBPyConnection, sql: str, why: str) -> None:
    with pytest.raises(R.QueryRefused, match=why):
        R.prepare(con, sql)


def test_a_bad_query_is_one_line(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(R.QueryError) as caught:
        R.execute(con, R.prepare(con, "SELECT nope FROM articles"))
    assert "nope" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(R.QueryError, match="syntax error"):
        R.prepare(con, "SELEC 1")


def test_allow_files_reads_files_but_still_writes_nothing(warehouse: Path, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    before = digest(warehouse)
    with R.guarded(warehouse, R.GuardOptions(allow_files=True)) as con:
        statement = R.prepare(con, f"SELECT a + b FROM read_csv('{tmp_path / 'x.csv'}')",
                              allow_files=True)
        assert R.execute(con, statement).fetchall() == [(3,)]
        for sql in (f"COPY (SELECT 1) TO '{warehouse}'", f"ATTACH '{warehouse}' AS w (READ_WRITE)",
                    f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{tmp_path / 'e.csv'}'",
                    f"EXPORT DATABASE '{tmp_path / 'dump'}'", "INSTALL fts", "LOAD fts",
                    "SET enable_external_access = false"):
            with pytest.raises(R.QueryRefused):
                R.prepare(con, sql, allow_files=True)
        assert "locked" in refused_by_duckdb(con, "SET lock_configuration = false")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
    assert digest(warehouse) == before


def test_a_missing_or_foreign_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(R.ConfigError, match="no warehouse here"), R.guarded(tmp_path / "none.duckdb"):
        pass
    (tmp_path / "text.duckdb").write_text("not a database")
    with pytest.raises(R.ConfigError, match="not a readable DuckDB warehouse"), \
            R.guarded(tmp_path / "text.duckdb"):
        pass

"""Guarded read-only connections: one statement, no file access, no new extensions, settings locked.

The guard is DuckDB's own: after the fts extension is loaded, `enable_external_access = false`
stops every file and network access (COPY ... TO, EXPORT DATABASE, ATTACH, INSTALL, LOAD of a
new extension, read_csv / read_parquet / read_json / read_text / glob ...) except the files
named in `allowed_paths`, and `lock_configuration = true` stops any later SET or RESET from
undoing that. The statement-type check below only makes the common refusals read well; with
`allow_files` (external access left on, so reading files works) it is what keeps a query from
writing: only plain queries (StatementType.SELECT: SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW,
SUMMARIZE, PRAGMA table functions) run then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.errors import ConfigError, QueryError, QueryRefused, SearchUnavailableError
from pipeline.store.fts import load_fts
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)

StatementType = duckdb.StatementType

# Plain queries only. EXPLAIN and CALL are safe only while DuckDB blocks file access:
# `EXPLAIN ANALYZE COPY (...) TO 'file'` runs the COPY.
ALLOWED = frozenset({StatementType.SELECT, StatementType.EXPLAIN, StatementType.CALL})
ALLOWED_WITH_FILES = frozenset({StatementType.SELECT})

_READ_ONLY = "the warehouse is read-only here"
REFUSALS: dict[StatementType, str] = {
    StatementType.COPY: "COPY reads or writes files",
    StatementType.COPY_DATABASE: "COPY FROM DATABASE writes another database",
    StatementType.EXPORT: "EXPORT DATABASE writes files",
    StatementType.ATTACH: "ATTACH opens another database",
    StatementType.DETACH: "DETACH changes the attached databases",
    StatementType.LOAD: "INSTALL and LOAD add extensions",
    StatementType.EXTENSION: "extension statements add extensions",
    StatementType.SET: "settings are fixed for a guarded connection",
    StatementType.VARIABLE_SET: "settings are fixed for a guarded connection",
    StatementType.PREPARE: "one statement runs at a time, so PREPARE has nothing to prepare for",
    StatementType.EXECUTE: "one statement runs at a time, so EXECUTE has nothing to run",
    StatementType.TRANSACTION: "one statement runs at a time, outside any transaction",
}
USAGE = ("`pipeline sql` runs one read-only query (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, "
         "PRAGMA, EXPLAIN, CALL)")


@dataclass(frozen=True, slots=True)
class GuardOptions:
    allow_files: bool = False              # leave file access on so read_csv(...) etc. work
    allowed_paths: tuple[str, ...] = ()    # files reachable even so (an export's output file)
    settings: tuple[tuple[str, str], ...] = ()  # SET name = value, before the lock


def one_line(exc: BaseException) -> str:
    """DuckDB's message without its LINE/caret excerpt, on one line."""
    kept = []
    for line in str(exc).splitlines():
        if line.startswith("LINE ") or not line.strip():
            break
        kept.append(line.strip())
    return " ".join(kept) or type(exc).__name__


def check_warehouse(db_path: Path) -> None:
    if not db_path.is_file():
        raise ConfigError(f"{db_path}: no warehouse here; run `pipeline run` first")


def guard(con: duckdb.DuckDBPyConnection, options: GuardOptions = GuardOptions()) -> None:
    """Load the fts extension, turn file access and extension loading off, lock the settings."""
    try:
        load_fts(con)  # the search index's macros need it, and nothing can be loaded later
    except SearchUnavailableError as exc:
        log.debug("fts not loaded: %s", exc)
    # Literals, not parameters: the first bound parameter makes DuckDB import pandas (seconds).
    for name, value in options.settings:
        con.execute(f"SET {_identifier(name)} = {_literal(value)}")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    if options.allowed_paths:
        paths = ", ".join(_literal(p) for p in options.allowed_paths)
        con.execute(f"SET allowed_paths = [{paths}]")
    if not options.allow_files:
        con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


@contextmanager
def guarded(db_path: Path, options: GuardOptions = GuardOptions()
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only (waiting while a batch lands) and guarded."""
    check_warehouse(db_path)
    with ExitStack() as stack:
        try:
            con = stack.enter_context(Warehouse(db_path).connect(read_only=True))
        except duckdb.Error as exc:  # busy is WarehouseBusyError; this is a file DuckDB cannot open
            raise ConfigError(f"{db_path}: not a readable DuckDB warehouse: {one_line(exc)}") from exc
        guard(con, options)
        yield con


def prepare(con: duckdb.DuckDBPyConnection, sql: str, allow_files: bool = False
            ) -> duckdb.Statement:
    """DuckDB's parse of SQL, if it is exactly one statement this connection may run."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.PermissionException as exc:  # IMPORT DATABASE reads its files while parsing
        raise _refused_files(exc) from exc
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from exc
    if not statements:
        raise QueryRefused(f"no SQL statement given (empty, or only comments): {USAGE}")
    if len(statements) > 1:
        raise QueryRefused(f"one statement at a time, got {len(statements)}: {USAGE}")
    statement = statements[0]
    allowed = ALLOWED_WITH_FILES if allow_files else ALLOWED
    if statement.type not in allowed:
        why = REFUSALS.get(statement.type, _READ_ONLY)
        if statement.type in ALLOWED:
            why = f"{statement.type.name} is refused with --allow-files (EXPLAIN ANALYZE runs its statement)"
        raise QueryRefused(f"refused: {why}; {USAGE}")
    return statement


def execute(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement | str
            ) -> duckdb.DuckDBPyConnection:
    """Run a prepared statement; DuckDB's refusals and failures become one-line errors."""
    try:
        return con.execute(statement)
    except duckdb.PermissionException as exc:
        raise _refused_files(exc) from exc
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from exc


def _refused_files(exc: duckdb.Error) -> QueryRefused:
    return QueryRefused(f"refused: the query reaches outside the warehouse ({one_line(exc)}); "
                        "pass --allow-files to read files")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a setting name: {name!r}")
    return name

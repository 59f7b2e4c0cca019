"""Stream a table or view to Parquet, JSON lines or CSV with DuckDB's COPY, on a guarded connection.

The rows come from DuckDB's relational API over a table the catalog names: `--where` goes to
`relation.filter()`, which parses exactly one expression (anything after it, such as a second
statement, is a parse error), and `--columns` must be columns of that table. Nothing the user
typed is pasted into SQL text. COPY streams row groups from the scan to the file, so memory stays
bounded by the memory limit whatever the corpus size. The connection can reach no file but the
partial output (`allowed_paths`), which is renamed into place when complete.

Shapes: `removed` is a list of `{text, reason, position}` structs (JSON text in CSV, like every
nested column there), `published` is a TIMESTAMP (UTC, naive), other timestamps are rendered in UTC.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from duckdb.sqltypes import DuckDBPyType

from pipeline.errors import ExportError, ExportRequestError
from pipeline.store.readonly import GuardOptions, guarded, one_line

FORMATS = {
    # a row group is buffered whole before it is written: bound it in bytes, not only in rows
    "parquet": "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, ROW_GROUP_SIZE_BYTES '32MB'",
    "jsonl": "FORMAT json",  # newline-delimited: one object per line
    "csv": "FORMAT csv, HEADER true",
}
SUFFIXES = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".csv": "csv"}
REMOVED_SHAPE = '[{"text":"VARCHAR","reason":"VARCHAR","position":"INTEGER"}]'
NESTED = {"list", "struct", "map", "array", "union"}


@dataclass(frozen=True, slots=True)
class ExportOptions:
    format: str | None = None          # parquet | jsonl | csv; None: from OUT's suffix
    where: str | None = None           # one SQL boolean expression over the table's columns
    table: str = "articles"
    columns: tuple[str, ...] = ()      # () = all columns
    memory_limit: str = "1GB"


@dataclass(slots=True)
class ExportResult:
    path: str
    format: str
    rows: int
    bytes: int
    seconds: float


def resolve_format(out: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ExportRequestError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return fmt
    suffix = "".join(out.suffixes[-1:]).lower()
    if suffix not in SUFFIXES:
        raise ExportRequestError(f"{out}: cannot tell the format from the name; pass --format "
                                 f"({'|'.join(FORMATS)})")
    return SUFFIXES[suffix]


def catalog_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of the warehouse's main schema."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal UNION "
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal ORDER BY 1").fetchall()]


def select_rows(con: duckdb.DuckDBPyConnection, options: ExportOptions,
                fmt: str) -> duckdb.DuckDBPyRelation:
    """The rows to export as a relation: the table, filtered by --where, projected to the
    chosen columns in their export shapes."""
    tables = catalog_tables(con)
    if options.table not in tables:
        raise ExportRequestError(f"unknown table {options.table!r}: use one of {', '.join(tables)}")
    rel = con.table(options.table)
    types = {name: kind for name, kind in zip(rel.columns, rel.types, strict=True)}
    unknown = [c for c in options.columns if c not in types]
    if unknown:
        raise ExportRequestError(f"no column {', '.join(map(repr, unknown))} in {options.table}: "
                                 f"it has {', '.join(rel.columns)}")
    if options.where is not None:
        rel = _filtered(rel, options.where)
    names = list(options.columns) or list(rel.columns)
    return rel.project(", ".join(_shaped(n, types[n], fmt) for n in names))


def _filtered(rel: duckdb.DuckDBPyRelation, where: str) -> duckdb.DuckDBPyRelation:
    if not where.strip():
        raise ExportRequestError("--where is empty: give one condition, e.g. \"source = 'seeds'\"")
    try:
        return rel.filter(where)
    except duckdb.PermissionException as exc:
        raise ExportRequestError(f"--where may not read files: {one_line(exc)}") from exc
    except duckdb.Error as exc:
        raise ExportRequestError(f"--where must be one condition on the table's columns: "
                                 f"{one_line(exc)}") from exc


def _shaped(name: str, kind: DuckDBPyType, fmt: str) -> str:
    """The SQL for one exported column (from catalog names and types only)."""
    ident = '"' + name.replace('"', '""') + '"'
    expr, nested = ident, kind.id in NESTED
    if name == "removed" and not nested:  # stored as JSON text today; a list of structs later
        expr, nested = f"from_json({ident}, '{REMOVED_SHAPE}')", True
    elif name == "published":
        expr = f"CAST({ident} AS TIMESTAMP)"
    if fmt == "csv" and nested:
        expr = f"to_json({expr})"
    return ident if expr == ident else f"{expr} AS {ident}"


def export(db_path: Path, out: Path, options: ExportOptions) -> ExportResult:
    """Write the selected rows to OUT; returns how many rows and bytes were written."""
    fmt = resolve_format(out, options.format)
    partial = out.parent.resolve() / f".{out.name}.partial"
    settings = (("memory_limit", options.memory_limit),
                ("preserve_insertion_order", "false"),  # lets COPY stream without reordering
                ("enable_progress_bar", "false"), ("TimeZone", "UTC"))
    started = time.perf_counter()
    with guarded(db_path, GuardOptions(allowed_paths=(str(partial),), settings=settings)) as con:
        con.register("_export", select_rows(con, options, fmt))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        quoted = str(partial).replace("'", "''")
        try:
            row = con.execute(f"COPY _export TO '{quoted}' ({FORMATS[fmt]})").fetchone()
        except duckdb.Error as exc:
            partial.unlink(missing_ok=True)
            raise ExportError(f"export failed: {one_line(exc)}") from exc
    os.replace(partial, out)
    return ExportResult(str(out), fmt, int(row[0]) if row else 0, out.stat().st_size,
                        round(time.perf_counter() - started, 3))

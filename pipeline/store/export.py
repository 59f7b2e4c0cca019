"""Stream a slice of the corpus to Parquet, JSON lines or CSV with DuckDB `COPY ... TO`.

COPY streams row groups from the scan to the file, so memory stays bounded by the memory limit
set below whatever the corpus size. The file is written beside OUT and renamed when complete,
so a reader never sees half an export.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.errors import ExportError
from pipeline.store.warehouse import Warehouse

FORMATS = {
    # a row group is buffered whole before it is written: bound it in bytes, not only in rows
    "parquet": "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, ROW_GROUP_SIZE_BYTES '32MB'",
    "jsonl": "FORMAT json",  # newline-delimited: one object per line
    "csv": "FORMAT csv, HEADER true",
}
SUFFIXES = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".csv": "csv"}
TABLES = ("articles", "latest_articles", "stories", "source_health", "rejects", "captures",
          "fetches", "runs")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    format: str | None = None          # parquet | jsonl | csv; None: from OUT's suffix
    where: str | None = None           # a SQL condition, run on a read-only connection
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
            raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return fmt
    suffix = "".join(out.suffixes[-1:]).lower()
    if suffix not in SUFFIXES:
        raise ExportError(f"{out}: cannot tell the format from the name; pass --format "
                          f"({'|'.join(FORMATS)})")
    return SUFFIXES[suffix]


def export_query(options: ExportOptions) -> str:
    if options.table not in TABLES:
        raise ExportError(f"unknown table {options.table!r}: use one of {', '.join(TABLES)}")
    columns = ", ".join('"' + c.replace('"', '""') + '"' for c in options.columns) or "*"
    sql = f"SELECT {columns} FROM {options.table}"
    if options.where:
        sql += f" WHERE {options.where}"
    return sql


def export(db_path: Path, out: Path, options: ExportOptions) -> ExportResult:
    """Write the selected rows to OUT; returns how many rows and bytes were written."""
    fmt = resolve_format(out, options.format)
    sql = export_query(options)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    started = time.perf_counter()
    with Warehouse(db_path).connect(read_only=True) as con:
        con.execute(f"SET memory_limit = '{options.memory_limit}'")
        con.execute("SET preserve_insertion_order = false")  # lets COPY stream without reordering
        con.execute("SET enable_progress_bar = false")
        try:
            rows = con.execute(
                f"COPY ({sql}) TO '{_quote(partial)}' ({FORMATS[fmt]})").fetchone()[0]
        except duckdb.Error as exc:
            partial.unlink(missing_ok=True)
            raise ExportError(f"export failed: {exc}") from exc
    os.replace(partial, out)
    return ExportResult(str(out), fmt, int(rows), out.stat().st_size,
                        round(time.perf_counter() - started, 3))


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")

"""Rows as text for scripts and documents: JSON lines, CSV (nested values as JSON), Markdown."""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

FORMATS = ("table", "csv", "json", "markdown")
Rows = Iterable[Sequence[Any]]


def jsonable(value: Any) -> Any:
    """`json.dumps(default=...)` for what DuckDB returns beyond JSON's own types."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)  # UUID, intervals, anything else with a text form


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=jsonable)


def cell_text(value: Any) -> str:
    """One value as CSV/Markdown/table text: NULL is empty, lists and structs are JSON."""
    if value is None:
        return ""
    if isinstance(value, list | dict | tuple):
        return to_json(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return jsonable(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def write_json_lines(out: IO[str], columns: Sequence[str], rows: Rows) -> int:
    """One JSON object per row; returns the number of rows written."""
    n = 0
    for row in rows:
        out.write(to_json(dict(zip(columns, row, strict=True))) + "\n")
        n += 1
    return n


def write_csv(out: IO[str], columns: Sequence[str], rows: Rows) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
        n += 1
    return n


def write_markdown(out: IO[str], columns: Sequence[str], rows: Rows) -> int:
    """A GitHub-flavoured Markdown table (pipes escaped, line breaks as <br>)."""
    out.write("| " + " | ".join(_md(c) for c in columns) + " |\n")
    out.write("|" + "|".join(" --- " for _ in columns) + "|\n")
    n = 0
    for row in rows:
        out.write("| " + " | ".join(_md(cell_text(v)) for v in row) + " |\n")
        n += 1
    return n


def _md(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(line.strip() for line in text.splitlines()) if "\n" in text else text

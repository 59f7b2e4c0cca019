"""Rich output for people: progress, run summaries, tables. Nothing here decides anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table


@contextmanager
def progress(console: Console, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


def print_rows(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    console.print(f"{len(rows)} row(s)", style="dim")


def print_mapping(console: Console, title: str, data: dict[str, Any]) -> None:
    table = Table("key", "value", title=title)
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


def print_extract_table(console: Console, records: list[dict[str, Any]]) -> None:
    table = Table("path", "title", "author", "lang", "words", "removed / drop")
    for rec in records:
        if "drop" in rec:
            table.add_row(rec["path"], "", "", "", "", f"[red]drop: {rec['drop']}[/red]")
        else:
            table.add_row(rec["path"], rec.get("title") or "", rec.get("author") or "",
                          rec.get("language") or "", str(len((rec.get("body") or "").split())),
                          str(len(rec.get("removed") or [])))
    console.print(table)


def print_stats(console: Console, data: dict[str, Any]) -> None:
    print_mapping(console, "tables", data["tables"])
    for key, title in (("by_source", "articles by source"), ("by_language", "articles by language"),
                       ("reject_reasons", "reject reasons"), ("recent_runs", "recent runs")):
        rows = data.get(key) or []
        if rows:
            print_rows(console, list(rows[0].keys()), [list(r.values()) for r in rows])

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
def run_progress(console: Console) -> Iterator[Callable[[str, Any], None]]:
    """One progress bar per source (only on a terminal: cron logs stay clean).

    Yields `update(source, tally)`; the bar's total is what was found to fetch or capture,
    its progress what has been fetched, captured or failed so far."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[detail]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(source: str, tally: Any) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=None, detail="")
            todo = max(tally.discovered - tally.skipped_known, 0)
            done = tally.fetched + tally.failed + tally.not_modified + (
                tally.captured if not tally.fetched else 0)
            bar.update(tasks[source], total=todo or None, completed=min(done, todo) if todo else done,
                       detail=f"{tally.articles} articles, {tally.failed} failed")

        yield update


@contextmanager
def progress(console: Console, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


def print_run_summary(console: Console, summary: Any) -> None:
    table = Table(title=f"run {summary.run_id}: {summary.status}",
                  caption="found: discovered; known: already stored; 304: unchanged; "
                          "ok/fail: fetches; saved: captures; drops: no article")
    table.add_column("source", overflow="fold")
    for header in ("found", "known", "304", "ok", "fail", "saved", "articles", "drops"):
        table.add_column(header, justify="right", no_wrap=True)
    for name, t in summary.sources.items():
        table.add_row(name, *(str(v) for v in (t.discovered, t.skipped_known, t.not_modified,
                                               t.fetched, t.failed, t.captured, t.articles, t.rejected)))
    console.print(table)
    if summary.recovered_runs:
        console.print(f"recovered after killed run(s): {', '.join(summary.recovered_runs)}")
    for name, t in summary.sources.items():
        if t.reasons:
            reasons = ", ".join(f"{k} x{v}" for k, v in t.reasons.most_common())
            console.print(f"[bold]{name}[/bold] drops/failures: {reasons}", highlight=False)
        for problem in t.problems[:5]:
            console.print(f"  [yellow]![/yellow] {name}: {problem}", highlight=False, markup=True)
        if len(t.problems) > 5:
            console.print(f"  ... and {len(t.problems) - 5} more (see the fetches table)")
    failed = summary.failed_sources
    if failed:
        console.print(f"[yellow]sources that yielded nothing: {', '.join(failed)}[/yellow]")


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

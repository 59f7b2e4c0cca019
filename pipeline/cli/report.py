"""Rich output for people: progress bars and tables that fit the terminal. Nothing here decides anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
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
from rich.text import Text

from pipeline.cli.formats import cell_text


@contextmanager
def progress(console: Console, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (nothing otherwise); yields `advance(n=1)`."""
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


MAX_CELL = 300  # characters kept of one cell before fitting (a body can be megabytes)


def fit_widths(natural: Sequence[int], available: int, floor: int = 6) -> list[int]:
    """Column widths that fit `available` cells: narrow columns keep their width, the wide
    ones share the rest equally (max-min fair), none narrower than `floor` if it can help it."""
    widths = list(natural)
    if sum(widths) <= available:
        return widths
    left, count = available, len(widths)
    for i in sorted(range(len(widths)), key=widths.__getitem__):
        widths[i] = min(natural[i], max(left // count, floor))
        left -= widths[i]
        count -= 1
    return widths


def _one_line(value: Any) -> str:
    text = cell_text(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - 1] + "…"
    return " ".join(text.split()) if any(c in text for c in "\n\r\t") else text


def fitted_table(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                 title: str | None = None, wrap: str | None = None) -> Table:
    """A table as wide as the terminal at most: one line per row, long cells cut with an
    ellipsis; only the column named `wrap` (if any) wraps, into what the others leave."""
    cells = [[_one_line(v) for v in row] for row in rows]
    natural = [max([cell_len(str(c))] + [cell_len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    available = max(console.width - (3 * len(columns) + 1), len(columns))
    wrapped = list(columns).index(wrap) if wrap is not None and wrap in columns else None
    if wrapped is None:
        widths = fit_widths(natural, available)
    else:
        others = natural[:wrapped] + natural[wrapped + 1:]
        widths = fit_widths(others, available - min(natural[wrapped], max(30, available // 3)))
        widths.insert(wrapped, max(available - sum(widths), 10))
    table = Table(title=title, title_justify="left", show_lines=wrapped is not None)
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], int | float | Decimal) and not isinstance(r[i], bool)
                                     for r in rows if r[i] is not None)
        table.add_column(Text(str(name)), width=widths[i], no_wrap=i != wrapped, overflow="ellipsis",
                         justify="right" if numeric else "left")
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    return table


def print_rows(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]],
               title: str | None = None, more: bool = False, wrap: str | None = None) -> None:
    """Rows as a fitted table and a count (`more`: rows were left out after these)."""
    console.print(fitted_table(console, columns, rows, title=title, wrap=wrap))
    shown = f"first {len(rows)} row(s) shown; more not shown" if more else f"{len(rows)} row(s)"
    console.print(shown, style="dim", highlight=False)


def print_mapping(console: Console, title: str, data: dict[str, Any]) -> None:
    console.print(fitted_table(console, ["key", "value"], list(data.items()), title=title))


def print_extract_table(console: Console, records: list[dict[str, Any]]) -> None:
    rows: list[tuple[Any, ...]] = []
    for rec in records:
        if "drop" in rec:
            rows.append((rec["path"], "", "", "", "", f"drop: {rec['drop']}"))
        else:
            rows.append((rec["path"], rec.get("title") or "", rec.get("author") or "",
                         rec.get("language") or "", len((rec.get("body") or "").split()),
                         len(rec.get("removed") or [])))
    console.print(fitted_table(console, ["path", "title", "author", "lang", "words", "removed / drop"],
                               rows))


STATS_TITLES = (("by_source", "articles by source"), ("by_language", "articles by language"),
                ("reject_reasons", "reject reasons"), ("recent_runs", "recent runs"))


def print_stats(console: Console, data: dict[str, Any]) -> None:
    """Each part of `pipeline stats` as a titled table (empty parts say so)."""
    console.print(fitted_table(console, ["table", "rows"], list(data["tables"].items()),
                               title="rows per table"))
    for key, title in STATS_TITLES:
        rows = data.get(key) or []
        if rows:
            console.print(fitted_table(console, list(rows[0].keys()),
                                       [list(r.values()) for r in rows], title=title))
        else:
            console.print(f"{title}: none", style="dim", highlight=False)

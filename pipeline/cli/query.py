"""`pipeline sql`, `stats`, `search` and `export`: reading the warehouse.

Results (tables for people, JSON/CSV for scripts) go to stdout; errors go to stderr as one line.
Exit codes: 0 done; 1 the query or export failed; 2 bad input (no warehouse, empty or refused
SQL, bad --where, unknown table or column); 4 the warehouse stayed locked by a writer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import duckdb
from rich.console import Console
from rich.markup import escape

from pipeline.cli import formats, report
from pipeline.cli.common import DB_OPTION, err, slots
from pipeline.cli.exits import exit_code_for
from pipeline.errors import PipelineError

FETCH_ROWS = 1000  # rows per fetch while streaming CSV / JSON


@contextmanager
def reported() -> Iterator[None]:
    """End the command on a PipelineError: its message on one stderr line, its exit code."""
    try:
        yield
    except BrokenPipeError:  # `pipeline sql ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except PipelineError as exc:
        from pipeline.errors import QueryError

        label = "query failed: " if isinstance(exc, QueryError) else ""
        err.print(f"[red]{label}{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        sys.exit(exit_code_for(exc))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _batches(cursor: duckdb.DuckDBPyConnection, size: int = FETCH_ROWS) -> Iterator[tuple]:
    from pipeline.errors import QueryError
    from pipeline.store.readonly import one_line

    while True:
        try:
            rows = cursor.fetchmany(size)
        except duckdb.Error as exc:
            raise QueryError(one_line(exc)) from exc
        if not rows:
            return
        yield from rows


def _read_query(query: str) -> str:
    return sys.stdin.read() if query == "-" else query


# A query may start with a comment ("-- ..."): not an option.
@click.command("sql", context_settings={"ignore_unknown_options": True})
@click.argument("query")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(formats.FORMATS), default=None,
              help="Output format [default: table on a terminal, json (lines) otherwise].")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json: one object per row.")
@click.option("--allow-files", is_flag=True,
              help="Let the query read files (read_csv, read_parquet, read_json, glob ...). "
                   "Writing files, ATTACH, INSTALL and LOAD stay refused.")
@click.option("--max-rows", type=click.IntRange(1), default=1000, show_default=True,
              help="Rows shown in table and markdown output (csv and json stream every row).")
def sql_command(query: str, db_path: Path, fmt: str | None, as_json: bool, allow_files: bool,
                max_rows: int) -> None:
    """Run one read-only DuckDB query against the warehouse (QUERY, or - to read it from stdin).

    The connection cannot write or read files, attach databases or load extensions (DuckDB's
    enable_external_access = false, with the configuration locked); the fts extension is
    loaded, so the search index's macros work."""
    from pipeline.store.readonly import GuardOptions, execute, guarded, prepare

    fmt = "json" if as_json else fmt or ("table" if stdout_is_terminal() else "json")
    with reported(), guarded(db_path, GuardOptions(allow_files=allow_files)) as con:
        statement = prepare(con, _read_query(query), allow_files=allow_files)
        cursor = execute(con, statement)
        columns = [d[0] for d in cursor.description or []]
        rows = _batches(cursor)
        if fmt == "json":
            formats.write_json_lines(sys.stdout, columns, rows)
        elif fmt == "csv":
            formats.write_csv(sys.stdout, columns, rows)
        else:
            shown = [row for _, row in zip(range(max_rows + 1), rows, strict=False)]
            more = len(shown) > max_rows
            if fmt == "markdown":
                formats.write_markdown(sys.stdout, columns, shown[:max_rows])
            elif statement.type == duckdb.StatementType.EXPLAIN:
                click.echo("\n".join(str(row[-1]) for row in shown))
            else:
                report.print_rows(Console(), columns, shown[:max_rows], more=more)


@click.command("stats")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats_command(db_path: Path, as_json: bool) -> None:
    """Counts per table, articles per source and language, recent runs, reject reasons."""
    from pipeline.store.queries import stats

    with reported():
        data = stats(db_path)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=formats.jsonable))
    else:
        report.print_stats(Console(), data)


SEARCH_COLUMNS = ("#", "score", "source", "published", "title", "url", "snippet")


def _search_rows(hits: Sequence[Any]) -> list[tuple]:
    return [(n, round(h.score, 3), h.source, h.published.date() if h.published else None,
             h.title, h.url, h.snippet) for n, h in enumerate(hits, 1)]


@click.command("search")
@click.argument("query")
@DB_OPTION
@click.option("--source", default=None, help="Only articles of this source.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only articles published (or extracted, when undated) on or after DATE.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="How many results.")
@click.option("--reindex", is_flag=True, help="Rebuild the search index first (takes the write lock).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result, best first.")
def search_command(query: str, db_path: Path, source: str | None, since: datetime | None,
                   limit: int, reindex: bool, as_json: bool) -> None:
    """Full-text search (BM25 over title + body): ranked results with their URL and a snippet."""
    from pipeline.store.search import search_db

    with reported():
        hits = search_db(db_path, query, source=source, since=since.date() if since else None,
                         limit=limit, reindex=reindex)
    if as_json:
        for hit in hits:
            click.echo(formats.to_json(hit.as_dict()))
        return
    report.print_rows(Console(), SEARCH_COLUMNS, _search_rows(hits), title=f"search: {query}",
                      wrap="snippet")


@click.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "csv"]), default=None,
              help="Output format (default: from OUT's extension).")
@click.option("--where", default=None,
              help="One SQL condition on the table's columns, e.g. "
                   "\"source = 'seeds' AND word_count > 200\".")
@click.option("--table", default="articles", show_default=True,
              help="Table or view to export (articles, latest_articles, stories, source_health, ...).")
@click.option("--columns", default=None, help="Comma-separated columns (default: all).")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def export_command(out: Path, fmt: str | None, where: str | None, table: str, columns: str | None,
                   db_path: Path, as_json: bool) -> None:
    """Stream articles (or a view) to Parquet, JSON lines or CSV in constant memory.

    `removed` is a list of {text, reason, position} (JSON text in CSV, like every nested
    column); `published` is a TIMESTAMP (UTC); other timestamps are written in UTC."""
    from pipeline.store.export import ExportOptions, export

    cols = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else ()
    with reported():
        result = export(db_path, out, ExportOptions(format=fmt, where=where, table=table,
                                                    columns=cols))
    if as_json:
        click.echo(json.dumps(slots(result)))
    else:
        report.print_mapping(Console(), "export", slots(result))

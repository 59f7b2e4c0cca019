"""`pipeline sql`, `stats`, `search` and `export`: reading the warehouse."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from pipeline.cli import report
from pipeline.cli.common import DB_OPTION, err, require_warehouse, slots
from pipeline.cli.exits import EXIT_ERROR


@click.command("sql")
@click.argument("query")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Rows as JSON objects, one per line.")
def sql_command(query: str, db_path: Path, as_json: bool) -> None:
    """Run a DuckDB SQL query against the warehouse (read-only)."""
    from pipeline.store.warehouse import Warehouse

    try:
        with Warehouse(db_path).connect(read_only=True) as con:
            if "fts_main_articles" in query:  # the search index's macros need the extension
                from pipeline.store.fts import load_fts

                load_fts(con)
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
    except Exception as exc:  # noqa: BLE001 - any failed query is reported the same way
        err.print(f"[red]query failed:[/red] {exc}", highlight=False)
        sys.exit(EXIT_ERROR)
    if as_json:
        for row in rows:
            click.echo(json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str))
    else:
        report.print_rows(Console(), columns, rows)


@click.command("stats")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats_command(db_path: Path, as_json: bool) -> None:
    """Counts per table, articles per source and language, recent runs, reject reasons."""
    from pipeline.store.queries import stats

    data = stats(db_path)
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        report.print_stats(Console(), data)


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
def search_command(query: str, db_path: Path, source: str | None, since, limit: int,
                   reindex: bool, as_json: bool) -> None:
    """Full-text search (BM25 over title + body): ranked results with a snippet."""
    from pipeline.errors import SearchUnavailableError
    from pipeline.store.search import search_db

    require_warehouse(db_path)
    try:
        hits = search_db(db_path, query, source=source, since=since.date() if since else None,
                         limit=limit, reindex=reindex)
    except SearchUnavailableError as exc:
        err.print(f"[red]search unavailable:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_ERROR)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False, default=str))
        return
    report.print_rows(Console(), ["#", "score", "source", "published", "title", "snippet"], [
        (n, f"{h.score:.3f}", h.source, h.published.date() if h.published else "", h.title, h.snippet)
        for n, h in enumerate(hits, 1)
    ])


@click.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "csv"]), default=None,
              help="Output format (default: from OUT's extension).")
@click.option("--where", default=None,
              help="SQL condition on the rows, e.g. \"source = 'seeds' AND word_count > 200\".")
@click.option("--table", default="articles", show_default=True,
              help="Table or view to export (articles, latest_articles, stories, source_health, ...).")
@click.option("--columns", default=None, help="Comma-separated columns (default: all).")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def export_command(out: Path, fmt: str | None, where: str | None, table: str, columns: str | None,
                   db_path: Path, as_json: bool) -> None:
    """Stream articles (or a view) to Parquet, JSON lines or CSV in constant memory."""
    from pipeline.store.export import ExportOptions, export

    require_warehouse(db_path)
    cols = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else ()
    result = export(db_path, out, ExportOptions(format=fmt, where=where, table=table, columns=cols))
    if as_json:
        click.echo(json.dumps(slots(result)))
    else:
        report.print_mapping(err, "export", slots(result))

"""Command-line interface: commands only, no logic (each command calls one module)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from pipeline.cli import report
from pipeline.errors import ConfigError, PipelineError
from pipeline.cli.exits import EXIT_ERROR, EXIT_LOCKED, EXIT_SOURCES_FAILED, exit_code_for
from pipeline.store.warehouse import DEFAULT_DB

err = Console(stderr=True)
DB_OPTION = click.option(
    "--db", "db_path", type=click.Path(path_type=Path), default=DEFAULT_DB, show_default=True,
    help="DuckDB warehouse file (WARC captures go to captures/ beside it).",
)


def _setup_logging(verbose: int, log_file: Path | None) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    if log_file:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        level = min(level, logging.INFO)
    else:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, markup=False)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.option("--log-file", type=click.Path(path_type=Path), help="Write logs to this file instead of stderr.")
def main(verbose: int, log_file: Path | None) -> None:
    """pipeline: collect news pages, strip the clutter, land clean articles in DuckDB."""
    _setup_logging(verbose, log_file)


@main.command("run")
@click.option("--sources", "sources_path", type=click.Path(path_type=Path), default=Path("sources.yaml"),
              show_default=True, help="The sources file to collect.")
@DB_OPTION
@click.option("--source", "only", multiple=True, help="Only this source (repeatable).")
@click.option("--strict", is_flag=True, help=f"Exit {EXIT_SOURCES_FAILED} when any source yielded nothing because of errors.")
@click.option("--batch-size", default=200, show_default=True,
              help="Captures per load; a killed run loses at most one batch of work.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
def run_command(sources_path: Path, db_path: Path, only: tuple[str, ...], strict: bool,
                batch_size: int, as_json: bool) -> None:
    """Discover, fetch, capture, extract and load every source (the cron job)."""
    from pipeline.config import load_config
    from pipeline.runs.run import RunOptions, run

    config = load_config(sources_path)
    unknown = set(only) - {s.name for s in config.sources}
    if unknown:
        raise ConfigError(f"{sources_path}: no source named {', '.join(sorted(unknown))}")
    with report.run_progress(err) as update:
        summary = run(config, RunOptions(db_path=db_path, only_sources=only,
                                         batch_size=batch_size, on_progress=update))
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, default=str))
    else:
        report.print_run_summary(err, summary)
    if strict and summary.failed_sources:
        sys.exit(EXIT_SOURCES_FAILED)


@main.command("extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--jsonl", "jsonl", type=click.Path(allow_dash=True), default=None,
              help="Write one JSON object per input to FILE ('-' for stdout).")
@click.option("--kind", type=click.Choice(["html", "text"]), default=None, help="Force the input kind.")
def extract_command(paths: tuple[Path, ...], jsonl: str | None, kind: str | None) -> None:
    """Extract articles from local files, offline, with no database."""
    from pipeline.runs.offline import extract_paths

    records = extract_paths(paths, kind=kind)
    if jsonl is None:
        report.print_extract_table(Console(), records)
        return
    out = sys.stdout if jsonl == "-" else open(jsonl, "w", encoding="utf-8")
    try:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


@main.command("reextract")
@DB_OPTION
@click.option("--source", default=None, help="Only captures of this source.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract_command(db_path: Path, source: str | None, as_json: bool) -> None:
    """Re-run extraction over every stored capture, offline, replacing articles in place."""
    from pipeline.runs.lock import RunLock
    from pipeline.runs.reextract import reextract

    _require_warehouse(db_path)
    with RunLock(db_path.with_name(db_path.name + ".lock")):
        with report.progress(err, "re-extracting") as advance:
            summary = reextract(db_path, source=source, on_progress=advance)
    if as_json:
        click.echo(json.dumps(_slots(summary)))
    else:
        report.print_mapping(err, "re-extraction", _slots(summary))


@main.command("sql")
@click.argument("query")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Rows as JSON objects, one per line.")
def sql_command(query: str, db_path: Path, as_json: bool) -> None:
    """Run a DuckDB SQL query against the warehouse (read-only)."""
    from pipeline.store.warehouse import Warehouse

    try:
        with Warehouse(db_path).connect(read_only=True) as con:
            if "fts_main_articles" in query:  # the search index's macros need the extension
                from pipeline.store.search import load_fts

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


@main.command("stats")
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


@main.command("search")
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
    from pipeline.store.search import SearchUnavailableError, search_db

    _require_warehouse(db_path)
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


@main.command("export")
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

    _require_warehouse(db_path)
    cols = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else ()
    result = export(db_path, out, ExportOptions(format=fmt, where=where, table=table, columns=cols))
    if as_json:
        click.echo(json.dumps(_slots(result)))
    else:
        report.print_mapping(err, "export", _slots(result))


def _require_warehouse(db_path: Path) -> None:
    if not db_path.exists():
        raise ConfigError(f"{db_path}: no warehouse here; run `pipeline run` first")


def _slots(obj: object) -> dict:
    return {name: getattr(obj, name) for name in getattr(obj, "__slots__", ())}


def _register_module_commands() -> None:
    """Commands defined beside the module they drive."""
    from pipeline.cli.batch import batch_command, load_command
    from pipeline.extract.evaluate import eval_command

    main.add_command(eval_command, "eval")
    main.add_command(batch_command, "batch")
    main.add_command(load_command, "load")


_register_module_commands()


def entry() -> None:
    """The console script: every PipelineError ends the command with its documented exit code."""
    try:
        main(standalone_mode=True)
    except PipelineError as exc:
        code = exit_code_for(exc)
        label = "config error:\n" if isinstance(exc, ConfigError) else ""
        style = "yellow" if code == EXIT_LOCKED else "red"
        err.print(f"[{style}]{label}{escape(str(exc))}[/{style}]", highlight=False)
        sys.exit(code)


if __name__ == "__main__":
    entry()

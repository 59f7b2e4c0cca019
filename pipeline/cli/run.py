"""`pipeline run` and `pipeline reextract`: the cron job and offline re-extraction."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipeline.cli import report
from pipeline.cli.common import DB_OPTION, err, require_warehouse
from pipeline.cli.exits import EXIT_OK, EXIT_SOURCES_FAILED
from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.runs.run import RunSummary
from pipeline.stages.stats import Stats

log = logging.getLogger("pipeline.run")


@click.command("run")
@click.option("--sources", "sources_path", type=click.Path(path_type=Path), default=Path("sources.yaml"),
              show_default=True, help="The sources file to collect.")
@DB_OPTION
@click.option("--source", "only", multiple=True, help="Only this source (repeatable).")
@click.option("--strict", is_flag=True, help=f"Exit {EXIT_SOURCES_FAILED} when any source yielded nothing because of errors.")
@click.option("--batch-size", default=200, show_default=True,
              help="Captures per load; a killed run loses at most one batch of work.")
@click.option("--flush-interval-s", default=10.0, show_default=True, type=click.FloatRange(min=0),
              help="When the crawl is slow, land what was captured at least this often.")
@click.option("--workers", type=click.IntRange(min=0), default=None, envvar="PIPELINE_WORKERS",
              help="Extraction worker processes (default: one per core; 0: extract in this "
                   "process, without the hard per-page time limit).")
@click.option("--list", "list_only", is_flag=True,
              help="Print the URLs each source would fetch now, and fetch no article (feeds, "
                   "sitemaps and robots.txt are read; nothing is stored).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
def run_command(sources_path: Path, db_path: Path, only: tuple[str, ...], strict: bool,
                batch_size: int, flush_interval_s: float, workers: int | None, list_only: bool,
                as_json: bool) -> None:
    """Discover, fetch, capture, extract and load every source (the cron job)."""
    from pipeline.config import load_config
    from pipeline.runs.run import RunOptions, run

    config = load_config(sources_path)
    unknown = set(only) - {s.name for s in config.sources}
    if unknown:
        raise ConfigError(f"{sources_path}: no source named {', '.join(sorted(unknown))}")
    if list_only:
        _print_plan(config, db_path, only, as_json)
        return
    log.info("run started: sources %s, warehouse %s", config.path, db_path)
    with run_progress(err) as update:
        summary = run(config, RunOptions(db_path=db_path, only_sources=only,
                                         batch_size=batch_size, flush_interval_s=flush_interval_s,
                                         workers=workers, on_progress=update))
    code = EXIT_SOURCES_FAILED if strict and summary.failed_sources else EXIT_OK
    if as_json:
        click.echo(json.dumps({**summary.as_dict(), "exit_code": code}, indent=2, default=str))
    else:
        print_run_summary(Console(), summary, strict=strict)
    total = summary.totals()
    log.info("run %s finished in %.1fs: status %s, %d articles, %d rejects, %d failures, "
             "%d sources with nothing%s; exit %d", summary.run_id, summary.elapsed_s,
             summary.status, total["articles"], total["rejected"], total["failed"],
             len(summary.failed_sources), " (--strict)" if strict else "", code)
    sys.exit(code)


def _print_plan(config: Config, db_path: Path, only: tuple[str, ...], as_json: bool) -> None:
    from pipeline.runs.plan import plan

    plans = plan(config, db_path, only)
    if as_json:
        click.echo(json.dumps({name: p.as_dict() for name, p in plans.items()}, indent=2))
        return
    console = Console()
    table = Table(title=f"what a run would fetch now ({config.path.name})")
    table.add_column("source", overflow="fold")
    table.add_column("kind")
    for header in ("found", "known", "due"):
        table.add_column(header, justify="right")
    for name, p in plans.items():
        table.add_row(name, p.kind, str(p.discovered), str(p.known), str(len(p.urls)))
    console.print(table)
    for name, p in plans.items():
        if p.index or p.urls or p.problems:
            console.print(f"[bold]{escape(name)}[/bold]", highlight=False)
        for line in p.index:
            console.print(f"  read {escape(line)}", highlight=False)
        for url in p.urls:
            console.print(f"  {escape(url)}", highlight=False, soft_wrap=True)
        for problem in p.problems:
            console.print(f"  [yellow]![/yellow] {escape(problem)}", highlight=False)


@click.command("reextract")
@DB_OPTION
@click.option("--sources", "sources_path", type=click.Path(path_type=Path), default=Path("sources.yaml"),
              show_default=True,
              help="Settings to apply (dedup, keep_pages); packaged defaults if the file is absent.")
@click.option("--source", default=None, help="Only captures of this source.")
@click.option("--workers", type=click.IntRange(min=0), default=None, envvar="PIPELINE_WORKERS",
              help="Extraction worker processes (default: one per core; 0: in this process).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract_command(db_path: Path, sources_path: Path, source: str | None,
                      workers: int | None, as_json: bool) -> None:
    """Re-run extraction over every stored capture, offline, replacing articles in place."""
    from pipeline.config import load_config
    from pipeline.runs.lock import RunLock
    from pipeline.runs.reextract import reextract

    require_warehouse(db_path)
    config = load_config(sources_path) if sources_path.exists() else None
    keep = {s.name: s.settings.keep_pages for s in config.sources} if config else None
    aliases = {s.name: s.settings.site_aliases for s in config.sources} if config else None
    with RunLock(db_path.with_name(db_path.name + ".lock")):
        with report.progress(err, "re-extracting") as advance:
            seen: dict[str, int] = {}

            def step(source_name: str, stats: Stats) -> None:
                done = stats["articles"] + stats["rejected"]  # pages extracted, per source
                if done > seen.get(source_name, 0):
                    advance(done - seen.get(source_name, 0))
                    seen[source_name] = done

            summary = reextract(db_path, source=source, workers=workers, on_progress=step,
                                dedup=config.dedup if config else None, keep_pages=keep,
                                aliases=aliases)
    data = summary.as_dict()
    if as_json:
        click.echo(json.dumps(data))
    else:
        report.print_mapping(err, "re-extraction", data)


@contextmanager
def run_progress(console: Console) -> Iterator[Callable[[str, Stats], None]]:
    """One progress bar per source (only on a terminal: cron logs stay clean).

    Yields `update(source, stats)`; the bar's total is what was found to fetch or capture,
    its progress what has been fetched, captured or failed so far."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[detail]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(source: str, s: Stats) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=None, detail="")
            todo = max(s["discovered"] - s["known"], 0)
            done = s["fetched"] + s["failed"] + s["not_modified"] + (
                s["captured"] if not s["fetched"] else 0)
            waiting = f", extracting {s['extracting']}" if s["extracting"] > 0 else ""
            bar.update(tasks[source], total=todo or None, completed=min(done, todo) if todo else done,
                       detail=f"{s['articles']} articles, {s['rejected']} drops, "
                              f"{s['failed']} failed{waiting}")

        yield update


def print_run_summary(console: Console, summary: RunSummary, strict: bool = False) -> None:
    status = summary.status
    if strict and summary.failed_sources:
        status = f"failed (--strict): {len(summary.failed_sources)} source(s) yielded nothing"
    table = Table(title=f"run {summary.run_id}: {status}",
                  caption="found: discovered; known: already stored; 304: unchanged; "
                          "ok/fail: fetches; saved: captures; drops: no article")
    table.add_column("source", overflow="fold")
    for header in ("found", "known", "304", "ok", "fail", "saved", "articles", "drops"):
        table.add_column(header, justify="right", no_wrap=True)
    for name, s in summary.sources.items():
        table.add_row(name, *(str(s[k]) for k in ("discovered", "known", "not_modified", "fetched",
                                                   "failed", "captured", "articles", "rejected")))
    console.print(table)
    if summary.recovered_runs:
        console.print(f"recovered after killed run(s): {', '.join(summary.recovered_runs)}")
    for name, s in summary.sources.items():
        if s.reasons:
            reasons = ", ".join(f"{k} x{v}" for k, v in s.reasons.most_common())
            console.print(f"[bold]{name}[/bold] drops/failures: {escape(reasons)}", highlight=False)
        for problem in s.problems[:5]:
            console.print(f"  [yellow]![/yellow] {name}: {escape(problem)}", highlight=False)
        if len(s.problems) > 5:
            console.print(f"  ... and {len(s.problems) - 5} more (see the fetches table)")
    failed = summary.failed_sources
    if failed:
        console.print(f"[yellow]sources that yielded nothing: {', '.join(failed)}[/yellow]")
    total = summary.totals()
    statuses = ", ".join(f"{code} x{n}" for code, n in sorted(total.statuses.items())) or "none"
    console.print(
        f"{summary.elapsed_s:.1f} s, {total['bytes'] / 1e6:.1f} MB received, "
        f"{total['retries']} retries, HTTP statuses: {statuses}", highlight=False)

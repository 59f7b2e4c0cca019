"""`pipeline run` and `pipeline reextract`: the cron job and offline re-extraction."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.cli import report
from pipeline.cli.common import DB_OPTION, err, require_warehouse, slots
from pipeline.cli.exits import EXIT_SOURCES_FAILED
from pipeline.errors import ConfigError


@click.command("run")
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


@click.command("reextract")
@DB_OPTION
@click.option("--source", default=None, help="Only captures of this source.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract_command(db_path: Path, source: str | None, as_json: bool) -> None:
    """Re-run extraction over every stored capture, offline, replacing articles in place."""
    from pipeline.runs.lock import RunLock
    from pipeline.runs.reextract import reextract

    require_warehouse(db_path)
    with RunLock(db_path.with_name(db_path.name + ".lock")):
        with report.progress(err, "re-extracting") as advance:
            summary = reextract(db_path, source=source, on_progress=advance)
    if as_json:
        click.echo(json.dumps(slots(summary)))
    else:
        report.print_mapping(err, "re-extraction", slots(summary))

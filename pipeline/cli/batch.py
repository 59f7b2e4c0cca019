"""`pipeline batch` and `pipeline load`: commands only (registered by pipeline.cli)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
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

from pipeline.cli import report
from pipeline.cli.common import err
from pipeline.cli.exits import EXIT_ERROR
from pipeline.store.warehouse import DEFAULT_DB


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    help="Output directory (or s3://... URI) for the shards; reruns skip finished inputs.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; ray: one Ray task per input file.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes (local); CPUs of the local Ray, or tasks running at once on a cluster "
    "(ray). Default: all cores / all CPUs of the cluster.",
)
@click.option(
    "--ray-address",
    default=None,
    help="Join this Ray cluster (e.g. ray://head:10001 or auto) instead of starting one.",
)
@click.option(
    "--ship-code",
    is_flag=True,
    help="Upload this checkout's pipeline package to the Ray workers (dependencies "
    "must still be installed there).",
)
@click.option(
    "--source",
    default=None,
    help="Source name for the articles (default: the record's X-Pipeline-Source, else 'batch').",
)
@click.option(
    "--reader",
    type=click.Choice(["auto", "fastwarc", "warcio"]),
    default="auto",
    show_default=True,
    help="WARC parser; auto picks fastwarc when installed.",
)
@click.option("--force", is_flag=True, help="Redo inputs that already have a completion marker.")
@click.option(
    "--record-timeout-s",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="A page whose extraction takes longer is rejected (reason `timeout`); 0: no limit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def batch_command(
    inputs: tuple[str, ...],
    out: str,
    engine: str,
    workers: int | None,
    ray_address: str | None,
    ship_code: bool,
    source: str | None,
    reader: str,
    force: bool,
    record_timeout_s: float,
    as_json: bool,
) -> None:
    """Extract every HTML response of WARC files (ours or Common Crawl's) into Parquet shards.

    INPUT is a .warc/.warc.gz file, a directory of them, or a glob. One articles shard, one
    rejects shard and a completion marker are written per input under OUT.
    """
    from pipeline.runs.batch import BatchOptions, expand_inputs, run_batch

    options = BatchOptions(
        engine=engine,
        workers=workers,
        ray_address=ray_address,
        ray_ship_code=ship_code,
        source=source,
        reader=reader,
        force=force,
        record_timeout_s=record_timeout_s,
    )
    total = len(expand_inputs(list(inputs)))
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[records]} records"),
               TimeElapsedColumn()]
    with Progress(*columns, console=err, disable=not err.is_terminal, transient=True) as bar:
        task = bar.add_task(f"batch ({engine}): files", total=total, records=0)
        summary = run_batch(
            list(inputs),
            out,
            options,
            on_progress=lambda _r: bar.advance(task, 1),
            on_plan=lambda todo: bar.advance(task, total - todo),
            on_records=lambda n: bar.update(task, records=n),  # per record, as workers read
        )
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        _print_batch(err, summary)
    if summary.failed:
        sys.exit(EXIT_ERROR)


def _print_batch(console: Console, summary) -> None:
    table = Table("", "value", title=f"{summary.batch_id}: {summary.engine} -> {summary.out}")
    peak = max(summary.peak_rss_mb.values(), default=0.0)
    for key, value in (
        ("inputs", summary.inputs),
        ("skipped (finished before)", summary.skipped),
        ("done", summary.done),
        ("failed", len(summary.failed)),
        ("records", summary.records),
        ("articles", summary.articles),
        ("rejects", summary.rejects),
        ("extraction errors", summary.errors),
        ("workers", summary.workers or "auto"),
        ("seconds", f"{summary.seconds:.1f}"),
        ("records/s", f"{summary.records_per_s:.1f}"),
        ("peak MB per worker (max)", f"{peak:.0f}"),
    ):
        table.add_row(key, str(value))
    console.print(table)
    if summary.reasons:
        reasons = ", ".join(f"{k} x{v}" for k, v in summary.reasons.most_common())
        console.print(f"rejects by reason: {reasons}", highlight=False)
    if summary.torn:
        console.print(
            f"[yellow]{summary.torn} archive(s) ended in an unreadable record "
            "(see reason unreadable-warc in the rejects)[/yellow]"
        )
    for location, message in list(summary.failed.items())[:10]:
        console.print(f"  [red]![/red] {location}: {message}", highlight=False)


@click.command("load")
@click.argument("out_dir")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="DuckDB warehouse file.",
)
@click.option(
    "--view",
    "as_view",
    is_flag=True,
    help="Create views batch_articles/batch_rejects over the shards instead of importing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def load_command(out_dir: str, db_path: Path, as_view: bool, as_json: bool) -> None:
    """Attach the finished shards of a batch to the warehouse (upsert into articles, or views)."""
    from pipeline.runs.batch import attach_views, import_shards
    from pipeline.runs.lock import RunLock

    with RunLock(db_path.with_name(db_path.name + ".lock")):
        if as_view:
            stats = attach_views(db_path, out_dir)
        else:
            with report.progress(err, "loading shards") as advance:
                stats = import_shards(db_path, out_dir, on_progress=advance)
    data = {"mode": "view" if as_view else "import", **stats.as_dict()}
    if as_json:
        click.echo(json.dumps(data))
    else:
        report.print_mapping(err, f"load {out_dir} -> {db_path}", data)

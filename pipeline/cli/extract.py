"""`pipeline extract`: pages in, articles out, offline, with no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from pipeline.cli import report


@click.command("extract")
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

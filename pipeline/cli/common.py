"""What every command shares: the consoles, the --db option, the warehouse check."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from pipeline.errors import ConfigError
from pipeline.store.warehouse import DEFAULT_DB

err = Console(stderr=True)
DB_OPTION = click.option(
    "--db", "db_path", type=click.Path(path_type=Path), default=DEFAULT_DB, show_default=True,
    help="DuckDB warehouse file (WARC captures go to captures/ beside it).",
)


def require_warehouse(db_path: Path) -> None:
    if not db_path.exists():
        raise ConfigError(f"{db_path}: no warehouse here; run `pipeline run` first")


def slots(obj: object) -> dict:
    return {name: getattr(obj, name) for name in getattr(obj, "__slots__", ())}

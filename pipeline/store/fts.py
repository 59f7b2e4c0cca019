"""DuckDB's `fts` extension, loaded from the pinned `duckdb-extension-fts` package (no download).

The extension cannot be downloaded here, so it is loaded from the file shipped by the PyPI
package `duckdb-extension-fts` (pinned to the same version as `duckdb`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from pipeline.errors import SearchUnavailableError
from pipeline.store.sql import scalar

INDEX_SCHEMA = "fts_main_articles"


def extension_path() -> Path:
    """The fts extension file inside the `duckdb-extension-fts` package for this DuckDB version."""
    spec = importlib.util.find_spec("duckdb_extension_fts")
    if spec is None or not spec.submodule_search_locations:
        raise SearchUnavailableError(
            "full-text search needs the PyPI package duckdb-extension-fts "
            f"=={duckdb.__version__} (uv add duckdb-extension-fts=={duckdb.__version__})")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.is_file():
        found = sorted(p.parent.name for p in root.glob("extensions/*/fts.duckdb_extension"))
        raise SearchUnavailableError(
            f"duckdb-extension-fts has no build for duckdb {duckdb.__version__} "
            f"(it has: {', '.join(found) or 'none'}); pin both packages to the same version")
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension into this connection, or raise SearchUnavailableError saying why."""
    path = extension_path()
    try:
        con.execute(f"LOAD '{path}'")
    except duckdb.Error as exc:
        raise SearchUnavailableError(f"cannot load the fts extension from {path}: {exc}") from exc


def index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(scalar(con,
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'docs'",
        [INDEX_SCHEMA]))

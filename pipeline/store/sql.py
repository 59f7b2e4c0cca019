"""Small helpers over DuckDB's DB-API cursor that every store module shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row (None when the query returns no row)."""
    row = con.execute(query, params or []).fetchone()
    return None if row is None else row[0]

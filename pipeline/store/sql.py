"""Small helpers over DuckDB's DB-API cursor that every store module shares."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

log = logging.getLogger(__name__)


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row (None when the query returns no row)."""
    row = con.execute(query, params or []).fetchone()
    return None if row is None else row[0]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT; on an error, ROLLBACK and raise that error (not the rollback's own,
    which after a full disk is only "cannot rollback" and would hide the cause)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is open; a failing rollback is logged, never raised."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as exc:
        log.warning("rollback failed (the transaction is abandoned): %s", exc)

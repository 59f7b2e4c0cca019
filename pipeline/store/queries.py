"""Read-only queries behind `pipeline stats`, on a guarded connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import QueryError
from pipeline.store.readonly import guarded, one_line

TABLES = ("runs", "captures", "fetches", "articles", "rejects")
PARTS = {
    "by_source": "SELECT source, count(*) AS articles, sum(word_count) AS words, "
                 "max(extracted_at) AS last_extracted FROM articles GROUP BY 1 ORDER BY 2 DESC, 1",
    "by_language": "SELECT coalesce(language, '?') AS language, count(*) AS articles "
                   "FROM articles GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
    "reject_reasons": "SELECT split_part(reason, ':', 1) AS reason, count(*) AS n "
                      "FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1",
    "recent_runs": "SELECT id, status, started_at, finished_at FROM runs "
                   "ORDER BY started_at DESC LIMIT 5",
}


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def stats(db_path: Path) -> dict[str, Any]:
    """Rows per table, articles per source and language, reject reasons, the last runs."""
    with guarded(db_path) as con:
        try:
            data: dict[str, Any] = {"tables": {
                t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                for t in TABLES}}
            data.update({part: _dicts(con, sql) for part, sql in PARTS.items()})
        except duckdb.Error as exc:  # e.g. a DuckDB file that is not a warehouse
            raise QueryError(f"{db_path}: {one_line(exc)}") from exc
    return data

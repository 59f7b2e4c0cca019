"""Read-only queries behind `pipeline stats`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.store.warehouse import Warehouse

TABLES = ("runs", "captures", "fetches", "articles", "rejects")


def _dicts(con, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def stats(db_path: Path) -> dict[str, Any]:
    with Warehouse(db_path).connect(read_only=True) as con:
        return {
            "tables": {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES},
            "by_source": _dicts(con, "SELECT source, count(*) AS articles, sum(word_count) AS words, "
                                     "max(extracted_at) AS last_extracted FROM articles GROUP BY 1 ORDER BY 2 DESC"),
            "by_language": _dicts(con, "SELECT coalesce(language, '?') AS language, count(*) AS articles "
                                       "FROM articles GROUP BY 1 ORDER BY 2 DESC LIMIT 20"),
            "reject_reasons": _dicts(con, "SELECT split_part(reason, ':', 1) AS reason, count(*) AS n "
                                          "FROM rejects GROUP BY 1 ORDER BY 2 DESC"),
            "recent_runs": _dicts(con, "SELECT id, status, started_at, finished_at FROM runs "
                                       "ORDER BY started_at DESC LIMIT 5"),
        }

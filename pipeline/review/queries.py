"""The report's read-only SQL over the warehouse's tables and views (no other access to the store)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import duckdb

from pipeline.review.blocks import removed_as_json

Connection = duckdb.DuckDBPyConnection

# A fetch that failed: an error, no status, or an HTTP error status (as the source_health view says).
# A robots.txt answering 4xx means "no rules" (RFC 9309), not a failure.
FAILED_FETCH = ("(f.error IS NOT NULL OR f.status IS NULL OR f.status >= 400) AND NOT "
                "(f.kind = 'robots' AND f.status BETWEEN 400 AND 499 AND f.error IS NULL)")
FETCH_REASON = "coalesce(split_part(f.error, ':', 1), 'http ' || f.status, 'no response')"


@dataclass(slots=True, frozen=True)
class Selection:
    """Which articles the report covers (every filter optional)."""

    source: str | None = None
    since: date | None = None  # published or fetched on or after this day (UTC)
    run_id: str | None = None
    article_id: str | None = None

    def since_bounds(self) -> tuple[datetime, datetime]:
        """`since` as a naive timestamp (for `published`) and an aware one (for `fetched_at`)."""
        assert self.since is not None
        start = datetime.combine(self.since, time())
        return start, start.replace(tzinfo=UTC)

    def article_filter(self) -> tuple[str, list[Any]]:
        """A WHERE clause over `articles a LEFT JOIN captures c`, and its parameters."""
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.source is not None:
            clauses.append("a.source = ?")
            params.append(self.source)
        if self.since is not None:
            clauses.append("(a.published >= ? OR c.fetched_at >= ?)")
            params.extend(self.since_bounds())
        if self.run_id is not None:
            clauses.append("c.run_id = ?")
            params.append(self.run_id)
        if self.article_id is not None:
            clauses.append("a.id = ?")
            params.append(self.article_id)
        return " AND ".join(clauses), params

    def drop_filter(self, alias: str, at: str) -> tuple[str, list[Any]]:
        """A WHERE clause for rejects or fetches (`alias`), `at` being their time column."""
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.source is not None:
            clauses.append(f"{alias}.source = ?")
            params.append(self.source)
        if self.since is not None:
            clauses.append(f"{alias}.{at} >= ?")
            params.append(self.since_bounds()[1])
        if self.run_id is not None:
            clauses.append(f"{alias}.run_id = ?")
            params.append(self.run_id)
        return " AND ".join(clauses), params


@dataclass(slots=True, frozen=True)
class IndexRow:
    """One article as the index lists it (no body)."""

    id: str
    run_id: str | None
    run_started: datetime | None
    run_status: str | None
    source: str
    title: str | None
    language: str | None
    word_count: int
    cluster_id: str | None
    cluster_size: int
    published: datetime | None
    fetched_at: datetime | None
    cut_blocks: int


def _records(cursor: Connection) -> Iterator[dict[str, Any]]:
    columns = [d[0] for d in cursor.description or []]
    while rows := cursor.fetchmany(500):
        for row in rows:
            yield dict(zip(columns, row, strict=True))


def index_rows(con: Connection, sel: Selection) -> Iterator[IndexRow]:
    """The selected articles, newest run first, then newest published first."""
    where, params = sel.article_filter()
    cursor = con.execute(
        f"""
        WITH sizes AS (SELECT cluster_id, count(*) AS n FROM articles
                       WHERE cluster_id IS NOT NULL GROUP BY cluster_id)
        SELECT a.id, c.run_id, r.started_at AS run_started, r.status AS run_status, a.source,
               a.title, a.language, a.word_count, a.cluster_id, coalesce(s.n, 1) AS cluster_size,
               a.published, c.fetched_at,
               coalesce(json_array_length({removed_as_json()}), 0) AS cut_blocks
        FROM articles a LEFT JOIN captures c ON c.id = a.capture_id
        LEFT JOIN runs r ON r.id = c.run_id LEFT JOIN sizes s ON s.cluster_id = a.cluster_id
        WHERE {where}
        ORDER BY r.started_at DESC NULLS LAST, c.run_id DESC NULLS LAST,
                 a.published DESC NULLS LAST, a.source, a.id
        """,
        params,
    )
    for record in _records(cursor):
        yield IndexRow(**record)


# Members of each chosen article's story listed on its page, at most this many.
CLUSTER_MEMBERS_SHOWN = 50


def article_details(con: Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Everything one page shows, for a chunk of article ids (bodies only for these)."""
    cursor = con.execute(
        f"""
        WITH chosen AS MATERIALIZED (
            SELECT * FROM articles WHERE id IN (SELECT unnest(?::VARCHAR[]))),
        members AS (
            SELECT m.cluster_id, count(*) AS cluster_size,
                   list({{'id': m.id, 'title': m.title, 'source': m.source, 'url': m.url}}
                        ORDER BY m.source, m.id)[1:{CLUSTER_MEMBERS_SHOWN + 1}] AS members
            FROM articles m WHERE m.cluster_id IN (SELECT cluster_id FROM chosen)
            GROUP BY m.cluster_id
        )
        SELECT a.id, a.url, a.canonical_url, a.source, a.title, a.author, a.published,
               a.language, a.description, a.site_name, a.body, a.word_count,
               a.extractor_version, a.extracted_at, a.cluster_id,
               {removed_as_json()} AS removed_json,
               c.url AS capture_url, c.final_url, c.status, c.content_type, c.warc_file,
               c.warc_offset, c.warc_length, c.fetched_at, c.run_id, c.kind AS capture_kind,
               coalesce(k.cluster_size, 1) AS cluster_size, k.members
        FROM chosen a LEFT JOIN captures c ON c.id = a.capture_id
        LEFT JOIN members k ON k.cluster_id = a.cluster_id
        """,
        [list(ids)],
    )
    return list(_records(cursor))


@dataclass(slots=True, frozen=True)
class RunInfo:
    id: str
    started_at: datetime | None
    status: str | None


def recent_runs(con: Connection, limit: int) -> list[RunInfo]:
    """The last `limit` runs, oldest first (the order the charts read)."""
    rows = con.execute(
        "SELECT id, started_at, status FROM runs ORDER BY started_at DESC, id DESC LIMIT ?", [limit]
    ).fetchall()
    return [RunInfo(*row) for row in reversed(rows)]


def per_run_counts(con: Connection, run_ids: list[str]) -> dict[tuple[str, str, str], int]:
    """(measure, source, run id) -> count, for articles landed, failed fetches and rejects."""
    cursor = con.execute(
        f"""
        SELECT 'articles' AS measure, a.source, c.run_id, count(*) AS n
        FROM articles a JOIN captures c ON c.id = a.capture_id
        WHERE c.run_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL
        UNION ALL
        SELECT 'failures', f.source, f.run_id, count(*) FROM fetches f
        WHERE {FAILED_FETCH} AND f.run_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL
        UNION ALL
        SELECT 'rejects', j.source, j.run_id, count(*) FROM rejects j
        WHERE j.run_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL
        """,
        [run_ids, run_ids, run_ids],
    )
    return {(measure, source, run): n for measure, source, run, n in cursor.fetchall()}


def source_health(con: Connection, source: str | None) -> list[dict[str, Any]]:
    """The source_health view's totals, one dict per source."""
    where = "WHERE source = ?" if source is not None else ""
    cursor = con.execute(
        f"""SELECT source, last_success, last_failure, fetches, failures, rejects, articles
            FROM source_health {where} ORDER BY source""",
        [source] if source is not None else [],
    )
    return list(_records(cursor))


def drops_by_reason(con: Connection, sel: Selection) -> list[dict[str, Any]]:
    """Rejected captures and failed fetches counted by (kind, reason, source), largest first."""
    rejects_where, rejects_params = sel.drop_filter("j", "rejected_at")
    fetches_where, fetches_params = sel.drop_filter("f", "fetched_at")
    cursor = con.execute(
        f"""
        SELECT kind, reason, source, n FROM (
            SELECT 'reject' AS kind, split_part(j.reason, ':', 1) AS reason, j.source,
                   count(*) AS n
            FROM rejects j WHERE {rejects_where} GROUP BY ALL
            UNION ALL
            SELECT 'fetch failed', {FETCH_REASON}, f.source, count(*)
            FROM fetches f WHERE {FAILED_FETCH} AND {fetches_where} GROUP BY ALL
        ) ORDER BY n DESC, kind, reason, source
        """,
        rejects_params + fetches_params,
    )
    return list(_records(cursor))


def exists(con: Connection, sql: str, params: list[Any]) -> bool:
    return con.execute(f"SELECT EXISTS ({sql})", params).fetchone() == (True,)

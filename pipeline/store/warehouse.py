"""The DuckDB warehouse: short-lived write connections with retry, batched loads, run bookkeeping.

DuckDB allows one writing process per file, and a reader in another process (a notebook, the
DuckDB CLI) blocks writers while it holds the file. So the job opens the write connection only
to load a batch, and retries with backoff while the file is busy.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from pipeline.errors import WarehouseBusyError
from pipeline.stages.dedup import DedupOptions, Signed, sign
from pipeline.stages.rows import ArticleRow, CaptureRow, CollisionRow, FetchRow, RejectRow, Rows
from pipeline.store import schema as S
from pipeline.store.clusters import assign_clusters
from pipeline.store.migrations import migrate
from pipeline.store.sql import transaction

log = logging.getLogger(__name__)

DEFAULT_DB = Path("warehouse/corpus.duckdb")
BUSY_TIMEOUT_S = 120.0


_LOCK_MESSAGES = ("could not set lock on file", "conflicting lock", "being used by another process")


def _is_lock_error(exc: Exception) -> bool:
    """DuckDB's "another process holds this file" (not any message that happens to say lock)."""
    text = str(exc).lower()
    return any(message in text for message in _LOCK_MESSAGES)


@dataclass(slots=True)
class Batch:
    """Typed rows that land together, in one transaction."""

    captures: list[CaptureRow] = field(default_factory=list)
    fetches: list[FetchRow] = field(default_factory=list)
    articles: list[ArticleRow] = field(default_factory=list)
    signatures: list[Signed] = field(default_factory=list)  # of the articles, same order
    rejects: list[RejectRow] = field(default_factory=list)
    collisions: list[CollisionRow] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.captures) + len(self.fetches) + len(self.articles) + len(self.rejects)
                + len(self.collisions))

    def add(self, rows: Rows) -> None:
        if rows.capture is not None:
            self.captures.append(rows.capture)
        if rows.fetch is not None:
            self.fetches.append(rows.fetch)
        if rows.article is not None:
            self.articles.append(rows.article)
            if rows.signature is not None:
                self.signatures.append(rows.signature)
        if rows.reject is not None:
            self.rejects.append(rows.reject)
        if rows.collision is not None:
            self.collisions.append(rows.collision)


class Warehouse:
    """One DuckDB file plus its WARC captures directory beside it."""

    def __init__(self, db_path: str | Path = DEFAULT_DB, busy_timeout_s: float | None = None,
                 dedup: DedupOptions | None = None) -> None:
        self.db_path = Path(db_path)
        # How long to wait for a file another process holds (PIPELINE_BUSY_TIMEOUT_S, 120 s).
        self.busy_timeout_s = (float(os.environ.get("PIPELINE_BUSY_TIMEOUT_S", BUSY_TIMEOUT_S))
                               if busy_timeout_s is None else busy_timeout_s)
        self.dedup = dedup or DedupOptions.from_env()
        self.captures_dir = self.db_path.parent / "captures"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, retried with backoff while another process holds the file."""
        if not read_only:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.db_path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    if _is_lock_error(exc):
                        raise WarehouseBusyError(
                            f"{self.db_path} stayed locked by another process for "
                            f"{self.busy_timeout_s:.0f}s: {exc}"
                        ) from exc
                    raise
                log.info("warehouse busy, retrying in %.2fs", delay)
                time.sleep(delay + random.uniform(0, delay / 2))
                # capped at 0.5 s: a failed open costs well under a millisecond, and a reader that
                # holds the file most of the time leaves only short gaps (tests/runs/test_concurrent.py
                # holds 1.5 s, pauses 0.5 s: a 2 s cap made the run wait 20-37 s, most of it asleep)
                delay = min(delay * 2, 0.5)
        try:
            yield con
        finally:
            con.close()

    def migrate(self) -> list[str]:
        with self.connect() as con:
            return migrate(con)

    def load(self, batch: Batch) -> None:
        """Land a batch in one transaction: Arrow tables, one INSERT ... SELECT per table."""
        if not len(batch):
            return
        articles = _last_per_key(batch.articles, "id")
        signed = _last_per_key(batch.signatures, "id")
        if len(signed) != len(articles):  # rows that came without a signature (e.g. shards)
            have = {s.id for s in signed}
            signed += sign([(a.id, a.content_hash, a.body) for a in articles if a.id not in have],
                           self.dedup)
        with self.connect() as con, transaction(con):
            self._insert(con, "captures", _last_per_key(batch.captures, "id"), S.CAPTURE_SCHEMA,
                         "ignore")
            self._insert(con, "fetches", batch.fetches, S.FETCH_SCHEMA, "append")
            self._insert(con, "collisions", batch.collisions, S.COLLISION_SCHEMA, "append")
            if articles:
                # Re-extraction of a capture replaces what it gave before, even if the
                # article's id changed (e.g. a newly trusted canonical URL).
                con.register("_b_article_keys", pa.table(
                    {"id": [a.id for a in articles], "capture_id": [a.capture_id for a in articles]}))
                con.execute(
                    "DELETE FROM articles WHERE capture_id IN (SELECT capture_id FROM _b_article_keys) "
                    "AND id NOT IN (SELECT id FROM _b_article_keys)"
                )
                # Before the replacing insert below, which would forget the stored clusters.
                clusters = assign_clusters(con, signed, self.dedup)
                self._insert(con, "articles", articles, S.STORED_ARTICLE_SCHEMA, "replace",
                             extra={"cluster_id": [clusters.get(a.id) for a in articles]})
            self._insert(con, "rejects", _last_per_key(batch.rejects, "capture_id"),
                         S.REJECT_SCHEMA, "replace")
            if articles:
                # A capture that now yields an article is no longer a reject.
                con.execute(
                    "DELETE FROM rejects WHERE capture_id IN (SELECT capture_id FROM _b_articles)"
                )
            if batch.rejects:
                con.execute(
                    "DELETE FROM articles WHERE capture_id IN (SELECT capture_id FROM _b_rejects)"
                )

    @staticmethod
    def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[Any], schema: pa.Schema,
                mode: str, extra: dict[str, list[Any]] | None = None) -> None:
        """Insert a batch by name. `replace`: rows with the batch's keys are deleted first (an
        upsert); `ignore`: rows whose key is stored already are skipped; `append`: no key.
        Keys are kept unique here, not by index constraints (see migration 0006)."""
        if not rows:
            return
        key = _KEYS.get(table)
        con.register(f"_b_{table}", S.to_table(rows, schema, extra))
        select = f"SELECT * FROM _b_{table}"
        if mode == "replace":
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _b_{table})")
        elif mode == "ignore":
            select += f" WHERE {key} NOT IN (SELECT {key} FROM {table})"
        con.execute(f"INSERT INTO {table} BY NAME {select}")

    # --- run bookkeeping -------------------------------------------------------------------

    def start_run(self, run_id: str, sources_file: str) -> None:
        with self.connect() as con:
            con.execute(
                "INSERT INTO runs (id, started_at, status, sources_file) VALUES (?, ?, 'running', ?)",
                [run_id, datetime.now(UTC), sources_file],
            )

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE id = ?",
                [datetime.now(UTC), status, json.dumps(counts), run_id],
            )

    def runs_to_recover(self) -> list[str]:
        """Runs that never finished (killed) or failed, whose WARC records are not recovered yet."""
        with self.connect() as con:
            return [r[0] for r in con.execute(
                "SELECT id FROM runs WHERE status IN ('running', 'failed') AND recovered_at IS NULL "
                "ORDER BY started_at").fetchall()]

    def indexed_offsets(self, warc_files: list[str]) -> dict[str, set[int]]:
        """The offsets of the records of these WARC files that are in the capture index."""
        out: dict[str, set[int]] = {}
        with self.connect() as con:
            for name, offset in con.execute(
                "SELECT warc_file, warc_offset FROM captures WHERE warc_file IN (SELECT UNNEST(?))",
                [warc_files],
            ).fetchall():
                out.setdefault(name, set()).add(offset)
        return out

    def mark_recovered(self, run_ids: list[str], at: datetime) -> None:
        """Killed runs become `killed`, failed ones stay `failed`; both are marked recovered."""
        with self.connect() as con:
            con.execute(
                "UPDATE runs SET status = CASE WHEN status = 'running' THEN 'killed' ELSE status END, "
                "finished_at = coalesce(finished_at, ?), recovered_at = ? WHERE id IN (SELECT UNNEST(?))",
                [at, at, run_ids],
            )


_KEYS = {"captures": "id", "articles": "id", "rejects": "capture_id"}

R = TypeVar("R")


def _last_per_key(rows: list[R], key: str) -> list[R]:
    """Keep the last row per key within a batch (the keys are unique in the tables)."""
    return list({getattr(row, key): row for row in rows}.values())

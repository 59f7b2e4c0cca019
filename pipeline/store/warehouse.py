"""The DuckDB warehouse: short-lived write connections with retry, batched loads, run bookkeeping.

DuckDB allows one writing process per file, and a reader in another process (a notebook, the
DuckDB CLI) blocks writers while it holds the file. So the job opens the write connection only
to load a batch, and retries with backoff while the file is busy.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.store import clusters as dedup
from pipeline.store.clusters import DedupOptions
from pipeline.errors import WarehouseBusyError
from pipeline.store import rows as R
from pipeline.store.migrations import migrate

log = logging.getLogger(__name__)

DEFAULT_DB = Path("warehouse/corpus.duckdb")


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another" in text


@dataclass(slots=True)
class Batch:
    """Rows that land together, in one transaction."""

    captures: list[dict[str, Any]] = field(default_factory=list)
    fetches: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.captures) + len(self.fetches) + len(self.articles) + len(self.rejects)


class Warehouse:
    """One DuckDB file plus its WARC captures directory beside it."""

    def __init__(self, db_path: str | Path = DEFAULT_DB, busy_timeout_s: float = 120.0,
                 dedup: DedupOptions | None = None) -> None:
        self.db_path = Path(db_path)
        self.busy_timeout_s = busy_timeout_s
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
                delay = min(delay * 2, 2.0)
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
        # Near-duplicate signatures are pure CPU: computed before taking the write connection.
        signed = dedup.sign(_dedupe(batch.articles, "articles"), self.dedup) if batch.articles else []
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                self._insert(con, "captures", batch.captures, R.CAPTURE_SCHEMA, "ignore")
                self._insert(con, "fetches", batch.fetches, R.FETCH_SCHEMA, "append")
                if batch.articles:
                    # Re-extraction of a capture replaces what it gave before, even if the
                    # article's id changed (e.g. a newly found canonical URL).
                    con.register("_b_article_keys", R.to_table(
                        [{"id": a["id"], "capture_id": a["capture_id"]} for a in batch.articles],
                        R.ARTICLE_KEY_SCHEMA))
                    con.execute(
                        "DELETE FROM articles WHERE capture_id IN (SELECT capture_id FROM _b_article_keys) "
                        "AND id NOT IN (SELECT id FROM _b_article_keys)"
                    )
                if batch.articles:
                    # Sets each row's cluster_id (the replacing insert below would reset it).
                    dedup.assign_clusters(con, batch.articles, signed, self.dedup)
                self._insert(con, "articles", batch.articles, dedup.ARTICLE_SCHEMA, "replace")
                self._insert(con, "rejects", batch.rejects, R.REJECT_SCHEMA, "replace")
                if batch.articles:
                    # A capture that now yields an article is no longer a reject.
                    con.execute(
                        "DELETE FROM rejects WHERE capture_id IN (SELECT capture_id FROM _b_articles)"
                    )
                if batch.rejects:
                    con.execute(
                        "DELETE FROM articles WHERE capture_id IN (SELECT capture_id FROM _b_rejects)"
                    )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise

    @staticmethod
    def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
                schema: Any, mode: str) -> None:
        """Insert a batch by name. `replace`: rows with the batch's keys are deleted first (an
        upsert); `ignore`: rows whose key is stored already are skipped; `append`: no key.
        Keys are kept unique here, not by index constraints (see migration 0006)."""
        if not rows:
            return
        key = _KEYS.get(table)
        arrow = R.to_table(_dedupe(rows, table), schema)
        con.register(f"_b_{table}", arrow)
        select = f"SELECT * FROM _b_{table}"
        if mode == "replace":
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _b_{table})")
        elif mode == "ignore":
            select += f" WHERE {key} NOT IN (SELECT {key} FROM {table})"
        con.execute(f"INSERT INTO {table} BY NAME {select}")

    def maintain_corpus(self) -> dict[str, Any]:
        """End of a run: drop stale LSH band keys, rebuild the search index if articles changed.

        A search index that cannot be built (fts extension missing) is logged, never fatal.
        """
        from pipeline.store.search import SearchUnavailableError
        from pipeline.store.search_index import refresh_index

        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            pruned = dedup.prune_bands(con)
            con.execute("COMMIT")
            try:
                refresh = refresh_index(con)
            except SearchUnavailableError as exc:
                log.warning("search index not refreshed: %s", exc)
                return {"pruned_bands": pruned, "search_index": f"unavailable: {exc}"}
        return {"pruned_bands": pruned, "search_index": refresh.mode,
                "search_index_s": round(refresh.seconds, 3)}

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

    def recover(self) -> list[str]:
        """Mark runs that never finished (killed) and cut torn WARC tails they left."""
        from pipeline.capture.warc import truncate_to

        with self.connect() as con:
            stale = [r[0] for r in con.execute("SELECT id FROM runs WHERE status = 'running'").fetchall()]
            ends = dict(
                con.execute(
                    "SELECT warc_file, max(warc_offset + warc_length) FROM captures "
                    "WHERE run_id IN (SELECT id FROM runs WHERE status = 'running') GROUP BY 1"
                ).fetchall()
            )
            if stale:
                con.execute(
                    "UPDATE runs SET status = 'killed', finished_at = ? WHERE status = 'running'",
                    [datetime.now(UTC)],
                )
        for run_id in stale:
            for warc in sorted(self.captures_dir.glob(f"{run_id}-*.warc.gz")):
                truncate_to(warc, ends.get(warc.name, 0))
        return stale


_KEYS = {"captures": "id", "articles": "id", "rejects": "capture_id"}


def _dedupe(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    """Keep the last row per key within a batch (the keys are unique in the tables)."""
    key = _KEYS.get(table)
    if key is None:
        return rows
    return list({row[key]: row for row in rows}.values())

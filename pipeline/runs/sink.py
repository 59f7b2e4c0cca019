"""Buffer captures and fetch outcomes, extract them, and land them in the warehouse in batches."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from pipeline.models import Article, Capture, Drop, FetchResult
from pipeline.stages.extract import ExtractionPool, version
from pipeline.store import rows as R
from pipeline.store.warehouse import Batch, Warehouse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceTally:
    """What happened to one source in this run; shown in the summary table."""

    discovered: int = 0
    skipped_known: int = 0
    not_modified: int = 0
    fetched: int = 0
    failed: int = 0
    captured: int = 0
    articles: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["reasons"] = dict(self.reasons)
        return data


class Sink:
    """Collects rows from every stage; `flush` extracts the pending captures and loads one batch."""

    def __init__(self, warehouse: Warehouse, run_id: str, batch_size: int = 200,
                 flush_interval_s: float = 10.0, workers: int | None = None,
                 auto_flush: bool = True,
                 on_progress: Callable[[str, SourceTally], None] | None = None) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.pool = ExtractionPool(workers)
        # Off for remote runs: the event loop must not stall on extraction, so the collector
        # flushes from a worker thread (`flush_due` + `asyncio.to_thread(flush)`).
        self.auto_flush = auto_flush
        self.on_progress = on_progress
        self._flush_lock = threading.Lock()  # flushes may run in a worker thread (remote runs)
        self._tally_lock = threading.Lock()  # ... and count into the tallies from there
        self.tallies: dict[str, SourceTally] = defaultdict(SourceTally)
        self._pending: list[Capture] = []
        self._batch = Batch()
        self._last_flush = time.monotonic()

    def tally(self, source: str) -> SourceTally:
        return self.tallies[source]

    def problem(self, source: str, message: str) -> None:
        log.info("%s: %s", source, message)  # the run summary prints every problem
        with self._tally_lock:
            self.tallies[source].problems.append(message)

    def record_fetch(self, result: FetchResult, kind: str, capture: Capture | None) -> None:
        self._batch.fetches.append(R.fetch_row(result, self.run_id, kind, capture.id if capture else None))
        with self._tally_lock:
            tally = self.tallies[result.source]
            if result.status == 304:
                tally.not_modified += 1
            elif result.ok:
                tally.fetched += 1
            else:
                tally.failed += 1
                reason = result.error or f"http {result.status}"
                tally.reasons[reason.split(":", 1)[0]] += 1
        if not result.ok and result.status != 304:
            self.problem(result.source, f"{result.url}: {result.error or f'http {result.status}'}")
        self._progress(result.source)
        self._maybe_flush()

    def add_capture(self, capture: Capture, kind: str, extract: bool = True) -> None:
        """Index a stored capture; queue it for extraction when it may hold an article."""
        self._batch.captures.append(R.capture_row(capture, kind))
        with self._tally_lock:
            self.tallies[capture.source].captured += 1
        if extract:
            self._pending.append(capture)
        self._progress(capture.source)
        self._maybe_flush()

    def _progress(self, source: str) -> None:
        if self.on_progress is not None:
            self.on_progress(source, self.tallies[source])

    def queue_extraction(self, capture: Capture) -> None:
        """Queue an already indexed capture for (re-)extraction."""
        self._pending.append(capture)
        self._maybe_flush()

    def flush_due(self) -> bool:
        if self._flush_lock.locked():
            return False
        due = time.monotonic() - self._last_flush > self.flush_interval_s
        return len(self._pending) >= self.batch_size or len(self._batch) >= 5 * self.batch_size or due

    def _maybe_flush(self) -> None:
        if not self.auto_flush:
            return
        if self.flush_due():
            self.flush()

    def flush(self) -> None:
        """Extract what is pending and land it with everything recorded so far, in one batch."""
        with self._flush_lock:
            pending, self._pending = self._pending, []
            batch, self._batch = self._batch, Batch()
            self._last_flush = time.monotonic()
            now = datetime.now(UTC)
            for capture, result in zip(pending, self.pool.map(pending)):
                self._add_result(batch, capture, result, now)
            self.warehouse.load(batch)

    def close(self) -> None:
        self.pool.close()

    def _add_result(self, batch: Batch, capture: Capture, result: Article | Drop, now: datetime) -> None:
        if isinstance(result, Article):
            batch.articles.append(R.article_row(capture, result, version(), now))
        else:
            batch.rejects.append(R.reject_row(capture, result, version(), self.run_id, now))
        with self._tally_lock:
            tally = self.tallies[capture.source]
            if isinstance(result, Article):
                tally.articles += 1
            else:
                tally.rejected += 1
                tally.reasons[result.reason.split(":", 1)[0]] += 1

"""The last stage: Rows in, batches landed in the warehouse, one transaction each."""

from __future__ import annotations

import time
from collections.abc import Iterable

from pipeline.models import Tick
from pipeline.stages.rows import Rows
from pipeline.store.warehouse import Batch, Warehouse


class Loader:
    """Lands a batch when `batch_size` extracted pages are pending, or `flush_interval_s` after
    the last landing when the stream goes quiet (a `Tick`), and whatever is left at the end.

    A killed run loses at most the batch in hand, and even that only from the warehouse: the
    captures are in WARC files, which the next run indexes again (`pipeline.runs.recover`).
    """

    def __init__(self, warehouse: Warehouse, batch_size: int = 200,
                 flush_interval_s: float = 10.0) -> None:
        self.warehouse = warehouse
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.landed = 0
        self._batch = Batch()
        self._pages = 0
        self._last = time.monotonic()

    def consume(self, items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, Rows):
                self._batch.add(item)
                self._pages += item.article is not None or item.reject is not None
                if self._pages >= self.batch_size or len(self._batch) >= 5 * self.batch_size:
                    self.flush()
            elif isinstance(item, Tick) and time.monotonic() - self._last > self.flush_interval_s:
                self.flush()
        self.flush()

    def flush(self) -> None:
        batch, self._batch, self._pages = self._batch, Batch(), 0
        self._last = time.monotonic()
        if len(batch):
            self.warehouse.load(batch)
            self.landed += 1

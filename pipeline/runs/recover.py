"""Resume what a killed or failed run captured: every complete WARC record it left is kept.

Order matters, so that a second kill at any point loses nothing: (1) cut only the torn tail of
each WARC file (an incomplete gzip member; an empty file is removed); (2) hand every complete
response/resource record that the index lacks to the current run, which indexes and extracts it
like a fresh capture (and so never fetches it again); (3) only once those have landed, mark the
old run `killed` (or keep `failed`) and recovered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.capture.warc import PAGE_TYPES, complete_end, iter_records, to_capture, truncate_to
from pipeline.models import Fetched, KnownState
from pipeline.store.warehouse import Warehouse
from pipeline.urls import canonicalize_url

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Recovery:
    warehouse: Warehouse
    runs: list[str] = field(default_factory=list)  # run ids being recovered
    files: list[Path] = field(default_factory=list)  # their WARC files, torn tails cut

    @classmethod
    def of(cls, warehouse: Warehouse) -> Recovery:
        """Find the runs to recover and cut their WARC files back to their last whole record."""
        recovery = cls(warehouse, warehouse.runs_to_recover())
        for run_id in recovery.runs:
            for path in sorted(warehouse.captures_dir.glob(f"{run_id}-*.warc.gz")):
                end = complete_end(str(path))
                if truncate_to(path, end):
                    log.warning("cut the torn tail of %s back to %d bytes", path.name, end)
                if end == 0:
                    path.unlink()
                    continue
                recovery.files.append(path)
        return recovery

    def captures(self, known: KnownState) -> Iterator[Fetched]:
        """The complete records the index does not have yet, as captures of the current run."""
        if not self.files:
            return
        indexed = self.warehouse.indexed_offsets([p.name for p in self.files])
        for path in self.files:
            yield from self._records(path, indexed.get(path.name, set()), known)

    def _records(self, path: Path, indexed: set[int], known: KnownState) -> Iterator[Fetched]:
        run_id = path.name.rsplit("-", 1)[0]
        with open(path, "rb") as fh:
            for record in iter_records(fh, "warcio", PAGE_TYPES):
                if record.offset in indexed or not record.is_capture:
                    continue
                source = record.warc_header("X-Pipeline-Source") or "recovered"
                capture = to_capture(record, path.name, source, run_id=run_id)
                if capture.kind == "article" and capture.path is None:
                    known.article_fetched_at[canonicalize_url(capture.url)] = capture.fetched_at
                yield Fetched(source, capture.kind, capture=capture,
                              extract=capture.kind in ("article", "file"))

    def done(self) -> None:
        """The recovered records have landed: mark the old runs recovered."""
        if self.runs:
            self.warehouse.mark_recovered(self.runs, datetime.now(UTC))

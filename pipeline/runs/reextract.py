"""Re-run extraction over stored captures, offline: same ids, new extractor version."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.capture.warc import read_record
from pipeline.errors import CaptureError
from pipeline.models import Capture
from pipeline.runs.sink import Sink
from pipeline.store.warehouse import Warehouse

SELECT_CAPTURES = """
    SELECT id, url, final_url, source, status, content_type, warc_file, warc_offset,
           warc_length, sha256, fetched_at, run_id, path
    FROM captures
    WHERE kind IN ('article', 'file') AND status BETWEEN 200 AND 299
      AND (? IS NULL OR source = ?)
    ORDER BY fetched_at, warc_file, warc_offset
"""


@dataclass(slots=True)
class ReextractSummary:
    captures: int
    articles: int
    rejected: int
    unreadable: int


def iter_captures(warehouse: Warehouse, source: str | None) -> tuple[int, Iterator[Capture]]:
    """Every stored 2xx page capture, oldest first (so the newest capture of a page wins)."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(SELECT_CAPTURES, [source, source]).fetchall()

    def generate() -> Iterator[Capture]:
        for (cid, url, final_url, src, status, ctype, warc_file, offset, length, sha,
             fetched_at, run_id, path) in rows:
            try:
                headers, body, _ = read_record(warehouse.captures_dir / warc_file, offset, length)
            except CaptureError:
                yield Capture(id=cid, url=url, final_url=final_url, source=src, status=-1,
                              content_type=ctype or "", body=b"", fetched_at=fetched_at,
                              sha256=sha, warc_file=warc_file, offset=offset, length=length,
                              run_id=run_id, path=path)
                continue
            yield Capture(
                id=cid, url=url, final_url=final_url, source=src, status=status,
                content_type=ctype or "", body=body, fetched_at=fetched_at, sha256=sha,
                warc_file=warc_file, offset=offset, length=length, run_id=run_id,
                headers=headers, path=path,
            )

    return len(rows), generate()


def reextract(db_path: Path, source: str | None = None, batch_size: int = 200,
              workers: int | None = None,
              on_progress: Callable[[int], None] | None = None) -> ReextractSummary:
    """Replace every article (and reject) with a fresh extraction of its stored capture."""
    warehouse = Warehouse(db_path)
    warehouse.migrate()
    total, captures = iter_captures(warehouse, source)
    sink = Sink(warehouse, run_id="reextract", batch_size=batch_size,
                flush_interval_s=float("inf"), workers=workers)
    unreadable = 0
    try:
        for capture in captures:
            if capture.status == -1:
                unreadable += 1
                sink.problem(capture.source, f"capture {capture.id}: WARC record unreadable")
                continue
            sink.queue_extraction(capture)
            if on_progress:
                on_progress(1)
        sink.flush()
    finally:
        sink.close()
    warehouse.maintain_corpus()  # search index follows the new bodies (incrementally)
    articles = sum(t.articles for t in sink.tallies.values())
    rejected = sum(t.rejected for t in sink.tallies.values())
    return ReextractSummary(total, articles, rejected, unreadable)

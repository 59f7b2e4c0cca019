"""Re-run extraction over stored captures, offline: same ids, new extractor version.

    stored captures -> tally -> ExtractStage -> RowStage -> tally -> DedupStage -> Loader
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from pipeline.capture.stored import IndexRow, stored_captures
from pipeline.stages import compose
from pipeline.stages.dedup import DedupOptions
from pipeline.stages.extract import (
    DEFAULT_LIMITS,
    ExtractLimits,
    ExtractStage,
    extraction_pool,
    version,
)
from pipeline.stages.rows import RowStage
from pipeline.stages.signatures import DedupStage
from pipeline.stages.stats import Stats, StatsBook
from pipeline.stages.tally import Progress, Tally
from pipeline.store.loader import Loader
from pipeline.store.maintain import maintain_corpus
from pipeline.store.warehouse import Warehouse

SELECT_CAPTURES = """
    SELECT id, url, final_url, source, status, content_type, warc_file, warc_offset,
           warc_length, sha256, fetched_at, run_id, path, kind
    FROM captures
    WHERE kind IN ('article', 'file') AND status BETWEEN 200 AND 299
      AND (? IS NULL OR source = ?)
    ORDER BY fetched_at, warc_file, warc_offset
"""


def indexed_captures(warehouse: Warehouse, source: str | None) -> list[IndexRow]:
    """Every stored 2xx page capture, oldest first (so the newest capture of a page wins)."""
    with warehouse.connect(read_only=True) as con:
        return con.execute(SELECT_CAPTURES, [source, source]).fetchall()


def reextract(db_path: Path, source: str | None = None, batch_size: int = 200,
              workers: int | None = None, on_progress: Progress | None = None,
              dedup: DedupOptions | None = None,
              limits: ExtractLimits = DEFAULT_LIMITS,
              keep_pages: Mapping[str, Collection[str]] | None = None,
              aliases: Mapping[str, Collection[str]] | None = None) -> Stats:
    """Replace every article (and reject) with a fresh extraction of its stored capture."""
    warehouse = Warehouse(db_path, dedup=dedup)
    warehouse.migrate()
    rows = indexed_captures(warehouse, source)
    book = StatsBook()
    with extraction_pool(workers, limits) as pool:
        tally = Tally(book, on_progress)
        stream = compose(stored_captures(rows, warehouse.captures_dir), tally.fetches(),
                         ExtractStage(pool, limits), RowStage("reextract", version(), keep_pages,
                                                              aliases),
                         tally.outcomes(), DedupStage(warehouse.dedup))
        Loader(warehouse, batch_size, flush_interval_s=float("inf")).consume(stream)
    maintain_corpus(warehouse)  # the search index follows the new bodies (incrementally)
    total = book.total()
    total.counts["captures"] = len(rows)
    del total.counts["extracting"]
    return total

"""Attach finished batch shards to the warehouse: import them into `articles`/`rejects`, or views.

Import goes through `Warehouse.load`, the same path as the cron job, so ids upsert (a page the
cron job already has is replaced, not duplicated) and whatever runs on every load (dedup
signatures, the search index) runs on these rows too. Views (`batch_articles`,
`batch_rejects`) over `read_parquet` cost nothing and see new shards at once, but they sit
beside `articles`, not in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.errors import BatchError
from pipeline.runs.batch.layout import ARTICLES, REJECTS, Layout
from pipeline.stages import compose
from pipeline.stages.dedup import DedupOptions
from pipeline.stages.rows import ArticleRow, RejectRow, Rows
from pipeline.stages.signatures import DedupStage
from pipeline.stages.stats import Stats
from pipeline.store import schema as S
from pipeline.store.loader import Loader
from pipeline.store.maintain import maintain_corpus
from pipeline.store.sql import scalar
from pipeline.store.warehouse import Warehouse

IMPORT_ROWS = 2000  # rows per transaction: bounded memory, few commits


def finished_shards(out: str) -> list[str]:
    """Names of the shards whose completion marker exists, sorted."""
    layout = Layout.of(out)
    names = sorted(layout.finished())
    if not names:
        raise BatchError(f"{out}: no finished batch shards here (no files under done/)")
    return names


def import_shards(db_path: Path, out: str, on_progress: Callable[[int], None] | None = None,
                  dedup: DedupOptions | None = None) -> Stats:
    """Upsert every finished shard into `articles` and `rejects`, ~IMPORT_ROWS rows a batch.

        shard rows -> DedupStage -> Loader   (the cron job's last stages)
    """
    layout = Layout.of(out)
    names = finished_shards(out)
    warehouse = Warehouse(db_path, dedup=dedup)
    warehouse.migrate()
    stats = Stats()

    def shard_rows() -> Iterator[Rows]:
        for name in names:
            for record in _records(layout, layout.articles(name), S.ARTICLE_SCHEMA.names):
                stats.add("articles")
                yield Rows(source=record["source"], article=S.from_record(ArticleRow, record))
            for record in _records(layout, layout.rejects(name), S.REJECT_SCHEMA.names):
                stats.add("rejects")
                yield Rows(source=record["source"], reject=S.from_record(RejectRow, record))
            stats.add("shards")
            if on_progress:
                on_progress(1)

    stream = compose(shard_rows(), DedupStage(warehouse.dedup))
    Loader(warehouse, batch_size=IMPORT_ROWS, flush_interval_s=float("inf")).consume(stream)
    # As at the end of a run: the search index follows the new rows, stale dedup keys go.
    maintain_corpus(warehouse)
    return stats


def _records(layout: Layout, path: str, columns: list[str]) -> Iterator[dict[str, Any]]:
    """The shard's rows (only the warehouse columns; provenance stays in the shard)."""
    with layout.fs.open_input_file(path) as fh:
        parquet = pq.ParquetFile(fh)
        present = [c for c in columns if c in parquet.schema_arrow.names]
        for record_batch in parquet.iter_batches(batch_size=IMPORT_ROWS, columns=present):
            yield from record_batch.to_pylist()


def attach_views(db_path: Path, out: str) -> Stats:
    """(Re)create `batch_articles` and `batch_rejects` as views over the shard files."""
    layout = Layout.of(out)
    if not layout.is_local:
        raise BatchError(f"{out}: views need a local or mounted directory; use the import mode")
    names = finished_shards(out)
    warehouse = Warehouse(db_path)
    warehouse.migrate()
    stats = Stats()
    stats.add("shards", len(names))
    with warehouse.connect() as con:
        for view, sub in (("batch_articles", ARTICLES), ("batch_rejects", REJECTS)):
            pattern = f"{layout.root}/{sub}/*.parquet".replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{pattern}')")
        for view, name in (("batch_articles", "articles"), ("batch_rejects", "rejects")):
            stats.add(name, scalar(con, f"SELECT count(*) FROM {view}"))
    return stats

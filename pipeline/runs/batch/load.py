"""Attach finished batch shards to the warehouse: import them into `articles`/`rejects`, or views.

Import goes through `Warehouse.load`, the same path as the cron job, so ids upsert (a page the
cron job already has is replaced, not duplicated) and whatever runs on every load (dedup
signatures, the search index) runs on these rows too. Views (`batch_articles`,
`batch_rejects`) over `read_parquet` cost nothing and see new shards at once, but they sit
beside `articles`, not in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow.parquet as pq

from pipeline.runs.batch.errors import BatchError
from pipeline.runs.batch.layout import ARTICLES, REJECTS, Layout
from pipeline.store import rows as R
from pipeline.store.warehouse import Batch, Warehouse

IMPORT_ROWS = 2000  # rows per transaction: bounded memory, few commits


@dataclass(slots=True)
class LoadSummary:
    shards: int = 0
    articles: int = 0
    rejects: int = 0
    mode: str = "import"
    corpus: dict | None = None  # what the end-of-load maintenance did (dedup keys, search index)


def finished_shards(out: str) -> list[str]:
    """Names of the shards whose completion marker exists, sorted."""
    layout = Layout.of(out)
    names = sorted(layout.finished())
    if not names:
        raise BatchError(f"{out}: no finished batch shards here (no files under done/)")
    return names


def import_shards(
    db_path, out: str, on_progress: Callable[[int], None] | None = None
) -> LoadSummary:
    """Upsert every finished shard into `articles` and `rejects`, ~IMPORT_ROWS rows a transaction."""
    layout = Layout.of(out)
    names = finished_shards(out)
    warehouse = Warehouse(db_path)
    warehouse.migrate()
    summary = LoadSummary()
    batch = Batch()
    for name in names:
        for kind, path in (("articles", layout.articles(name)), ("rejects", layout.rejects(name))):
            rows = getattr(batch, kind)
            for chunk in _read_rows(layout, path, _COLUMNS[kind]):
                rows.extend(chunk)
                setattr(summary, kind, getattr(summary, kind) + len(chunk))
                if len(batch) >= IMPORT_ROWS:
                    warehouse.load(batch)
                    batch = Batch()
                    rows = getattr(batch, kind)
        summary.shards += 1
        if on_progress:
            on_progress(1)
    warehouse.load(batch)
    # As at the end of a run: the search index follows the new rows, stale dedup keys go.
    summary.corpus = warehouse.maintain_corpus()
    return summary


# The warehouse tables' columns only; provenance stays in the shard.
_COLUMNS = {"articles": R.ARTICLE_SCHEMA.names, "rejects": R.REJECT_SCHEMA.names}


def _read_rows(layout: Layout, path: str, columns: list[str]) -> Iterator[list[dict]]:
    with layout.fs.open_input_file(path) as fh:
        for record_batch in pq.ParquetFile(fh).iter_batches(
            batch_size=IMPORT_ROWS, columns=columns
        ):
            yield record_batch.to_pylist()


def attach_views(db_path, out: str) -> LoadSummary:
    """(Re)create `batch_articles` and `batch_rejects` as views over the shard files."""
    layout = Layout.of(out)
    if not layout.is_local:
        raise BatchError(f"{out}: views need a local or mounted directory; use the import mode")
    names = finished_shards(out)
    warehouse = Warehouse(db_path)
    warehouse.migrate()
    summary = LoadSummary(shards=len(names), mode="view")
    with warehouse.connect() as con:
        for view, sub in (("batch_articles", ARTICLES), ("batch_rejects", REJECTS)):
            pattern = f"{layout.root}/{sub}/*.parquet".replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{pattern}')")
        summary.articles = con.execute("SELECT count(*) FROM batch_articles").fetchone()[0]
        summary.rejects = con.execute("SELECT count(*) FROM batch_rejects").fetchone()[0]
    return summary

"""End-of-run upkeep of the corpus: stale LSH band keys dropped, the search index brought up to date."""

from __future__ import annotations

import logging
from typing import Any

from pipeline.errors import SearchUnavailableError
from pipeline.store.clusters import prune_bands
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)


def maintain_corpus(warehouse: Warehouse) -> dict[str, Any]:
    """Drop stale band keys; refresh the search index if articles changed.

    A search index that cannot be built (fts extension missing) is logged, never fatal.
    """
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        pruned = prune_bands(con)
        con.execute("COMMIT")
        try:
            refresh = refresh_index(con)
        except SearchUnavailableError as exc:
            log.warning("search index not refreshed: %s", exc)
            return {"pruned_bands": pruned, "search_index": f"unavailable: {exc}"}
    return {"pruned_bands": pruned, "search_index": refresh.mode,
            "search_index_s": round(refresh.seconds, 3)}

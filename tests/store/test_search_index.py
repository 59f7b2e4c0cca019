"""The incremental search index scores exactly like a fresh build, and like the extension's macro."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_rows import VOCAB, load, row, story

from pipeline.store import search as S
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse

QUERIES = ["minister budget", "floods damaged bridges", "farmers", "emergency housing families",
           "northern provinces parliament opposition", "zzz-not-a-word"]


def _results(warehouse: Warehouse) -> dict[str, list[tuple[str, float]]]:
    with warehouse.connect(read_only=True) as con:
        return {q: [(h.id, h.score) for h in S.search(con, q, limit=1000)] for q in QUERIES}


def _macro(warehouse: Warehouse, query: str) -> list[tuple[str, float]]:
    with warehouse.connect(read_only=True) as con:
        S.load_fts(con)
        return con.execute(
            f"SELECT id, score FROM (SELECT id, {S.INDEX_SCHEMA}.match_bm25(id, ?) AS score "
            "FROM articles) WHERE score IS NOT NULL ORDER BY score DESC, id", [query]).fetchall()


def _same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    return [i for i, _ in a] == [i for i, _ in b] and all(
        abs(x - y) < 1e-9 for (_, x), (_, y) in zip(a, b, strict=False))


@pytest.fixture
def warehouse(db: Path) -> Warehouse:
    wh = Warehouse(db)
    wh.migrate()
    load(wh, [row(f"d{i}", story(i, 100 + 7 * i), title=f"{VOCAB[i % 40]} report {i}")
              for i in range(60)])
    with wh.connect() as con:
        assert refresh_index(con).mode == "full"
    return wh


def test_incremental_updates_match_a_fresh_build(warehouse: Warehouse) -> None:
    load(warehouse, [row(f"n{i}", story(500 + i, 150), title=f"new {VOCAB[i]}") for i in range(8)])
    load(warehouse, [row(f"d{i}", story(900 + i, 120), title=f"changed {i}") for i in range(5)])
    with warehouse.connect() as con:
        con.execute("DELETE FROM articles WHERE id IN ('d10', 'd11', 'd12')")
        result = refresh_index(con)
    assert (result.mode, result.added, result.removed, result.documents) == ("incremental", 13, 8, 65)
    incremental = _results(warehouse)
    assert incremental["farmers"] and not incremental["zzz-not-a-word"]
    with warehouse.connect() as con:
        assert refresh_index(con).mode == "current"
        assert refresh_index(con, force=True).mode == "full"
    fresh = _results(warehouse)
    for query in QUERIES:
        assert _same(incremental[query], fresh[query]), query
        assert _same(fresh[query], _macro(warehouse, query)), query


def test_a_large_change_rebuilds_in_full(warehouse: Warehouse) -> None:
    load(warehouse, [row(f"m{i}", story(700 + i, 100)) for i in range(40)])
    with warehouse.connect() as con:
        assert refresh_index(con).mode == "full"

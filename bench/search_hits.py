"""Search benchmark for bodies full of hits: snippet time, and one whole search, per hit count.

    uv run python bench/search_hits.py [--hits 40000 92000 100000] [--search]

The snippet window search used to be quadratic in the hits of one body (a body with 40,000
hits took 42 s); this prints the time to cut the snippet of a body made of one sentence that
holds the query word, repeated. `--search` also lands that body in a fresh warehouse, builds
the BM25 index and times `search_db` end to end: guarded connection, ranking, snippet.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.store import search
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse

SENTENCE = "Modi met the press in Delhi. "


def snippet_seconds(hits: int) -> float:
    body = SENTENCE * hits
    started = time.perf_counter()
    search.snippet(body, search.query_terms("Modi"))
    return time.perf_counter() - started


def search_seconds(hits: int, directory: Path) -> float:
    db = directory / f"hits-{hits}.duckdb"
    Warehouse(db).migrate()
    with Warehouse(db).connect() as con:
        con.execute(
            "INSERT INTO articles BY NAME SELECT 'big' AS id, 'https://example.org/big' AS url, "
            f"'bench' AS source, 'Many hits' AS title, repeat('{SENTENCE}', {int(hits)}) AS body, "
            f"{6 * int(hits)} AS word_count, 'h' AS content_hash, 'c' AS capture_id, "
            "'bench' AS extractor_version, now() AS extracted_at, '[]' AS removed")
        refresh_index(con)
    started = time.perf_counter()
    found = search.search_db(db, "Modi")
    assert [h.id for h in found] == ["big"]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, nargs="+", default=[40_000, 92_000, 100_000])
    parser.add_argument("--search", action="store_true", help="also time a whole search")
    args = parser.parse_args()
    table = Table("hits in the body", "snippet, s", "whole search, s",
                  title="search over bodies full of hits")
    with tempfile.TemporaryDirectory() as tmp:
        for hits in args.hits:
            whole = f"{search_seconds(hits, Path(tmp)):.2f}" if args.search else "-"
            table.add_row(f"{hits:,}", f"{snippet_seconds(hits):.3f}", whole)
    Console().print(table)


if __name__ == "__main__":
    main()

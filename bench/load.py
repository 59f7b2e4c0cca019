"""Load benchmark: articles/s landed in DuckDB, batched Arrow INSERT ... SELECT vs row-by-row.

The third line is the whole load step of `pipeline run` (which also signs and clusters
near-duplicates with MinHash), for scale.

    uv run --group bench python bench/load.py [--n 10000] [--repeats 3] [--batch 1000]

Both methods write the same synthetic article rows into a fresh warehouse file (same schema,
fresh table, distinct ids: plain inserts). They alternate within each repeat so machine noise hits
both; the table shows medians and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.models import Article, Capture
from pipeline.stages.rows import ArticleRow, article_row
from pipeline.store import schema as S
from pipeline.store.warehouse import Batch, Warehouse


def _vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    return ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(size)]


def synthetic_rows(n: int, seed: int = 7) -> list[ArticleRow]:
    rng = random.Random(seed)
    words = _vocabulary(rng)
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        body = "\n\n".join(" ".join(rng.choices(words, k=60)) for _ in range(8))
        capture = Capture(id=f"c{i:08d}", url=f"https://news.example/{i}.html",
                          final_url=f"https://news.example/{i}.html", source="bench", status=200,
                          content_type="text/html", body=b"", fetched_at=now, sha256="0" * 64)
        article = Article(body=body, title=f"Headline {i}", author="Bench Writer", language="en")
        rows.append(article_row(capture, article, "bench", now))
    return rows


def load_job_path(warehouse: Warehouse, rows: list[ArticleRow], batch: int) -> None:
    """What `pipeline run` does per batch: Warehouse.load (Arrow insert + near-dup clustering)."""
    for start in range(0, len(rows), batch):
        warehouse.load(Batch(articles=rows[start:start + batch]))


def load_arrow_only(warehouse: Warehouse, rows: list[ArticleRow], batch: int) -> None:
    """The bare insert: one Arrow table per batch, one INSERT ... SELECT, one transaction."""
    with warehouse.connect() as con:
        for start in range(0, len(rows), batch):
            con.execute("BEGIN TRANSACTION")
            con.register("_bench", S.to_table(rows[start:start + batch], S.ARTICLE_SCHEMA))
            con.execute("INSERT INTO articles BY NAME SELECT * FROM _bench")
            con.execute("COMMIT")


def load_row_by_row(warehouse: Warehouse, rows: list[ArticleRow]) -> None:
    columns = list(S.ARTICLE_SCHEMA.names)
    insert = f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        con.executemany(insert, [[getattr(row, c) for c in columns] for row in rows])
        con.execute("COMMIT")


def measure(method: str, rows: list[ArticleRow], batch: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(Path(tmp) / "corpus.duckdb")
        warehouse.migrate()
        start = time.perf_counter()
        if method == "job":
            load_job_path(warehouse, rows, batch)
        elif method == "arrow":
            load_arrow_only(warehouse, rows, batch)
        else:
            load_row_by_row(warehouse, rows)
        elapsed = time.perf_counter() - start
        with warehouse.connect(read_only=True) as con:
            assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(rows)
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    rows = synthetic_rows(args.n)
    results: dict[str, list[float]] = {"arrow": [], "row-by-row": [], "job": []}
    for repeat in range(args.repeats):
        order = list(results) if repeat % 2 == 0 else list(reversed(results))
        for method in order:
            results[method].append(measure(method, rows, args.batch))
    table = Table(title=f"DuckDB load: {args.n:,} synthetic articles, median of {args.repeats}")
    table.add_column("method")
    table.add_column("articles/s", justify="right")
    table.add_column("runs (articles/s)", justify="right")
    table.add_column("vs row-by-row", justify="right")
    base = statistics.median(results["row-by-row"])
    for method, label in (("arrow", f"Arrow INSERT ... SELECT, {args.batch}/batch"),
                          ("row-by-row", "executemany, one transaction"),
                          ("job", f"job path: Warehouse.load + near-dup clustering, {args.batch}/batch")):
        median = statistics.median(results[method])
        table.add_row(label, f"{median:,.0f}", ", ".join(f"{v:,.0f}" for v in results[method]),
                      f"{median / base:.1f}x")
    Console().print(table)


if __name__ == "__main__":
    main()

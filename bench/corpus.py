"""Corpus benchmark: near-duplicate clustering at load time, BM25 search latency, streaming export.

    uv run python bench/corpus.py [--n 20000] [--batch 1000] [--queries 100] [--keep DIR]

The default (20,000 articles) takes about two minutes; `--n 100000` (about ten) gives the numbers
in the README.

Synthetic articles (Zipf-distributed vocabulary of 30,000 pseudo-words, ~350 words each) go
through `Warehouse.load`, exactly as `pipeline run` lands a batch: sign (MinHash) outside the
transaction, candidates from the stored LSH band keys, cluster_id, insert. One article in ten is a
planted near-duplicate of an earlier one (3% of words changed, clutter added around it), so the
table also shows how many planted copies joined their original's cluster and how many unrelated
originals were wrongly merged. Then the BM25 index is built over the whole corpus and queried,
and the corpus is exported to Parquet in a child process to measure its peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.stages.rows import ArticleRow, normalised_body_hash
from pipeline.store import search
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Batch, Warehouse

VOCAB_SIZE = 30_000
DUP_RATE = 0.1


class Corpus:
    """Deterministic synthetic articles: article i is the same text on every call."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        letters = "etaoinshrdlucmfwypvbgkjqxz"
        self.words = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(VOCAB_SIZE)]
        self.cum = list(accumulate(1 / (rank + 1) ** 1.05 for rank in range(VOCAB_SIZE)))
        self.seed = seed

    def _text(self, rng: random.Random, words: int) -> str:
        chosen = rng.choices(self.words, cum_weights=self.cum, k=words)
        return "\n\n".join(" ".join(chosen[i:i + 60]).capitalize() + "."
                           for i in range(0, len(chosen), 60))

    def original_of(self, i: int) -> int | None:
        """The planted original of article i, or None if i is an original itself."""
        rng = random.Random(self.seed * 1_000_003 + i)
        if i < 100 or rng.random() >= DUP_RATE:
            return None
        return rng.randrange(max(0, i - 20_000), i)  # a recent story gets reprinted

    def original_body(self, i: int) -> str:
        rng = random.Random(self.seed * 7_919 + i)
        return self._text(rng, rng.randint(200, 500))

    def body(self, i: int) -> str:
        j = self.original_of(i)
        if j is None:
            return self.original_body(i)
        while self.original_of(j) is not None:
            j = self.original_of(j)
        rng = random.Random(i)
        words = self.original_body(j).split(" ")
        for k in range(len(words)):
            if rng.random() < 0.03:
                words[k] = rng.choice(self.words)
        clutter = self._text(rng, rng.randint(0, 40))
        return clutter + "\n\n" + " ".join(words) + "\n\n" + self._text(rng, rng.randint(0, 40))

    def root(self, i: int) -> int:
        while (j := self.original_of(i)) is not None:
            i = j
        return i

    def row(self, i: int, now: datetime) -> ArticleRow:
        body = self.body(i)
        return ArticleRow(
            id=f"a{i:07d}", url=f"https://news{i % 50}.example/{i}", canonical_url=None,
            source=f"site{i % 50}", title=" ".join(body.split()[3:10]).title(),
            author=None, published=datetime(2026, 1 + i % 12, 1 + i % 28), language="en",
            description=None, site_name=None, body=body, word_count=len(body.split()),
            content_hash=normalised_body_hash(body), capture_id=f"c{i:07d}",
            extractor_version="bench", extracted_at=now, removed="[]", page_type="article",
        )


def _rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_corpus(warehouse: Warehouse, corpus: Corpus, n: int, batch: int, console: Console) -> dict:
    from pipeline.store import warehouse as dedup  # where the load step calls sign and cluster

    per_batch: list[tuple[int, float, float, float]] = []  # (stored before, sign, cluster, load)
    spent = {"sign": 0.0, "cluster": 0.0}
    originals = {"sign": dedup.sign, "cluster": dedup.assign_clusters}

    def timed(name):  # how much of each load is signing, and clustering inside the transaction
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t0
        return wrapper

    dedup.sign, dedup.assign_clusters = timed("sign"), timed("cluster")
    rss: list[float] = []  # current RSS after each batch: does memory grow with the corpus?
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as warm_dir:
        warm = Warehouse(Path(warm_dir) / "warm.duckdb")
        warm.migrate()  # one-time imports (datasketch, Arrow glue) stay out of the timings
        warm.load(Batch(articles=[corpus.row(i, datetime.now(UTC)) for i in range(3)]))
    rss_start = _rss_mb()
    for start in range(0, n, batch):
        now = datetime.now(UTC)
        rows = [corpus.row(i, now) for i in range(start, min(n, start + batch))]
        spent.update(sign=0.0, cluster=0.0)
        t1 = time.perf_counter()
        warehouse.load(Batch(articles=rows))  # signs, clusters and inserts, as the job does
        t2 = time.perf_counter()
        per_batch.append((start, spent["sign"], spent["cluster"], t2 - t1))
        rss.append(_rss_mb("VmRSS"))
        if (start // batch) % 10 == 0:
            console.print(f"  loaded {start + len(rows):>7,} articles, last batch {t2 - t1:.2f}s",
                          style="dim")
    dedup.sign, dedup.assign_clusters = originals["sign"], originals["cluster"]
    return {"per_batch": per_batch, "rss_start": rss_start, "rss_peak": _rss_mb(), "rss": rss}


def quality(warehouse: Warehouse, corpus: Corpus, n: int) -> tuple[float, int, int]:
    """(share of planted copies in their original's cluster, wrongly merged originals, clusters)."""
    with warehouse.connect(read_only=True) as con:
        cluster = dict(con.execute("SELECT id, cluster_id FROM articles").fetchall())
    copies = found = 0
    roots_by_cluster: dict[str, set[int]] = {}
    for i in range(n):
        root = corpus.root(i)
        roots_by_cluster.setdefault(cluster[f"a{i:07d}"], set()).add(root)
        if root != i:
            copies += 1
            found += cluster[f"a{i:07d}"] == cluster[f"a{root:07d}"]
    wrong = sum(len(roots) - 1 for roots in roots_by_cluster.values())
    return found / max(1, copies), wrong, len(roots_by_cluster)


def search_latency(db: Path, corpus: Corpus, queries: int) -> tuple[float, float, float, int]:
    rng = random.Random(3)
    mid = corpus.words[200:5000]
    warehouse = Warehouse(db)
    times, hits = [], 0
    with warehouse.connect(read_only=True) as con:
        search.search(con, "warm up")  # loads the extension, touches the index
        for _ in range(queries):
            q = " ".join(rng.sample(mid, rng.randint(1, 3)))
            t0 = time.perf_counter()
            hits += bool(search.search(con, q, limit=10))
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1], hits


EXPORT_CHILD = """
import sys, time
from pathlib import Path
from pipeline.store.export import ExportOptions, export
t = time.perf_counter()
r = export(Path(sys.argv[1]), Path(sys.argv[2]), ExportOptions(memory_limit=sys.argv[3]))
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(r.rows, r.bytes, time.perf_counter() - t, int(hwm) / 1024)
"""


def export_in_child(db: Path, out: Path, memory_limit: str) -> tuple[int, int, float, float]:
    result = subprocess.run([sys.executable, "-c", EXPORT_CHILD, str(db), str(out), memory_limit],
                            capture_output=True, text=True)
    if result.returncode:
        Console(stderr=True).print(f"[red]export failed[/red]: {result.stderr[-2000:]}")
        return 0, 0, 0.0, 0.0
    rows, size, seconds, rss = result.stdout.split()
    return int(rows), int(size), float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles (default 20,000)")
    parser.add_argument("--batch", type=int, default=1000, help="articles per load")
    parser.add_argument("--queries", type=int, default=100, help="search queries to time")
    parser.add_argument("--keep", type=Path, default=None, help="build the warehouse in DIR and keep it")
    args = parser.parse_args()
    console = Console(width=120)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    db = directory / "corpus.duckdb"
    warehouse = Warehouse(db)
    warehouse.migrate()
    corpus = Corpus()
    console.print(f"loading {args.n:,} synthetic articles into {db} ...")
    started = time.perf_counter()
    loaded = load_corpus(warehouse, corpus, args.n, args.batch, console)
    load_s = time.perf_counter() - started
    recall, wrong, clusters = quality(warehouse, corpus, args.n)
    with warehouse.connect() as con:
        t0 = time.perf_counter()
        refresh_index(con, force=True)
        index_s = time.perf_counter() - t0
        bands = con.execute("SELECT count(*) FROM minhash_bands").fetchone()[0]
    # the next run: 1,000 more articles land, then the end-of-run index refresh (incremental)
    extra = max(1, min(1000, args.n // 10))
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    warehouse.load(Batch(articles=[corpus.row(i, now) for i in range(args.n, args.n + extra)]))
    extra_load_s = time.perf_counter() - t0
    with warehouse.connect() as con:
        refresh = refresh_index(con)
    median_ms, p95_ms, max_ms, hit_queries = search_latency(db, corpus, args.queries)
    rows, size, export_s, export_rss = export_in_child(db, directory / "corpus.parquet", "256MB")

    per_batch = loaded["per_batch"]
    scale = 1000 / args.batch
    tenth = max(1, len(per_batch) // 10)
    first, last = per_batch[:tenth], per_batch[-tenth:]
    table = Table(title=f"corpus benchmark: {args.n:,} articles, batches of {args.batch:,}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, part in (("first", first), ("last", last)):
        table.add_row(f"load per 1,000 articles, {label} 10% of the corpus: total s",
                      f"{statistics.median(b[3] for b in part) * scale:.2f}")
        table.add_row("  of which MinHash signing (CPU, before the write connection)",
                      f"{statistics.median(b[1] for b in part) * scale:.2f}")
        table.add_row("  of which clustering against the stored corpus (in the transaction)",
                      f"{statistics.median(b[2] for b in part) * scale:.2f}")
        table.add_row("  of which insert, commit, checkpoint on close",
                      f"{statistics.median(b[3] - b[1] - b[2] for b in part) * scale:.2f}")
    table.add_row("total load time, s", f"{load_s:.0f}")
    rss = loaded["rss"]
    table.add_row("RSS after a load, MB: median over first 10% / last 10% of batches",
                  f"{statistics.median(rss[:tenth]):.0f} / {statistics.median(rss[-tenth:]):.0f}")
    table.add_row("peak RSS of the loading process, MB (DuckDB buffers included)",
                  f"{loaded['rss_peak']:.0f} (before loading {loaded['rss_start']:.0f})")
    table.add_row("LSH band rows stored (bands x articles)", f"{bands:,}")
    table.add_row("planted near-duplicates found in their original's cluster",
                  f"{recall:.1%}")
    table.add_row("unrelated originals wrongly merged", f"{wrong:,}")
    table.add_row("clusters", f"{clusters:,}")
    table.add_row("BM25 index build over the corpus, s", f"{index_s:.1f}")
    table.add_row(f"next run: load {extra:,} more articles (dedup against the corpus), s",
                  f"{extra_load_s:.2f}")
    table.add_row(f"next run: index refresh for them ({refresh.mode}), s", f"{refresh.seconds:.2f}")
    table.add_row(f"search latency, median ms/query ({args.queries} queries, top 10 + snippets)",
                  f"{median_ms:.1f}")
    table.add_row("search latency, p95 / max ms", f"{p95_ms:.1f} / {max_ms:.1f}")
    table.add_row("queries with at least one hit", f"{hit_queries}/{args.queries}")
    table.add_row("Parquet export: rows, MB, s", f"{rows:,}, {size / 1e6:.0f}, {export_s:.1f}")
    table.add_row("Parquet export: peak RSS of the exporting process, MB (memory_limit 256MB)",
                  f"{export_rss:.0f}")
    table.add_row("warehouse file, MB", f"{db.stat().st_size / 1e6:.0f}")
    console.print(table)
    if args.keep is None:
        for path in sorted(directory.glob("**/*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        directory.rmdir()


if __name__ == "__main__":
    main()

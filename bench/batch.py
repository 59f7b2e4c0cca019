"""Batch extraction throughput: records/s and peak memory per worker, local pool vs Ray, 1 and 2 workers.

    uv run python bench/batch.py                       # 4 files x 100 records, fixtures only
    uv run python bench/batch.py --files 8 --records 200 --pages ../shared/bench/scrapinghub/html

The WARC files are generated once under bench/out/batch-warcs-*/ (git-ignored). For Ray the
local cluster is started before the clock starts (its start-up is shown on its own); worker
processes start inside the timed run, as they would for a real job. Also times the two WARC
readers alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
# One machine: Ray's workers share this environment instead of rebuilding it with `uv run`
# (read when ray is imported).
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
import warcgen

from pipeline.capture.warc import have_fastwarc, iter_records
from pipeline.runs.batch import BatchOptions, run_batch


def make_inputs(files: int, records: int, pages: list[Path]) -> list[Path]:
    tag = f"{files}x{records}" + ("-pages" if pages else "")
    out = REPO / "bench" / "out" / f"batch-warcs-{tag}"
    wanted = [out / f"synth-{n:05d}.warc.gz" for n in range(files)]
    if not all(p.exists() for p in wanted):
        warcgen.generate(out, files, records, seed=7, pages=warcgen.load_pages(pages))
    return wanted


def run_one(engine: str, workers: int, inputs: list[Path], scratch: Path) -> dict:
    out = scratch / f"{engine}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    startup = 0.0
    if engine == "ray":
        import ray

        began = time.monotonic()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        startup = time.monotonic() - began
    busy: list[float] = []
    cpu: list[float] = []
    try:
        summary = run_batch(
            [str(p) for p in inputs],
            str(out),
            BatchOptions(engine=engine, workers=workers),
            on_progress=lambda r: (busy.append(r.seconds), cpu.append(r.cpu_s)) if r else None,
        )
    finally:
        if engine == "ray":
            ray.shutdown()
    peaks = sorted(summary.peak_rss_mb.values())
    return {
        "engine": engine,
        "workers": workers,
        "records": summary.records,
        "articles": summary.articles,
        "seconds": round(summary.seconds, 2),
        "records_per_s": round(summary.records_per_s, 1),
        "cluster_start_s": round(startup, 1),
        # Time inside the tasks: throughput without process start-up and scheduling.
        "busy_s": round(sum(busy), 2),
        "records_per_busy_s": round(summary.records / sum(busy), 1) if busy else 0.0,
        # CPU time inside the tasks: what a worker costs when it has a core to itself.
        "records_per_cpu_s": round(summary.records / sum(cpu), 1) if cpu else 0.0,
        "peak_mb_per_worker": [round(p) for p in peaks],
        "failed": len(summary.failed),
    }


def time_readers(inputs: list[Path]) -> list[dict]:
    rows = []
    for reader in ("fastwarc", "warcio"):
        if reader == "fastwarc" and not have_fastwarc():
            continue
        began, count, size = time.monotonic(), 0, 0
        for path in inputs:
            with open(path, "rb") as fh:
                for record in iter_records(fh, reader):
                    count += 1
                    size += len(record.body)
        seconds = time.monotonic() - began
        rows.append(
            {
                "reader": reader,
                "records": count,
                "seconds": round(seconds, 3),
                "records_per_s": round(count / seconds),
                "MB_per_s": round(size / 1e6 / seconds, 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--records", type=int, default=100, help="responses per file")
    parser.add_argument(
        "--pages",
        type=Path,
        action="append",
        default=[],
        help="extra directory of .html/.html.gz pages for the generator",
    )
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()

    console = Console(width=max(120, Console().width))
    inputs = make_inputs(args.files, args.records, args.pages)
    scratch = REPO / "bench" / "out" / "batch-shards"
    rows = []
    for engine in args.engines.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            console.print(f"running {engine} with {workers} worker(s) ...", style="dim")
            rows.append(run_one(engine, workers, inputs, scratch))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        title=f"pipeline batch: {args.files} files x {args.records} records "
        f"({os.cpu_count()} cores, load average {load})"
    )
    for column in (
        "engine",
        "workers",
        "records",
        "articles",
        "wall s",
        "records/s",
        "rec/s in tasks per worker",
        "rec per CPU s",
        "cluster start s",
        "peak MB per worker",
    ):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for r in rows:
        table.add_row(
            r["engine"],
            str(r["workers"]),
            str(r["records"]),
            str(r["articles"]),
            f"{r['seconds']:.1f}",
            f"{r['records_per_s']:.1f}",
            f"{r['records_per_busy_s']:.1f}",
            f"{r['records_per_cpu_s']:.1f}",
            f"{r['cluster_start_s']:.1f}" if r["engine"] == "ray" else "-",
            ", ".join(str(p) for p in r["peak_mb_per_worker"]),
        )
    console.print(table)
    readers = time_readers(inputs)
    reader_table = Table(
        "reader",
        "records",
        "seconds",
        "records/s",
        "payload MB/s",
        title="reading only (no extraction)",
    )
    for r in readers:
        reader_table.add_row(
            r["reader"],
            str(r["records"]),
            str(r["seconds"]),
            str(r["records_per_s"]),
            str(r["MB_per_s"]),
        )
    console.print(reader_table)
    if args.json:
        print(json.dumps({"runs": rows, "readers": readers}, indent=2))


if __name__ == "__main__":
    main()

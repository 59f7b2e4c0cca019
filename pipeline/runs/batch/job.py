"""One batch job: list the inputs, skip the finished ones, run an engine, sum up the results."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.capture.files import expand
from pipeline.errors import BatchError
from pipeline.runs.batch import engines
from pipeline.runs.batch.layout import Layout, canonical_input, is_uri, shard_name
from pipeline.runs.batch.shard import ShardOptions, ShardResult
from pipeline.stages.extract import version
from pipeline.stages.stats import Stats

_WARC_GLOBS = ("*.warc", "*.warc.gz")


@dataclass(slots=True, frozen=True)
class BatchOptions:
    engine: str = "local"  # local | ray | inline (in this process; tests)
    workers: int | None = None  # None: all cores (local) / all CPUs of the cluster (ray)
    ray_address: str | None = None
    ray_ship_code: bool = False
    source: str | None = None
    reader: str = "auto"
    force: bool = False  # redo inputs that already have a marker
    record_timeout_s: float = 60.0  # slower pages are rejected with reason `timeout`; 0: none


@dataclass(slots=True)
class BatchSummary:
    """A batch job: its inputs, and the Stats summed over the shards that finished."""

    batch_id: str
    out: str
    engine: str
    workers: int | None
    inputs: int = 0
    skipped: int = 0  # already finished by an earlier run
    done: int = 0
    seconds: float = 0.0
    stats: Stats = field(default_factory=Stats)
    failed: dict[str, str] = field(default_factory=dict)  # input -> message
    peak_rss_mb: dict[str, float] = field(default_factory=dict)  # worker -> MB

    records = property(lambda self: self.stats["records"])
    articles = property(lambda self: self.stats["articles"])
    rejects = property(lambda self: self.stats["rejects"])
    errors = property(lambda self: self.stats["errors"])
    torn = property(lambda self: self.stats["torn"])
    reasons = property(lambda self: self.stats.reasons)

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def add(self, result: ShardResult) -> None:
        self.done += 1
        self.stats.merge(result.stats)
        worker_peak = self.peak_rss_mb.get(result.worker, 0.0)
        self.peak_rss_mb[result.worker] = max(worker_peak, result.peak_rss_mb)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id, "out": self.out, "engine": self.engine,
            "workers": self.workers, "inputs": self.inputs, "skipped": self.skipped,
            "done": self.done, "failed": dict(self.failed),
            **{k: self.stats[k] for k in ("records", "articles", "rejects", "errors", "torn")},
            "seconds": round(self.seconds, 3), "records_per_s": round(self.records_per_s, 1),
            "reasons": dict(self.stats.reasons),
            "peak_rss_mb": {k: round(v, 1) for k, v in self.peak_rss_mb.items()},
        }


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files as given; a directory stands for the WARC files below it; globs are expanded."""
    found: list[str] = []
    for item in inputs:
        if is_uri(item):
            found.append(item)
        elif os.path.isdir(item):
            in_dir = sorted({str(p) for p in expand([f"**/{g}" for g in _WARC_GLOBS], Path(item))[0]})
            if not in_dir:
                raise BatchError(f"{item}: no .warc / .warc.gz files in this directory")
            found.extend(in_dir)
        elif any(ch in item for ch in "*?["):
            matches = [str(p) for p in expand([item], Path.cwd())[0]]
            if not matches:
                raise BatchError(f"{item}: the pattern matches no file")
            found.extend(matches)
        elif os.path.exists(item):
            found.append(item)
        else:
            raise BatchError(f"{item}: no such file")
    unique = list(dict.fromkeys(canonical_input(i) for i in found))
    names = Counter(shard_name(i) for i in unique)
    clash = [n for n, c in names.items() if c > 1]
    if clash:  # practically impossible (8 hex chars of the full path), but never overwrite silently
        raise BatchError(f"inputs share shard names: {', '.join(clash[:5])}")
    return unique


def run_batch(
    inputs: list[str],
    out: str,
    options: BatchOptions,
    on_progress: Callable[[ShardResult | None], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_records: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Extract every input not yet finished under `out`; one shard per input."""
    if options.engine not in (*engines.ENGINES, "inline"):
        raise BatchError(f"unknown engine {options.engine!r}")
    files = expand_inputs(inputs)
    layout = Layout.of(out)
    layout.ensure_dirs()
    finished = set() if options.force else layout.finished()
    todo = [f for f in files if shard_name(f) not in finished]
    layout.remove_stale_tmp({shard_name(f) for f in todo})
    batch_id = "batch-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    on_cluster = options.engine == "ray" and options.ray_address
    workers = options.workers or (None if on_cluster else engines.default_workers())
    summary = BatchSummary(
        batch_id, out, options.engine, workers, inputs=len(files), skipped=len(files) - len(todo)
    )
    if on_plan:
        on_plan(len(todo))
    shard_options = ShardOptions(
        batch_id=batch_id,
        source=options.source,
        reader=options.reader,
        record_timeout_s=options.record_timeout_s,
        expected_version=version(),
    )

    def on_result(result: ShardResult) -> None:
        summary.add(result)
        if on_progress:
            on_progress(result)
        if on_records:
            on_records(summary.records + layout.records_in_progress())

    def on_failure(location: str, message: str) -> None:
        summary.failed[location] = message
        if on_progress:
            on_progress(None)

    started = time.monotonic()
    if todo:
        engine = engines.EngineOptions(workers, options.ray_address, options.ray_ship_code)
        def on_tick() -> None:  # records read by the workers on unfinished inputs, as they go
            if on_records:
                on_records(summary.records + layout.records_in_progress())

        _dispatch(options.engine, todo, out, shard_options, engine, on_result, on_failure,
                  on_tick)
        # Temporaries of attempts that died and were retried (Ray retries lost workers).
        layout.remove_stale_tmp({shard_name(f) for f in todo})
    summary.seconds = time.monotonic() - started
    return summary


def _dispatch(
    name: str,
    todo: list[str],
    out: str,
    shard_options: ShardOptions,
    engine: engines.EngineOptions,
    on_result: engines.OnResult,
    on_failure: engines.OnFailure,
    on_tick: Callable[[], None],
) -> None:
    if name == "inline":
        engines.run_inline(todo, out, shard_options, on_result, on_failure)
    elif name == "local":
        engines.run_local(todo, out, shard_options, engine, on_result, on_failure, on_tick)
    else:
        engines.run_ray(todo, out, shard_options, engine, on_result, on_failure, on_tick)

"""One scheduled run: take the lock, recover a killed run, collect every source, land, summarise."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.capture.warc import WarcWriter, new_run_id
from pipeline.capture.files import collect_files
from pipeline.config import Config, SourceSpec
from pipeline.runs.lock import RunLock
from pipeline.runs.sink import Sink, SourceTally
from pipeline.store.state import KnownState
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunOptions:
    db_path: Path
    only_sources: tuple[str, ...] = ()
    batch_size: int = 200
    global_concurrency: int = 16
    workers: int | None = None
    on_progress: Callable[[str, SourceTally], None] | None = None


@dataclass(slots=True)
class RunSummary:
    run_id: str
    status: str
    recovered_runs: list[str] = field(default_factory=list)
    sources: dict[str, SourceTally] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[str]:
        """Sources that produced nothing this run and reported problems (e.g. unreachable)."""
        return [
            name for name, t in self.sources.items()
            if t.problems and t.captured == 0 and t.skipped_known == 0 and t.not_modified == 0
        ]

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "recovered_runs": self.recovered_runs,
            "failed_sources": self.failed_sources,
            "sources": {name: t.as_dict() for name, t in self.sources.items()},
        }


def run(config: Config, options: RunOptions) -> RunSummary:
    """Collect every enabled source into the warehouse; raises LockedError if a run is going."""
    warehouse = Warehouse(options.db_path)
    with RunLock(options.db_path.with_name(options.db_path.name + ".lock")):
        warehouse.migrate()
        recovered = warehouse.recover()
        run_id = new_run_id()
        warehouse.start_run(run_id, str(config.path))
        specs = [
            s for s in config.sources
            if s.enabled and (not options.only_sources or s.name in options.only_sources)
        ]
        sink = Sink(warehouse, run_id, batch_size=options.batch_size, workers=options.workers,
                    on_progress=options.on_progress)
        for spec in specs:
            sink.tally(spec.name)  # every source shows in the summary, even when it yields nothing
        status = "failed"
        try:
            known = KnownState.load(warehouse)
            with WarcWriter(warehouse.captures_dir, run_id) as warc:
                for spec in specs:
                    if spec.kind == "files":
                        collect_files(config, spec, warc, sink, known)
                remote = [s for s in specs if s.kind != "files"]
                if remote:
                    asyncio.run(_collect_remote(config, remote, warc, sink, known, options))
                sink.flush()
            warehouse.maintain_corpus()  # search index current, stale dedup keys pruned
            status = "ok"
        finally:
            counts = {name: t.as_dict() for name, t in sink.tallies.items()}
            warehouse.finish_run(run_id, status, counts)
        return RunSummary(run_id, status, recovered, dict(sink.tallies))


async def _collect_remote(config: Config, specs: list[SourceSpec], warc: WarcWriter, sink: Sink,
                          known: KnownState, options: RunOptions) -> None:
    from pipeline.capture.remote import RemoteCollector
    from pipeline.capture.fetch import Fetcher

    async with Fetcher(global_concurrency=options.global_concurrency) as fetcher:
        await RemoteCollector(config, warc, sink, known, fetcher).collect(specs)

"""One scheduled run: take the lock, recover a killed run, collect every source, land, summarise.

    recovered WARC records + local files + web sources                          (capture stage)
      -> tally -> ExtractStage -> RowStage -> tally -> DedupStage -> Loader   (as every driver)
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.capture.files import collect_files
from pipeline.capture.remote import RemoteSource, parse_since, remote_captures
from pipeline.capture.warc import WarcWriter, new_run_id
from pipeline.config import Config, SourceSpec
from pipeline.models import KnownState
from pipeline.runs.lock import RunLock
from pipeline.runs.recover import Recovery
from pipeline.stages import compose
from pipeline.stages.extract import ExtractLimits, ExtractStage, extraction_pool, version
from pipeline.stages.rows import RowStage
from pipeline.stages.signatures import DedupStage
from pipeline.stages.stats import Stats, StatsBook
from pipeline.stages.tally import Progress, Tally
from pipeline.store.loader import Loader
from pipeline.store.maintain import maintain_corpus
from pipeline.store.state import load_known
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunOptions:
    db_path: Path
    only_sources: tuple[str, ...] = ()
    batch_size: int = 200
    flush_interval_s: float = 10.0
    global_concurrency: int = 16
    workers: int | None = None
    on_progress: Progress | None = None


@dataclass(slots=True)
class RunSummary:
    run_id: str
    status: str
    recovered_runs: list[str] = field(default_factory=list)
    sources: StatsBook = field(default_factory=StatsBook)
    elapsed_s: float = 0.0

    def totals(self) -> Stats:
        return self.sources.total()

    @property
    def failed_sources(self) -> list[str]:
        """Sources that produced nothing this run and reported problems (e.g. unreachable)."""
        return [name for name, s in self.sources.items() if yielded_nothing(s)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "recovered_runs": self.recovered_runs,
            "failed_sources": self.failed_sources,
            "elapsed_s": round(self.elapsed_s, 3),
            "totals": source_dict(self.totals()),
            "sources": {name: source_dict(s) for name, s in self.sources.items()},
        }


def yielded_nothing(stats: Stats) -> bool:
    return bool(stats.problems) and not any(
        stats[k] for k in ("captured", "known", "not_modified"))


def source_dict(stats: Stats) -> dict[str, Any]:
    """A source's stats as the summary and `runs.counts` spell them."""
    data = stats.as_dict()
    data["skipped_known"] = data.pop("known", 0)
    data.pop("extracting", None)  # a live count for progress bars, 0 once the run is done
    for name in ("discovered", "skipped_known", "not_modified", "fetched", "failed", "captured",
                 "articles", "rejected"):
        data.setdefault(name, 0)
    return data


def run(config: Config, options: RunOptions) -> RunSummary:
    """Collect every enabled source into the warehouse; raises LockedError if a run is going."""
    started = time.monotonic()
    warehouse = Warehouse(options.db_path, dedup=config.dedup)
    with RunLock(options.db_path.with_name(options.db_path.name + ".lock")):
        warehouse.migrate()
        recovery = Recovery.of(warehouse)
        run_id = new_run_id()
        warehouse.start_run(run_id, str(config.path))
        specs = [s for s in config.sources
                 if s.enabled and (not options.only_sources or s.name in options.only_sources)]
        book = StatsBook()
        for spec in specs:
            book[spec.name]  # every source shows in the summary, even when it yields nothing
        status = "failed"
        try:
            known = load_known(warehouse)
            limits = ExtractLimits(max_bytes=config.defaults.max_bytes)
            with WarcWriter(warehouse.captures_dir, run_id, info=warc_info(config)) as warc, \
                    extraction_pool(options.workers, limits) as pool:
                steps = itertools.chain(
                    recovery.captures(known),
                    _local(config, specs, warc, known),
                    _remote(config, specs, warc, known, warehouse, options),
                )
                keep = {spec.name: spec.settings.keep_pages for spec in specs}
                aliases = {spec.name: spec.settings.site_aliases for spec in specs}
                tally = Tally(book, options.on_progress)
                stream = compose(steps, tally.fetches(), ExtractStage(pool, limits),
                                 RowStage(run_id, version(), keep_pages=keep, aliases=aliases),
                                 tally.outcomes(), DedupStage(config.dedup))
                Loader(warehouse, options.batch_size, options.flush_interval_s).consume(stream)
            recovery.done()
            maintain_corpus(warehouse)  # search index current, stale dedup keys pruned
            status = "ok"
        finally:
            counts = {name: source_dict(s) for name, s in book.items()}
            warehouse.finish_run(run_id, status, counts)
        return RunSummary(run_id, status, recovery.runs, book, time.monotonic() - started)


def warc_info(config: Config) -> dict[str, str]:
    """What each WARC file's warcinfo record says about the run that wrote it."""
    digest = hashlib.sha256(config.path.read_bytes()).hexdigest() if config.path.exists() else ""
    obeying = all(s.settings.respect_robots for s in config.sources)
    return {
        "description": f"pipeline run of {config.path.name} (sha256 {digest})",
        "robots": "obey" if obeying else "obey, except sources with respect_robots: false",
        "http-header-user-agent": config.defaults.user_agent,
    }


def _local(config: Config, specs: list[SourceSpec], warc: WarcWriter,
           known: KnownState) -> Iterator[object]:
    for spec in specs:
        if spec.kind == "files":
            settings = config.settings_for(spec)
            yield from collect_files(spec.name, spec.file_patterns, config.path.parent, warc, known,
                                     settings.max_bytes, spec.max_items)


def _remote(config: Config, specs: list[SourceSpec], warc: WarcWriter, known: KnownState,
            warehouse: Warehouse, options: RunOptions) -> Iterator[object]:
    sources = [remote_source(config, spec) for spec in specs if spec.kind != "files"]
    if sources:
        yield from remote_captures(sources, warc, known, warehouse.captures_dir,
                                   options.global_concurrency)


def remote_source(config: Config, spec: SourceSpec) -> RemoteSource:
    settings = config.settings_for(spec)
    return RemoteSource(
        name=spec.name, kind=spec.kind, url=spec.feed or spec.sitemap or spec.links or spec.site,
        urls=tuple(spec.urls or ()), policy=settings.policy(), include=spec.include,
        exclude=spec.exclude, since=parse_since(spec.since), max_items=spec.max_items,
        max_urls=settings.max_urls_per_run, refresh_after_h=settings.refresh_after_h,
        follow=spec.follow.model_dump() if spec.follow else None,
    )

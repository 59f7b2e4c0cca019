"""The one place that counts: per-source Stats from the stream, at two points of it.

`Tally.fetches()` sits before extraction and counts what the capture stage did as it happens
(found, known, fetched, failed, 304s, captures, bytes, retries, statuses, pages sent to
extraction); `Tally.outcomes()` sits after the row stage and counts what became of each page
(articles, by distinct id; rejects by reason; collisions). Progress calls come from both, so a
progress bar moves while pages wait for extraction (`extracting` = sent - done).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from pipeline.models import Fetched, SourceNote
from pipeline.stages.rows import Rows
from pipeline.stages.stats import Stats, StatsBook

log = logging.getLogger(__name__)
Progress = Callable[[str, Stats], None]


class Tally:
    """Counts what passes (nothing is changed), into one StatsBook per run."""

    def __init__(self, book: StatsBook, on_progress: Progress | None = None) -> None:
        self.book = book
        self.on_progress = on_progress
        self._ids: dict[str, set[str]] = {}

    def fetches(self) -> _Counting:
        return _Counting(self, self._fetched)

    def outcomes(self) -> _Counting:
        return _Counting(self, self._outcome)

    def _progress(self, source: str) -> None:
        if self.on_progress is not None:
            self.on_progress(source, self.book[source])

    def _fetched(self, item: object) -> str | None:
        if isinstance(item, SourceNote):
            stats = self.book[item.source]
            stats.add("discovered", item.discovered)
            stats.add("known", item.known)
            stats.add("failed", item.failed)
            if item.problem:
                stats.problem(item.problem)
                log.info("%s: %s", item.source, item.problem)
            return item.source
        if not isinstance(item, Fetched):
            return None
        stats = self.book[item.source]
        if item.fetch is not None:
            _count_fetch(stats, item)
        if item.capture is not None and item.kind != "robots":
            stats.add("captured")
        if item.extract and item.capture is not None:
            stats.add("extracting")
        return item.source

    def _outcome(self, item: object) -> str | None:
        if not isinstance(item, Rows):
            return None
        stats = self.book[item.source]
        if item.article is not None or item.reject is not None:
            stats.counts["extracting"] -= 1
        if item.article is not None:
            ids = self._ids.setdefault(item.source, set())
            if item.article.id not in ids:
                ids.add(item.article.id)
                stats.add("articles")
        if item.reject is not None:
            stats.add("rejected")
            stats.reason(item.reject.reason)
        if item.collision is not None:
            stats.add("collisions")
        return item.source


def _count_fetch(stats: Stats, item: Fetched) -> None:
    fetch = item.fetch
    assert fetch is not None
    stats.add("bytes", len(fetch.body))
    if item.kind == "robots":  # logged and archived; its failure shows in the pages it held back
        stats.add("robots")
        return
    stats.add("retries", max(fetch.attempts - 1, 0))
    if fetch.status is not None:
        stats.statuses[fetch.status] += 1
    if fetch.status == 304:
        stats.add("not_modified")
    elif fetch.error is None and fetch.status is not None and 200 <= fetch.status < 300:
        stats.add("fetched")
    else:
        stats.add("failed")
        why = fetch.error or f"http {fetch.status}"
        stats.reason(why)
        stats.problem(f"{fetch.url}: {why}")
        log.info("%s: %s: %s", item.source, fetch.url, why)


class _Counting:
    """A pass-through stage that counts each value with `count` (which names its source)."""

    def __init__(self, tally: Tally, count: Callable[[object], str | None]) -> None:
        self.tally = tally
        self.count = count

    def run(self, items: Iterable[object]) -> Iterator[object]:
        for item in items:
            source = self.count(item)
            if source is not None:
                self.tally._progress(source)
            yield item

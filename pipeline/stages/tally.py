"""The one place that counts: per-source Stats from the stream's notes and rows, progress calls."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from pipeline.models import SourceNote
from pipeline.stages.rows import Rows
from pipeline.stages.stats import Stats, StatsBook

log = logging.getLogger(__name__)
Progress = Callable[[str, Stats], None]


class Tally:
    """Counts what passes (nothing is changed); `articles` counts distinct article ids."""

    def __init__(self, book: StatsBook, on_progress: Progress | None = None) -> None:
        self.book = book
        self.on_progress = on_progress
        self._ids: dict[str, set[str]] = {}

    def run(self, items: Iterable[object]) -> Iterator[object]:
        for item in items:
            if isinstance(item, SourceNote):
                self._note(item)
            elif isinstance(item, Rows):
                self._rows(item)
            else:
                yield item
                continue
            if self.on_progress is not None:
                self.on_progress(item.source, self.book[item.source])
            yield item

    def _note(self, note: SourceNote) -> None:
        stats = self.book[note.source]
        stats.add("discovered", note.discovered)
        stats.add("known", note.known)
        stats.add("failed", note.failed)
        if note.problem:
            stats.problem(note.problem)
            log.info("%s: %s", note.source, note.problem)

    def _rows(self, rows: Rows) -> None:
        stats = self.book[rows.source]
        fetch = rows.fetch
        if fetch is not None and fetch.kind == "robots":
            # logged in `fetches` and archived; its failure shows in the pages it held back
            stats.add("robots")
            stats.add("bytes", fetch.bytes)
        elif fetch is not None:
            stats.add("bytes", fetch.bytes)
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
                log.info("%s: %s: %s", rows.source, fetch.url, why)
        if rows.capture is not None and rows.capture.kind != "robots":
            stats.add("captured")
        if rows.article is not None:
            ids = self._ids.setdefault(rows.source, set())
            if rows.article.id not in ids:
                ids.add(rows.article.id)
                stats.add("articles")
        if rows.reject is not None:
            stats.add("rejected")
            stats.reason(rows.reject.reason)
        if rows.collision is not None:
            stats.add("collisions")

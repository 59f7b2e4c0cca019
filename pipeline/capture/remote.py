"""Remote sources: discover URLs (feeds, sitemaps, section pages, URL lists), fetch, capture.

`remote_captures` is the capture stage for web sources: an iterator of `Fetched` steps and
`SourceNote`s. The fetching runs on an asyncio loop in a thread of its own, so extraction and
loading (downstream, in the calling thread) never stall the network, and a bounded queue between
the two keeps memory flat when the network is faster than extraction. When nothing arrives for a
second, a `Tick` says so.

Index documents (feeds, sitemaps, section pages) are fetched every run with conditional
headers; on 304 their last stored capture is parsed again, so a run that was killed after the
feed but before its articles still finds them. Articles already captured are skipped unless
`refresh_after_h` says they are due. One broken item (a source whose discovery raises, a page
whose fetch raises) costs itself only: it becomes a `SourceNote` problem and the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.capture.discover import (
    filter_items,
    parse_feed,
    parse_links,
    parse_sitemap,
    robots_txt_url,
)
from pipeline.capture.fetch import Fetcher, FetchPolicy, Validators
from pipeline.capture.site import Follow, SiteWalk
from pipeline.capture.warc import WarcWriter, read_record
from pipeline.errors import CaptureError, DiscoveryError
from pipeline.models import (
    Capture,
    Fetched,
    FetchResult,
    IndexCapture,
    KnownState,
    Planned,
    SourceItem,
    SourceNote,
    Tick,
)
from pipeline.urls import canonicalize_url

log = logging.getLogger(__name__)

MAX_SITEMAPS_PER_SOURCE = 200
QUEUE_ITEMS = 256  # captures waiting for extraction; the fetcher waits beyond this
TICK_S = 1.0
_DONE = object()


@dataclass(slots=True, frozen=True)
class RemoteSource:
    """What the capture stage needs to know of one web source."""

    name: str
    kind: str  # urls | feed | sitemap | links | site
    url: str | None  # the feed, sitemap, section page or homepage
    urls: tuple[str, ...]  # for `urls`
    policy: FetchPolicy
    include: str | None = None
    exclude: str | None = None
    since: datetime | None = None
    max_items: int | None = None
    max_urls: int | None = None  # cap on article URLs fetched per run (reported when it bites)
    refresh_after_h: float | None = None
    follow: dict[str, Any] | None = None  # site: walk section pages (depth, same_site, max_pages)


def remote_captures(sources: list[RemoteSource], warc: WarcWriter | None, known: KnownState,
                    captures_dir: Path, global_concurrency: int = 16) -> Iterator[object]:
    """The capture stage for web sources (see the module docstring).

    Without a WARC writer it only plans: index documents (feeds, sitemaps, section pages,
    robots.txt) are fetched and nothing is stored; each article URL that a run would fetch
    comes out as a `Planned` value instead.
    """
    out: queue.Queue[object] = queue.Queue(maxsize=QUEUE_ITEMS)
    stop = threading.Event()
    collector = _Collector(warc, known, captures_dir, out, stop)
    thread = threading.Thread(
        target=collector.main, args=(sources, global_concurrency), name="fetch", daemon=True
    )
    thread.start()
    try:
        while True:
            try:
                item = out.get(timeout=TICK_S)
            except queue.Empty:
                yield Tick()
                continue
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue see the stop
            try:
                out.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


class _Stopped(Exception):
    """The consumer went away: stop fetching."""


class _Collector:
    """The fetching side, on its own event loop: discovery and article fetches of every source."""

    def __init__(self, warc: WarcWriter | None, known: KnownState, captures_dir: Path,
                 out: queue.Queue[object], stop: threading.Event) -> None:
        self.warc = warc
        self.known = known
        self.captures_dir = captures_dir
        self.out = out
        self.stop = stop
        self._claimed: set[str] = set()  # canonical URLs taken by a source in this run
        self._robots: dict[str, bytes] = {}  # origin -> robots.txt body (site: reads its Sitemap:)

    def main(self, sources: list[RemoteSource], global_concurrency: int) -> None:
        try:
            asyncio.run(self._collect(sources, global_concurrency))
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            self.out.put(exc)
            return
        self.out.put(_DONE)

    async def _emit(self, item: object) -> None:
        if self.stop.is_set():
            raise _Stopped
        try:
            self.out.put_nowait(item)
        except queue.Full:
            await asyncio.to_thread(self._put_blocking, item)

    def _put_blocking(self, item: object) -> None:
        while not self.stop.is_set():
            try:
                self.out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    async def _collect(self, sources: list[RemoteSource], global_concurrency: int) -> None:
        async with Fetcher(global_concurrency=global_concurrency,
                           on_robots=self._archive_robots) as fetcher:
            await asyncio.gather(*(self._guarded(source, fetcher) for source in sources))

    async def _archive_robots(self, result: FetchResult) -> None:
        """Each robots.txt fetched (once per origin) is archived and logged like any fetch."""
        if result.ok:
            self._robots[robots_txt_url(result.url)] = result.body
        capture = self._store(result, "robots")
        await self._emit(Fetched(result.source, "robots", capture=capture, fetch=result))

    async def _guarded(self, source: RemoteSource, fetcher: Fetcher) -> None:
        try:
            await self._source(source, fetcher)
        except _Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken source never costs the others
            log.warning("source %s failed", source.name, exc_info=True)
            await self._emit(SourceNote(source.name, failed=1,
                                        problem=f"failed: {type(exc).__name__}: {exc}"))

    async def _source(self, source: RemoteSource, fetcher: Fetcher) -> None:
        # URLs found in content may point to private addresses only when the source that found
        # them is itself on one (a local mirror), or the policy says so (see pipeline.capture.fetch).
        found_private = source.policy.allow_private_addresses or (
            source.url is not None and await fetcher.is_private(source.url))
        try:
            items = await self._discover(source, fetcher, found_private)
        except DiscoveryError as exc:
            await self._emit(SourceNote(source.name, failed=1, problem=str(exc)))
            return
        items = filter_items(items, source.include, source.exclude, None, source.since)
        due, known = self._due(items, source)
        if source.max_items:
            due = due[: source.max_items]
        if source.max_urls is not None and len(due) > source.max_urls:
            await self._emit(SourceNote(source.name, problem=(
                f"{len(due)} URLs due, capped at max_urls_per_run={source.max_urls}; "
                f"the other {len(due) - source.max_urls} wait for the next run")))
            due = due[: source.max_urls]
        await self._emit(SourceNote(source.name, discovered=len(items), known=known))
        if self.warc is None:
            for item in due:
                await self._emit(Planned(source.name, item.url, item.kind, item.published))
            return
        named = source.kind == "urls"  # a URL the user named may point anywhere
        await asyncio.gather(*(self._article(item, source, fetcher, named or found_private)
                               for item in due))

    def _due(self, items: list[SourceItem], source: RemoteSource) -> tuple[list[SourceItem], int]:
        now = datetime.now(UTC)
        due, known = [], 0
        for item in items:
            key = canonicalize_url(item.url)
            if key in self._claimed:
                continue
            fetched_at = self.known.article_fetched_at.get(key)
            stored = fetched_at is not None or key in self.known.canonical_known
            if stored and (
                source.refresh_after_h is None
                or fetched_at is None
                or now - _aware(fetched_at) < timedelta(hours=source.refresh_after_h)
            ):
                known += 1
                continue
            self._claimed.add(key)
            due.append(item)
        return due, known

    async def _discover(self, source: RemoteSource, fetcher: Fetcher,
                        found_private: bool) -> list[SourceItem]:
        if source.kind == "urls":
            return [SourceItem(source=source.name, url=url) for url in source.urls]
        assert source.url is not None
        if source.kind == "feed":
            body = await self._index(source.url, source, "feed", fetcher, True)
            return parse_feed(body, source.url, source.name) if body is not None else []
        if source.kind == "links":
            body = await self._index(source.url, source, "links", fetcher, True)
            if body is None:
                return []
            return parse_links(body, source.url, source.name, source.include)
        if source.kind == "site":
            return await self._site(source, fetcher, found_private)
        return await self._sitemaps(source, fetcher, found_private)

    async def _site(self, source: RemoteSource, fetcher: Fetcher,
                    found_private: bool) -> list[SourceItem]:
        assert source.url is not None

        async def index(url: str, kind: str, allow: bool) -> bytes | None:
            return await self._index(url, source, kind, fetcher, allow or found_private)

        async def sitemaps(urls: list[str]) -> list[SourceItem]:
            return await self._sitemaps(source, fetcher, found_private, urls)

        async def note(message: str) -> None:
            await self._emit(SourceNote(source.name, problem=message))

        walk = SiteWalk(source.name, source.url, index, sitemaps, note,
                        found_private=found_private)
        home = await index(source.url, "site", True)  # the fetcher reads robots.txt first
        walk.robots = self._robots.get(robots_txt_url(source.url))
        if home is None:
            return []
        follow = Follow(**source.follow) if source.follow is not None else None
        return await walk.items(follow, home)

    async def _sitemaps(self, source: RemoteSource, fetcher: Fetcher, found_private: bool,
                        start: list[str] | None = None) -> list[SourceItem]:
        assert source.url is not None
        queue_: list[str] = list(start or [source.url])
        seen: set[str] = set()
        items: list[SourceItem] = []
        while queue_ and len(seen) < MAX_SITEMAPS_PER_SOURCE:
            url = queue_.pop(0)
            if url in seen:
                continue
            seen.add(url)
            body = await self._index(url, source, "sitemap", fetcher,
                                     url == source.url or found_private or start is not None)
            if body is None:
                continue
            try:  # a 50,000-URL sitemap takes seconds: parsed off the event loop
                found, children = await asyncio.to_thread(parse_sitemap, body, url, source.name)
            except DiscoveryError as exc:
                await self._emit(SourceNote(source.name, problem=str(exc)))
                continue
            items.extend(found)
            queue_.extend(children)
        if queue_:
            await self._emit(SourceNote(source.name, problem=(
                f"sitemap index names more than {MAX_SITEMAPS_PER_SOURCE} sitemaps; "
                f"{len(set(queue_) - seen)} not read this run")))
        return items

    async def _index(self, url: str, source: RemoteSource, kind: str, fetcher: Fetcher,
                     allow_private: bool) -> bytes | None:
        """Fetch a feed/sitemap/section page conditionally; on 304, read the stored copy."""
        stored = self.known.index_captures.get(url)
        validators = (Validators(etag=stored.etag, last_modified=stored.last_modified)
                      if stored else None)
        result = await fetcher.fetch(url, source=source.name, policy=source.policy,
                                     validators=validators, allow_private=allow_private)
        if result.status == 304 and stored is not None:
            await self._emit(Fetched(source.name, kind, fetch=result))
            try:
                record = read_record(str(self.captures_dir / stored.warc_file), stored.offset,
                                     stored.length)
            except CaptureError as exc:
                await self._emit(SourceNote(source.name, problem=f"{url}: stored copy: {exc}"))
                return None
            self._revisit(result, kind, record.warc_headers)
            return record.body
        capture = self._store(result, kind)
        await self._emit(Fetched(source.name, kind, capture=capture, fetch=result))
        return result.body if result.ok else None

    async def _article(self, item: SourceItem, source: RemoteSource, fetcher: Fetcher,
                       allow_private: bool) -> None:
        try:
            previous = self.known.article_captures.get(canonicalize_url(item.url))
            validators = None
            if previous is not None and (previous.etag or previous.last_modified):
                validators = Validators(etag=previous.etag, last_modified=previous.last_modified)
            result = await fetcher.fetch(item.url, source=item.source, policy=source.policy,
                                         validators=validators, allow_private=allow_private)
            if result.status == 304 and previous is not None:
                self._revisit(result, "article", self._stored_headers(previous))
                capture = None
            else:
                capture = self._store(result, "article")
        except _Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - one page never costs more than itself
            log.warning("fetch of %s failed", item.url, exc_info=True)
            await self._emit(SourceNote(item.source, failed=1,
                                        problem=f"{item.url}: {type(exc).__name__}: {exc}"))
            return
        # Non-2xx pages are logged in `fetches` (and stored); 2xx ones of any type go to the
        # extraction stage, whose gate records what is not a page (unsupported-content-type).
        await self._emit(Fetched(item.source, "article", capture=capture, fetch=result,
                                 extract=capture is not None and result.ok))

    def _store(self, result: FetchResult, kind: str) -> Capture | None:
        """Every complete HTTP response becomes a capture (404s too). A fetch that failed (no
        response, or one cut short: too-large, decode errors ...) has no trustworthy body to
        index, but its exchanges are archived all the same."""
        if self.warc is None:
            return None
        if result.status is None or result.status == 304 or result.error:
            self.warc.write_attempts(result, kind)
            return None
        return self.warc.write_response(result, kind=kind)

    def _revisit(self, result: FetchResult, kind: str, stored: list[tuple[str, str]]) -> None:
        """A 304 is archived as a revisit of the stored response it confirms."""
        if self.warc is not None:
            self.warc.write_revisit(result, kind, dict(stored))

    def _stored_headers(self, stored: IndexCapture) -> list[tuple[str, str]]:
        try:
            return read_record(str(self.captures_dir / stored.warc_file), stored.offset,
                               stored.length, max_body_bytes=0).warc_headers
        except CaptureError:
            return []


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_since(value: str | None) -> datetime | None:
    return _aware(datetime.fromisoformat(value)) if value else None



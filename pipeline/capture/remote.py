"""Remote sources: discover URLs (feeds, sitemaps, section pages, URL lists), fetch, capture.

Index documents (feeds, sitemaps, section pages) are fetched every run with conditional
headers; on 304 their last stored capture is parsed again, so a run that was killed after the
feed but before its articles still finds them. Articles already captured are skipped unless
`refresh_after_h` says they are due.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pipeline.capture.warc import WarcWriter, read_record
from pipeline.config import Config, SourceSpec
from pipeline.capture.discover import DiscoveryError, filter_items, parse_feed, parse_links, parse_sitemap
from pipeline.capture.fetch import Fetcher, FetchPolicy, Validators
from pipeline.capture.fetch.policy import EXTRACTABLE_TYPES
from pipeline.models import Capture, FetchResult, SourceItem
from pipeline.runs.sink import Sink
from pipeline.stages.extract import media_type
from pipeline.store.state import KnownState
from pipeline.urls import canonicalize_url

log = logging.getLogger(__name__)

MAX_SITEMAPS_PER_SOURCE = 200


class RemoteCollector:
    """Runs the discovery and article fetches of every remote source, concurrently."""

    def __init__(self, config: Config, warc: WarcWriter, sink: Sink, known: KnownState,
                 fetcher: Fetcher) -> None:
        self.config = config
        self.warc = warc
        self.sink = sink
        self.known = known
        self.fetcher = fetcher
        self._claimed: set[str] = set()  # canonical URLs taken by a source in this run
        sink.auto_flush = False

    async def _flush_if_due(self) -> None:
        """Extraction and loading run in a thread so fetches keep flowing meanwhile."""
        if self.sink.flush_due():
            await asyncio.to_thread(self.sink.flush)

    async def collect(self, specs: list[SourceSpec]) -> None:
        await asyncio.gather(*(self._collect_source(spec) for spec in specs))

    async def _collect_source(self, spec: SourceSpec) -> None:
        settings = self.config.settings_for(spec)
        policy = settings.policy()
        try:
            items = await self._discover(spec, policy)
        except DiscoveryError as exc:
            self.sink.problem(spec.name, str(exc))
            return
        since = _parse_since(spec.since)
        items = filter_items(items, spec.include, spec.exclude, None, since)
        due = self._due(items, spec, settings.refresh_after_h)
        if spec.max_items:
            due = due[: spec.max_items]
        self.sink.tally(spec.name).discovered += len(items)
        await asyncio.gather(*(self._fetch_article(item, policy) for item in due))

    def _due(self, items: list[SourceItem], spec: SourceSpec, refresh_after_h: float | None) -> list[SourceItem]:
        tally = self.sink.tally(spec.name)
        now = datetime.now(UTC)
        due = []
        for item in items:
            key = canonicalize_url(item.url)
            if key in self._claimed:
                continue
            fetched_at = self.known.article_fetched_at.get(key)
            known = fetched_at is not None or key in self.known.canonical_known
            if known and (
                refresh_after_h is None
                or fetched_at is None
                or now - _aware(fetched_at) < timedelta(hours=refresh_after_h)
            ):
                tally.skipped_known += 1
                continue
            self._claimed.add(key)
            due.append(item)
        return due

    async def _discover(self, spec: SourceSpec, policy: FetchPolicy) -> list[SourceItem]:
        if spec.urls is not None:
            return [SourceItem(source=spec.name, url=url) for url in spec.urls]
        if spec.feed is not None:
            body = await self._fetch_index(spec.feed, spec.name, "feed", policy)
            return parse_feed(body, spec.feed, spec.name) if body is not None else []
        if spec.links is not None:
            body = await self._fetch_index(spec.links, spec.name, "links", policy)
            return parse_links(body, spec.links, spec.name, spec.include) if body is not None else []
        assert spec.sitemap is not None
        return await self._discover_sitemaps(spec, policy)

    async def _discover_sitemaps(self, spec: SourceSpec, policy: FetchPolicy) -> list[SourceItem]:
        queue, seen, items = [spec.sitemap], set(), []
        while queue and len(seen) < MAX_SITEMAPS_PER_SOURCE:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            body = await self._fetch_index(url, spec.name, "sitemap", policy)
            if body is None:
                continue
            try:
                found, children = parse_sitemap(body, url, spec.name)
            except DiscoveryError as exc:
                self.sink.problem(spec.name, str(exc))
                continue
            items.extend(found)
            queue.extend(children)
        return items

    async def _fetch_index(self, url: str, source: str, kind: str, policy: FetchPolicy) -> bytes | None:
        """Fetch a feed/sitemap/section page conditionally; on 304, read the stored copy."""
        stored = self.known.index_captures.get(url)
        validators = Validators(etag=stored.etag, last_modified=stored.last_modified) if stored else None
        result = await self.fetcher.fetch(url, source=source, policy=policy, validators=validators)
        if result.status == 304 and stored is not None:
            self.sink.record_fetch(result, kind, None)
            _, body, _ = read_record(self.sink.warehouse.captures_dir / stored.warc_file,
                                     stored.offset, stored.length)
            return body
        capture = self._capture(result, kind)
        self.sink.record_fetch(result, kind, capture)
        if capture is not None:
            self.sink.add_capture(capture, kind, extract=False)
        await self._flush_if_due()
        if not result.ok:
            return None
        return result.body

    async def _fetch_article(self, item: SourceItem, policy: FetchPolicy) -> None:
        validators = None
        previous = self.known.article_validators.get(canonicalize_url(item.url))
        if previous is not None and any(previous):
            validators = Validators(etag=previous[0], last_modified=previous[1])
        result = await self.fetcher.fetch(item.url, source=item.source, policy=policy,
                                          validators=validators)
        capture = self._capture(result, "article")
        self.sink.record_fetch(result, "article", capture)
        if capture is not None:
            extractable = result.ok and _is_page(result)
            self.sink.add_capture(capture, "article", extract=extractable)
            if result.ok and not extractable:
                self.sink.tally(item.source).reasons["skipped-content-type"] += 1
        await self._flush_if_due()

    def _capture(self, result: FetchResult, kind: str) -> Capture | None:
        """Every complete HTTP response is kept (404s too); 304s carry nothing new, and a response
        that failed midway (too-large, decode errors, ...) has no trustworthy body to keep."""
        if result.status is None or result.status == 304 or result.error is not None:
            return None
        return self.warc.write_response(result, kind=kind)


def _is_page(result: FetchResult) -> bool:
    mtype = media_type(result.header("content-type") or "")
    return not mtype or mtype in EXTRACTABLE_TYPES


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    return _aware(datetime.fromisoformat(value))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

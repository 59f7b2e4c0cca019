"""A `site:` source: from a homepage to the site's feeds and sitemaps, and (with `follow:`) to the
article links of its section pages. Every page read on the way is fetched politely and recorded
by the caller's `index` function (captures and fetches of kind site, feed, sitemap, links).

Order: the feeds the homepage declares and the sitemaps its robots.txt names; only when there
are none, the usual paths (/feed, /rss.xml, /sitemap.xml, ...), until one of each kind answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pipeline.capture.discover import (
    DiscoveryError,
    article_links,
    candidate_urls,
    find_feeds,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    section_links,
)
from pipeline.models import SourceItem
from pipeline.urls import canonicalize_url

# (url, kind, allow_private) -> the body of a 2xx answer (or of the stored copy on 304), or None
Index = Callable[[str, str, bool], Awaitable[bytes | None]]
Sitemaps = Callable[[list[str]], Awaitable[list[SourceItem]]]
Note = Callable[[str], Awaitable[None]]

MAX_FEEDS = 5  # feeds read per site per run (news sites declare one per section)


@dataclass(slots=True, frozen=True)
class Follow:
    depth: int = 1
    same_site: bool = True
    max_pages: int = 30


@dataclass(slots=True)
class SiteWalk:
    """One site's discovery, for one run."""

    source: str
    home: str
    index: Index
    sitemaps: Sitemaps
    note: Note
    robots: bytes | None = None  # the site's robots.txt, when the fetcher read it
    found_private: bool = False  # URLs found on the site may be private (the site itself is)

    async def items(self, follow: Follow | None, body: bytes) -> list[SourceItem]:
        """The site's items, from its homepage's `body` (already fetched)."""
        feeds, maps = self._declared(body)
        if not feeds and not maps:
            feeds, maps = await self._probe()
        if not feeds and not maps and follow is None:
            await self.note(f"site {self.home}: no feed or sitemap found (declared or at the "
                            "usual paths); add `follow:` to take the homepage's article links")
        found: list[SourceItem] = []
        for feed in feeds[:MAX_FEEDS]:
            found += await self._feed(feed)
        if maps:
            found += await self.sitemaps(maps)
        if follow is not None:
            found += await self._follow(body, follow)
        return _unique(found)

    def _declared(self, body: bytes) -> tuple[list[str], list[str]]:
        try:
            feeds = find_feeds(body, self.home)
            maps = robots_sitemaps(self.robots, self.home) if self.robots else []
        except DiscoveryError:
            return [], []
        return feeds, maps

    async def _probe(self) -> tuple[list[str], list[str]]:
        """The usual paths, on the homepage's own host (so they may be wherever it is)."""
        feeds: list[str] = []
        maps: list[str] = []
        for kind, url in candidate_urls(self.home):
            if (kind == "feed" and feeds) or (kind == "sitemap" and maps):
                continue
            body = await self.index(url, kind, True)
            if body is None:
                continue
            try:
                parse_feed(body, url, self.source) if kind == "feed" else parse_sitemap(
                    body, url, self.source)
            except DiscoveryError:
                continue
            (feeds if kind == "feed" else maps).append(url)
        return feeds, maps

    async def _feed(self, url: str) -> list[SourceItem]:
        body = await self.index(url, "feed", self.found_private)
        if body is None:
            return []
        try:
            return parse_feed(body, url, self.source)
        except DiscoveryError as exc:
            await self.note(str(exc))
            return []

    async def _follow(self, home: bytes, follow: Follow) -> list[SourceItem]:
        found = article_links(home, self.home, follow.same_site, source=self.source)
        frontier, seen, budget = [(self.home, home)], {canonicalize_url(self.home)}, follow.max_pages
        for _level in range(1, follow.depth):
            sections = [u for url, body in frontier for u in section_links(body, url)
                        if canonicalize_url(u) not in seen]
            frontier = []
            for url in sections[:budget]:
                seen.add(canonicalize_url(url))
                page = await self.index(url, "links", self.found_private)
                if page is not None:
                    frontier.append((url, page))
                    found += article_links(page, url, follow.same_site, source=self.source)
            budget -= min(len(sections), budget)
            if budget <= 0:
                await self.note(f"site {self.home}: follow stopped after max_pages={follow.max_pages}")
                break
        return found


def _unique(items: list[SourceItem]) -> list[SourceItem]:
    out: dict[str, SourceItem] = {}
    for item in items:
        out.setdefault(canonicalize_url(item.url), item)
    return list(out.values())

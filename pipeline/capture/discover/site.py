"""Discovery from a homepage: its feeds, the usual feed/sitemap paths, robots.txt Sitemap: lines."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from pipeline.capture.discover.common import http_url
from pipeline.capture.discover.html import LinkTag, page_links
from pipeline.errors import DiscoveryError
from pipeline.urls import canonicalize_url, registered_domain

__all__ = [
    "COMMON_FEED_PATHS",
    "COMMON_SITEMAP_PATHS",
    "FEED_TYPES",
    "ROBOTS_MAX_BYTES",
    "CandidateKind",
    "candidate_urls",
    "find_feeds",
    "robots_sitemaps",
    "robots_txt_url",
]

CandidateKind = Literal["feed", "sitemap"]

# Where sites usually put their feeds (WordPress, Ghost, Hugo, Jekyll, Pelican, news CMSs) ...
COMMON_FEED_PATHS = (
    "/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feeds/all.atom.xml",
    "/feed.json",
)
# ... and their sitemaps (the protocol's default, Yoast, WordPress core, Google News plugins).
COMMON_SITEMAP_PATHS = (
    "/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml",
    "/sitemap_news.xml", "/wp-sitemap.xml",
)
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
# RFC 9309: crawlers parse at least the first 500 KiB of a robots.txt and may stop there.
ROBOTS_MAX_BYTES = 500 * 1024

_FEED_PATH_ENDINGS = ("/rss", "/feed", "/rss/", "/feed/", ".rss", ".atom")
_FEED_WORDS = ("rss", "feed", "atom")


def find_feeds(html: bytes | str, base_url: str) -> list[str]:
    """The article feeds a page declares: `<link rel="alternate">` of an RSS, Atom or JSON Feed
    type (any host: feeds are often served elsewhere), then `<a>` links on the page's own site
    that clearly are feeds (a path ending in /rss, /feed, .rss or .atom, or .xml with "rss",
    "feed" or "atom" in it). Resolved, deduplicated by canonical URL, in page order. Comment
    feeds (WordPress's /comments/feed/, per-post feeds titled "Comments") are left out."""
    page = page_links(html, base_url)
    declared = [tag.href for tag in page.links if _is_feed_link(tag)]
    site = registered_domain(base_url)
    found: dict[str, str] = {}
    for href, anywhere in [(h, True) for h in declared] + [(h, False) for h in page.anchors]:
        url = http_url(href, page.base_url)
        if url is None or _is_comment_feed(url):
            continue
        if not anywhere and (registered_domain(url) != site or not _looks_like_feed(url)):
            continue
        found.setdefault(canonicalize_url(url), url)
    return list(found.values())


def _is_feed_link(tag: LinkTag) -> bool:
    return "alternate" in tag.rel and tag.type in FEED_TYPES and "comment" not in tag.title.lower()


def _is_comment_feed(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "/comments/feed" in path or path.rstrip("/").endswith("/comments")


def _looks_like_feed(url: str) -> bool:
    path = urlsplit(url).path.lower()
    if path.endswith(_FEED_PATH_ENDINGS):
        return True
    return path.endswith(".xml") and any(word in path for word in _FEED_WORDS)


def candidate_urls(homepage_url: str) -> list[tuple[CandidateKind, str]]:
    """The usual feed and sitemap locations of a site, to try when its homepage and robots.txt
    name none: COMMON_FEED_PATHS then COMMON_SITEMAP_PATHS at the site's root, preceded by the
    same paths under the homepage's own directory when it is not the root (a blog in /blog/)."""
    origin, directory = _origin(homepage_url)
    prefixes = [directory, ""] if directory else [""]
    groups: tuple[tuple[CandidateKind, tuple[str, ...]], ...] = (
        ("feed", COMMON_FEED_PATHS),
        ("sitemap", COMMON_SITEMAP_PATHS),
    )
    seen: dict[str, CandidateKind] = {}
    for kind, paths in groups:
        for prefix in prefixes:
            for path in paths:
                seen.setdefault(origin + prefix + path, kind)
    return [(kind, url) for url, kind in seen.items()]


def _origin(url: str) -> tuple[str, str]:
    """("https://host[:port]", "/dir" or "") of an http(s) URL; DiscoveryError otherwise."""
    checked = http_url(url, url)
    if checked is None:
        raise DiscoveryError(f"site {url!r}: not an absolute http(s) URL")
    parts = urlsplit(checked)
    origin = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))
    directory = parts.path.rsplit("/", 1)[0] if not parts.path.endswith("/") else parts.path
    return origin, directory.rstrip("/")


def robots_txt_url(url: str) -> str:
    """The robots.txt that governs `url` (its origin's /robots.txt)."""
    return _origin(url)[0] + "/robots.txt"


def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt (by protego), resolved against `base_url`,
    deduplicated, in file order. Only the first ROBOTS_MAX_BYTES are read, as RFC 9309 allows."""
    text = robots_txt[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    try:
        declared = list(Protego.parse(text).sitemaps)
    except Exception as exc:  # noqa: BLE001 - third-party parser on hostile bytes: translate
        raise DiscoveryError(f"robots.txt {base_url}: unreadable: {type(exc).__name__}") from exc
    found: dict[str, str] = {}
    for href in declared:
        url = http_url(href, base_url)
        if url is not None:
            found.setdefault(canonicalize_url(url), url)
    return list(found.values())

"""Discovery: feeds, sitemaps, section pages and homepages -> SourceItems (pure: bytes in, no I/O).

One module per job: feeds (RSS/Atom/RDF, JSON Feed), sitemaps (ultimate-sitemap-parser),
links (article links of a page), site (a homepage's feeds, common paths, robots.txt sitemaps),
filters (include/exclude/since/max), dates (bounded UTC dates). Every parser returns items or
raises DiscoveryError naming the URL and the reason; nothing else escapes on hostile input.
"""

from pipeline.capture.discover.common import MAX_DOCUMENT_BYTES, MAX_URL_CHARS, SITEMAP_MAX_BYTES
from pipeline.capture.discover.feeds import MAX_JSON_DEPTH, parse_feed
from pipeline.capture.discover.filters import filter_items
from pipeline.capture.discover.links import (
    article_links,
    looks_like_article,
    parse_links,
    section_links,
)
from pipeline.capture.discover.site import (
    COMMON_FEED_PATHS,
    COMMON_SITEMAP_PATHS,
    CandidateKind,
    candidate_urls,
    find_feeds,
    robots_sitemaps,
    robots_txt_url,
)
from pipeline.capture.discover.sitemaps import parse_sitemap
from pipeline.errors import DiscoveryError
from pipeline.urls import canonicalize_url

__all__ = [
    "COMMON_FEED_PATHS",
    "COMMON_SITEMAP_PATHS",
    "MAX_DOCUMENT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_URL_CHARS",
    "SITEMAP_MAX_BYTES",
    "CandidateKind",
    "DiscoveryError",
    "article_links",
    "candidate_urls",
    "canonicalize_url",
    "filter_items",
    "find_feeds",
    "looks_like_article",
    "section_links",
    "parse_feed",
    "parse_links",
    "parse_sitemap",
    "robots_sitemaps",
    "robots_txt_url",
]

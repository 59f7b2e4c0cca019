"""Section pages -> the links that look like articles (same site, deduplicated, page order)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from pipeline.capture.discover.common import http_url
from pipeline.capture.discover.html import page_links
from pipeline.errors import DiscoveryError
from pipeline.models import SourceItem
from pipeline.urls import canonicalize_url, registered_domain

__all__ = ["article_links", "looks_like_article", "parse_links", "section_links"]

# Path segments of site furniture: listings, people, accounts, feeds, media hubs, pagination.
_FURNITURE = frozenset({
    "tag", "tags", "topic", "topics", "category", "categories", "section", "sections", "author",
    "authors", "about", "contact", "login", "signin", "signup", "register", "subscribe",
    "newsletter", "newsletters", "search", "privacy", "terms", "cookie", "cookies", "account",
    "profile", "user", "users", "feed", "feeds", "rss", "video", "videos", "podcast", "podcasts",
    "live", "page", "comments", "wp-admin", "wp-login.php", "wp-json", "cdn-cgi",
})
_LISTING_QUERY = frozenset({"page", "s", "q", "search", "replytocom", "share", "filter"})
_ASSET = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|pdf|zip|gz|mp3|mp4|m4a|webm|css|js|json|xml|rss|txt)$",
    re.IGNORECASE,
)
_DATED = re.compile(
    r"/(19|20)\d\d/(0?[1-9]|1[0-2]|[a-z]{3})/"  # /2024/05/ or /2024/may/
    r"|/(19|20)\d\d-\d\d-\d\d/|/(19|20)\d\d(0[1-9]|1[0-2])\d\d/",  # /2024-05-01/, /20240501/
    re.IGNORECASE,
)
_NUMERIC_ID = re.compile(r"\d{5,}")
_ID_QUERY = frozenset({"p", "id", "story", "article", "articleid", "story_id"})
_PAGE_SUFFIX = (".html", ".htm", ".shtml")


def looks_like_article(url: str) -> bool:
    """Whether a URL looks like one article rather than site furniture: a dated path with a
    slug after the date (/2024/05/01/big-story, /2024/may/01/big-story), a slug of three or
    more words, a numeric id of five or more digits (article-123456.html, ?p=123), or a
    *.html page; never a tag/category/author/login/search/pagination/feed page or an asset."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.lower().split("/") if s]
    if _FURNITURE.intersection(segments) or _ASSET.search(parts.path):
        return False
    query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    if _LISTING_QUERY.intersection(query):
        return False
    if any(query.get(key, "").isdigit() for key in _ID_QUERY):
        return True
    if not segments:
        return False
    last = segments[-1]
    if last.isdigit() and len(last) < 5:  # /2024/05/: a date archive, or a page number
        return False
    if _DATED.search(parts.path + "/"):
        return True
    name = last.rsplit(".", 1)[0] if last.endswith(_PAGE_SUFFIX) else last
    return (
        name.count("-") >= 2
        or bool(_NUMERIC_ID.search(last))
        or (last.endswith(_PAGE_SUFFIX) and name not in ("index", "default"))
    )


def article_links(
    html: bytes | str,
    base_url: str,
    same_site: bool = True,
    *,
    source: str = "",
    include: str | None = None,
) -> list[SourceItem]:
    """The article links of a page, for `links:` sources and `follow:`: resolved (against
    <base href> when there is one), deduplicated by canonical URL, in page order, never the page
    itself; on the page's registered site when `same_site`. With `include` (a regex searched in
    the absolute URL) exactly the matching links are kept; without it, looks_like_article picks.
    """
    try:
        pattern = re.compile(include) if include else None
    except re.error as exc:
        raise DiscoveryError(f"links {base_url}: bad include regex {include!r}: {exc}") from exc
    page = page_links(html, base_url)
    site = registered_domain(base_url)
    seen = {canonicalize_url(base_url)}
    items: list[SourceItem] = []
    for href in page.anchors:
        url = http_url(href, page.base_url)
        if url is None or (same_site and registered_domain(url) != site):
            continue
        key = canonicalize_url(url)
        if key in seen:
            continue
        keep = pattern.search(url) is not None if pattern else looks_like_article(url)
        if keep:
            seen.add(key)
            items.append(SourceItem(source=source, url=url, kind="article"))
    return items


def parse_links(
    html: bytes | str, base_url: str, source: str, include: str | None
) -> list[SourceItem]:
    """The article links of a section page on the page's own site (see article_links)."""
    return article_links(html, base_url, True, source=source, include=include)


def section_links(html: bytes | str, base_url: str, limit: int = 50) -> list[str]:
    """Same-site links that look like section fronts (/world/, /business/tech): what `follow:`
    walks to find more articles. Not articles, not site furniture or assets, at most two path
    segments deep; deduplicated, in page order, at most `limit`."""
    page = page_links(html, base_url)
    site = registered_domain(base_url)
    seen = {canonicalize_url(base_url)}
    found: list[str] = []
    for href in page.anchors:
        url = http_url(href, page.base_url)
        if url is None or registered_domain(url) != site or looks_like_article(url):
            continue
        parts = urlsplit(url)
        segments = [s for s in parts.path.lower().split("/") if s]
        if (not segments or len(segments) > 2 or parts.query or _ASSET.search(parts.path)
                or _FURNITURE.intersection(segments)):
            continue
        key = canonicalize_url(url)
        if key not in seen:
            seen.add(key)
            found.append(url)
            if len(found) >= limit:
                break
    return found

"""Discovery: feeds, sitemaps and section pages -> SourceItems (pure parsers, no network)."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et
import feedparser
from selectolax.lexbor import LexborHTMLParser

from pipeline.errors import DiscoveryError
from pipeline.models import SourceItem
from pipeline.urls import canonicalize_url

__all__ = [
    "DiscoveryError",
    "canonicalize_url",
    "filter_items",
    "parse_feed",
    "parse_links",
    "parse_sitemap",
]

# The sitemaps protocol caps a sitemap at 50 MB uncompressed; more is hostile or broken.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_w3c_date(text: str | None) -> datetime | None:
    """W3C datetime as used by sitemaps ("2024-05-01", "2024-05-01T10:00:00Z", "+02:00")."""
    if not text:
        return None
    text = text.strip()
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text[:10]), datetime.min.time(), UTC)
    except ValueError:
        return None


def _http_url(href: str, base_url: str) -> str | None:
    """Absolute http(s) URL without fragment, or None for mailto:, javascript:, junk."""
    href = href.strip()
    if not href:
        return None
    try:
        url = urljoin(base_url, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url.split("#", 1)[0]


# -- feeds ---------------------------------------------------------------------------------


def parse_feed(body: bytes, base_url: str, source: str) -> list[SourceItem]:
    """RSS/Atom (feedparser) or JSON Feed -> article items with published dates.

    Feeds that declare XML entities are rejected; a broken feed that still yields entries is
    accepted (feedparser's lenient mode), one that yields none raises DiscoveryError.
    """
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, base_url)
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        return _parse_json_feed(stripped, base_url, source)
    if _ENTITY_DECL.search(body[:65536]):
        raise DiscoveryError(f"feed {base_url}: declares XML entities (refused: entity expansion)")
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    items: dict[str, SourceItem] = {}
    for entry in parsed.entries:
        url = _http_url(_entry_link(entry), base_url)
        if url is None or url in items:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*when[:6], tzinfo=UTC) if when else None
        items[url] = SourceItem(source=source, url=url, kind="article", published=published)
    if not items and parsed.get("bozo"):
        raise DiscoveryError(
            f"feed {base_url}: not a readable feed: {parsed.get('bozo_exception')}"
        )
    if not items and not parsed.get("version"):
        raise DiscoveryError(f"feed {base_url}: not an RSS/Atom feed")
    return list(items.values())


def _entry_link(entry: feedparser.FeedParserDict) -> str:
    link = entry.get("link") or ""
    if link:
        return link
    for candidate in entry.get("links", []):
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            return candidate["href"]
    guid = entry.get("id") or ""
    return guid if entry.get("guidislink") or guid.startswith(("http://", "https://")) else ""


def _parse_json_feed(body: bytes, base_url: str, source: str) -> list[SourceItem]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise DiscoveryError(f"feed {base_url}: broken JSON feed: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise DiscoveryError(f"feed {base_url}: JSON without an 'items' list is not a JSON Feed")
    items: dict[str, SourceItem] = {}
    for entry in doc["items"]:
        if not isinstance(entry, dict):
            continue
        url = _http_url(str(entry.get("url") or entry.get("external_url") or ""), base_url)
        if url is None or url in items:
            continue
        published = _parse_w3c_date(str(entry.get("date_published") or "") or None)
        items[url] = SourceItem(source=source, url=url, kind="article", published=published)
    return list(items.values())


# -- sitemaps ------------------------------------------------------------------------------


def _gunzip(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> bytes:
    """Decompress a gzip body under a cap (a gzipped sitemap may be a gzip bomb)."""
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = dec.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise DiscoveryError(f"{url}: corrupt gzip data: {exc}") from exc
    if len(out) > max_bytes:
        raise DiscoveryError(f"{url}: gzip data expands past {max_bytes} bytes (refused)")
    return out


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(node: Element, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(body: bytes, url: str, source: str) -> tuple[list[SourceItem], list[str]]:
    """A sitemap -> (article items, child sitemap URLs).

    urlset: items dated by news:publication_date, else lastmod. sitemapindex: child URLs.
    Gzip is recognised by its magic bytes; XML with entity declarations or DTDs is refused.
    A plain-text sitemap (one URL per line) is accepted too, as the protocol allows.
    """
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, url)
    if not body.strip():
        raise DiscoveryError(f"sitemap {url}: empty document")
    if not body.lstrip().startswith(b"<"):
        return _parse_text_sitemap(body, url, source), []
    try:
        root = safe_et.fromstring(body)
    except (defusedxml.EntitiesForbidden, defusedxml.DTDForbidden) as exc:
        raise DiscoveryError(
            f"sitemap {url}: XML declares entities/DTD (refused: possible entity-expansion bomb)"
        ) from exc
    except defusedxml.DefusedXmlException as exc:
        raise DiscoveryError(f"sitemap {url}: unsafe XML refused: {exc}") from exc
    except ParseError as exc:
        raise DiscoveryError(f"sitemap {url}: malformed XML: {exc}") from exc
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = [
            _http_url(_child_text(node, "loc") or "", url)
            for node in root
            if _local(node.tag) == "sitemap"
        ]
        return [], list(dict.fromkeys(c for c in children if c))
    if kind == "urlset":
        return _urlset_items(root, url, source), []
    if kind in ("rss", "feed", "RDF"):  # search engines accept feeds as sitemaps
        return parse_feed(body, url, source), []
    raise DiscoveryError(f"sitemap {url}: root element <{kind}> is neither urlset nor sitemapindex")


def _urlset_items(root: Element, url: str, source: str) -> list[SourceItem]:
    items: dict[str, SourceItem] = {}
    for node in root:
        if _local(node.tag) != "url":
            continue
        loc = _http_url(_child_text(node, "loc") or "", url)
        if loc is None or loc in items:
            continue
        published = _parse_w3c_date(_child_text(node, "publication_date")) or _parse_w3c_date(
            _child_text(node, "lastmod")
        )
        items[loc] = SourceItem(source=source, url=loc, kind="article", published=published)
    return list(items.values())


def _parse_text_sitemap(body: bytes, url: str, source: str) -> list[SourceItem]:
    lines = body.decode("utf-8", errors="replace").splitlines()
    urls = [_http_url(line, url) for line in lines if line.strip()]
    if not urls or None in urls:
        raise DiscoveryError(f"sitemap {url}: neither XML nor a list of URLs")
    return [SourceItem(source=source, url=u, kind="article") for u in dict.fromkeys(urls) if u]


# -- section pages -------------------------------------------------------------------------

# Paths that are site furniture, not articles, when no `include` regex says otherwise.
_NOT_ARTICLE = re.compile(
    r"/(tag|tags|topic|topics|category|categories|author|authors|about|contact|login|signin|"
    r"register|subscribe|newsletter|search|privacy|terms|cookies?|account|feed|rss|video|videos|"
    r"podcasts?|live|page)(/|$)",
    re.IGNORECASE,
)


def _looks_like_article(path: str) -> bool:
    """Heuristic for section pages without `include`: a slug or a dated/numbered path."""
    if _NOT_ARTICLE.search(path):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return (
        last.count("-") >= 2
        or bool(re.search(r"\d{4,}", path))
        or last.endswith((".html", ".htm", ".shtml"))
    )


def _same_site(host: str, base_host: str) -> bool:
    strip = lambda h: h.lower().removeprefix("www.")  # noqa: E731
    return strip(host) == strip(base_host) or host.lower().endswith("." + strip(base_host))


def parse_links(
    html: bytes | str, base_url: str, source: str, include: str | None
) -> list[SourceItem]:
    """The article links of a section page: same site, deduplicated by canonical URL, in page
    order. With `include` (a regex searched in the absolute URL) only matching links are kept;
    without it, a slug/date heuristic picks article-like paths."""
    try:
        pattern = re.compile(include) if include else None
    except re.error as exc:
        raise DiscoveryError(f"links {base_url}: bad include regex {include!r}: {exc}") from exc
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    tree = LexborHTMLParser(text)
    base = base_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = urljoin(base_url, base_node.attributes.get("href") or "")
    base_host = urlsplit(base_url).hostname or ""
    page = canonicalize_url(base_url)
    items: dict[str, SourceItem] = {}
    for node in tree.css("a[href]"):
        url = _http_url(node.attributes.get("href") or "", base)
        if url is None:
            continue
        parts = urlsplit(url)
        if not _same_site(parts.hostname or "", base_host):
            continue
        key = canonicalize_url(url)
        if key == page or key in items:
            continue
        if pattern is not None:
            if not pattern.search(url):
                continue
        elif not _looks_like_article(parts.path):
            continue
        items[key] = SourceItem(source=source, url=url, kind="article")
    return list(items.values())


# -- filtering -----------------------------------------------------------------------------


def filter_items(
    items: Iterable[SourceItem],
    include: str | None = None,
    exclude: str | None = None,
    max_items: int | None = None,
    since: datetime | date | None = None,
) -> list[SourceItem]:
    """Keep items whose URL matches `include` and not `exclude` (regexes, searched), published
    at or after `since` (undated items are kept), at most `max_items`, in their given order."""
    try:
        keep = re.compile(include) if include else None
        drop = re.compile(exclude) if exclude else None
    except re.error as exc:
        raise DiscoveryError(f"bad include/exclude regex: {exc}") from exc
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, datetime.min.time(), UTC)
    cutoff = _utc(since) if since is not None else None
    out: list[SourceItem] = []
    for item in items:
        if keep is not None and not keep.search(item.url):
            continue
        if drop is not None and drop.search(item.url):
            continue
        if cutoff is not None and item.published is not None and _utc(item.published) < cutoff:
            continue
        out.append(item)
        if max_items is not None and len(out) >= max_items:
            break
    return out

"""Sitemaps -> article items and child sitemaps, parsed by ultimate-sitemap-parser (no I/O)."""

from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from collections.abc import Iterator
from datetime import datetime

from usp.objects.page import SitemapPage
from usp.objects.sitemap import AbstractIndexSitemap, AbstractSitemap, InvalidSitemap
from usp.tree import sitemap_from_str

from pipeline.capture.discover.common import (
    SITEMAP_MAX_BYTES,
    http_url,
    refuse_entities,
    unique_items,
    unpack,
)
from pipeline.capture.discover.dates import parse_w3c_date, to_utc
from pipeline.capture.discover.feeds import parse_feed
from pipeline.errors import DiscoveryError
from pipeline.models import SourceItem
from pipeline.urls import canonicalize_url

__all__ = ["SITEMAP_MAX_BYTES", "parse_sitemap"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""")
# Only text codecs that decode in linear time (not idna, punycode, *_escape).
_SAFE_CODECS = ("utf", "iso8859", "cp", "koi8", "gb", "big5", "shift_jis", "euc", "iso2022",
                "ascii", "latin", "mac", "hz", "johab", "tis")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ROOT = re.compile(r"<([A-Za-z_][^\s/>]*)")
_HTTP = ("http://", "https://")
# Feeds given as sitemaps go to feedparser, not usp, which takes an Atom entry's rel="self"
# link over rel="alternate", reads an RSS pubDate of year 0 as 2000 and has no RSS 1.0 (RDF).
# (An RSS 0.91 DOCTYPE is allowed there; entity declarations are refused either way.)
_FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
# usp parses dates with dateutil, which raises OverflowError (not ValueError) on a 20-digit
# <lastmod> and takes the whole sitemap down; such a sitemap is re-read without its dates.
_DATE_ELEMENTS = re.compile(
    r"<((?:[\w.-]+:)?(?:lastmod|publication_date))\b[^>]*>[^<]*</\1\s*>", re.IGNORECASE
)


def parse_sitemap(body: bytes, url: str, source: str) -> tuple[list[SourceItem], list[str]]:
    """A sitemap -> (article items, child sitemap URLs). Pure: the children are listed, never
    fetched.

    XML urlset (with news and image extensions: the page is <loc>, never <image:loc>; dated by
    news:publication_date, else lastmod), sitemapindex (its child URLs), RSS/Atom/RDF (by
    parse_feed), and plain text (one URL per line; other lines such as "# comments" skipped).
    Gzip is recognised by its magic bytes and refused past SITEMAP_MAX_BYTES uncompressed, as
    is a larger plain body. A byte-order mark or the XML declaration picks the encoding. XML
    that declares entities or a DTD is refused. The sitemap's own URL is never an item.
    """
    what = f"sitemap {url}"
    body = unpack(body, what, SITEMAP_MAX_BYTES)
    text = _decode(body).lstrip()
    if not text:
        raise DiscoveryError(f"{what}: empty document")
    if not text.startswith("<"):
        return _text_sitemap(text, url, source), []
    root = _root_name(text)
    if root in _FEED_ROOTS:  # search engines accept feeds as sitemaps
        return parse_feed(body, url, source), []
    refuse_entities(text, what, doctype=True)
    parsed = _usp(text, what)
    if isinstance(parsed, InvalidSitemap):
        raise DiscoveryError(f"{what}: root element <{root}> is neither urlset nor sitemapindex")
    if isinstance(parsed, AbstractIndexSitemap):
        return [], _children(parsed, url)
    pages = parsed.pages
    if not pages:
        _require_well_formed(text, what)
    untitled = "publication_date" in text and any(p.news_story is None for p in pages)
    news_dates = _publication_dates(text) if untitled else {}
    return unique_items(source, _dated(pages, news_dates), url, skip=url), []


def _decode(body: bytes) -> str:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace")
    declared = _XML_ENCODING.match(body)
    codec = "utf-8"
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            name = "utf-8"
        codec = name if name.startswith(_SAFE_CODECS) else "utf-8"
    return body.decode(codec, "replace")


def _root_name(text: str) -> str:
    head = _COMMENT.sub("", text[:65536])
    found = _ROOT.search(head)
    return found.group(1).rsplit(":", 1)[-1] if found else ""


def _usp(text: str, what: str) -> AbstractSitemap:
    """usp's local parser: a dummy web client that refuses every request, so child sitemaps
    come back as InvalidSitemap placeholders holding their URLs."""
    try:
        return sitemap_from_str(text)
    except Exception as first:  # noqa: BLE001 - third-party parser on hostile bytes: translate
        undated = _DATE_ELEMENTS.sub("", text)
        if undated != text:
            try:
                return sitemap_from_str(undated)
            except Exception:  # noqa: BLE001, S110 - the first error is the one reported
                pass
        raise DiscoveryError(
            f"{what}: sitemap parser failed: {type(first).__name__}: {first}"
        ) from first


def _children(index: AbstractIndexSitemap, url: str) -> list[str]:
    own = canonicalize_url(url)
    children = (http_url(child.url, url) for child in index.sub_sitemaps)
    return list(dict.fromkeys(c for c in children if c and canonicalize_url(c) != own))


def _dated(
    pages: list[SitemapPage], news_dates: dict[str, str]
) -> Iterator[tuple[str, datetime | None]]:
    for page in pages:
        story = page.news_story
        published = to_utc(story.publish_date) if story and story.publish_date else None
        if published is None and page.url in news_dates:
            published = parse_w3c_date(news_dates[page.url])
        yield page.url, published or to_utc(page.last_modified)


class _NewsDates:
    """loc -> news:publication_date of each <url>, for the entries usp keeps undated: it makes
    a news story only when <news:title> is there too, and the date feeds `since:`."""

    def __init__(self) -> None:
        self.dates: dict[str, str] = {}
        self.loc = self.date = self.chars = ""

    def start(self, name: str, _attrs: object) -> None:
        self.chars = ""
        if name.rsplit(" ", 1)[-1] == "url":
            self.loc = self.date = ""

    def end(self, name: str) -> None:
        namespace, _, local = name.rpartition(" ")
        if (local == "loc" and "/sitemap/" in namespace) or name == "loc":
            self.loc = self.chars.strip()
        elif local == "publication_date" and "/sitemap-news/" in namespace:
            self.date = self.chars.strip()
        elif local == "url" and self.loc and self.date:
            self.dates.setdefault(self.loc, self.date)
        self.chars = ""

    def text(self, data: str) -> None:
        self.chars += data


def _publication_dates(text: str) -> dict[str, str]:
    found = _NewsDates()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = found.start
    parser.EndElementHandler = found.end
    parser.CharacterDataHandler = found.text
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError:  # keep what was read, as usp does
        pass
    return found.dates


def _require_well_formed(text: str, what: str) -> None:
    """usp keeps what it read before an XML error (a truncated sitemap still gives its first
    URLs); when it read nothing, say whether the document was empty or broken."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        raise DiscoveryError(f"{what}: malformed XML: {exc}") from exc


def _text_sitemap(text: str, url: str, source: str) -> list[SourceItem]:
    """One absolute http(s) URL per line, as the protocol allows. Split here rather than by
    usp, which logs one WARNING per non-URL line (a million for a 50 MB junk file)."""
    lines = (line.strip() for line in text.splitlines())
    found = [(line, None) for line in lines if line[:8].lower().startswith(_HTTP)]
    items = unique_items(source, found, url, skip=url)
    if not items:
        raise DiscoveryError(f"sitemap {url}: neither XML nor a list of URLs")
    return items

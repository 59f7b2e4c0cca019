"""Page metadata from HTML: JSON-LD, OpenGraph and meta tags, <title>, canonical link, <html lang>."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

_ARTICLE_TYPES = re.compile(r"article|posting|report|blog|news", re.IGNORECASE)
_DATE_KEYS = (
    "article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "parsely-pub-date",
    "og:published_time",
    "article.published",
)
_TITLE_SPLIT = re.compile(r"\s+[|–—·•:-]\s+")


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    published: date | datetime | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    article_body: str | None = None  # JSON-LD articleBody/text: a candidate for the body
    types: tuple[str, ...] = ()  # JSON-LD @type values and og:type, for the page type


def parse_date(value: str | None) -> date | datetime | None:
    """An ISO-ish date or datetime string (as JSON-LD and article:published_time give them)."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _names(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _json_ld_items(tree) -> list[dict]:
    items: list[dict] = []
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(items) < 50:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                items.append(item)
    return items


def _clean(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _clean_body(value) -> str | None:
    """A JSON-LD articleBody with its paragraph breaks kept."""
    if not isinstance(value, str):
        return None
    lines = (" ".join(line.split()) for line in value.replace("\r", "\n").split("\n"))
    text = "\n".join(line for line in lines if line)
    return text if len(text) >= 200 else None


def html_metadata(tree, url: str | None = None) -> Metadata:
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (
            (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "")
            .strip()
            .lower()
        )
        content = attrs.get("content")
        if key and content and key not in meta:
            meta[key] = content
    md = Metadata()
    types: list[str] = []
    for item in _json_ld_items(tree):
        kind = item.get("@type")
        kind = " ".join(str(k) for k in kind) if isinstance(kind, list) else str(kind or "")
        types.append(kind)
        body = _clean_body(item.get("articleBody"))
        if body and len(body) > len(md.article_body or ""):
            md.article_body = body
        if _ARTICLE_TYPES.search(kind):
            md.title = md.title or _clean(item.get("headline"))
            authors = [a for a in (_clean(n) for n in _names(item.get("author"))) if a]
            md.author = md.author or (", ".join(dict.fromkeys(authors)) if authors else None)
            md.published = md.published or parse_date(_clean(item.get("datePublished")))
            md.description = md.description or _clean(item.get("description"))
            publisher = _names(item.get("publisher"))
            md.site_name = md.site_name or (_clean(publisher[0]) if publisher else None)
        elif kind in ("WebSite", "Organization", "NewsMediaOrganization"):
            md.site_name = md.site_name or _clean(item.get("name"))
    title_tag = tree.css_first("title")
    title = md.title or _clean(meta.get("og:title")) or _clean(meta.get("twitter:title"))
    if not title and title_tag is not None:
        title = _clean(title_tag.text())
        if title:
            title = _TITLE_SPLIT.split(title)[0]
    if not title:
        h1 = tree.css_first("h1")
        title = _clean(h1.text()) if h1 is not None else None
    md.title = title
    author = md.author or _clean(meta.get("author")) or _clean(meta.get("article:author"))
    if author and author.startswith("http"):
        author = None
    md.author = author
    md.published = md.published or parse_date(
        next((meta[k] for k in _DATE_KEYS if meta.get(k)), None)
    )
    if md.published is None:
        node = tree.css_first("time[datetime], [itemprop=datePublished]")
        if node is not None:
            md.published = parse_date(
                node.attributes.get("datetime") or node.attributes.get("content")
            )
    md.description = (
        md.description or _clean(meta.get("og:description")) or _clean(meta.get("description"))
    )
    md.site_name = md.site_name or _clean(meta.get("og:site_name"))
    if meta.get("og:type"):
        types.append("og:" + meta["og:type"].strip().lower())
    md.types = tuple(types)
    canonical = tree.css_first('link[rel="canonical"]')
    href = canonical.attributes.get("href") if canonical is not None else None
    md.canonical_url = _clean(href) or _clean(meta.get("og:url")) or url
    html = tree.css_first("html")
    lang = html.attributes.get("lang") if html is not None else None
    if lang:
        md.language = lang.strip().lower().split("-")[0][:2] or None
    return md

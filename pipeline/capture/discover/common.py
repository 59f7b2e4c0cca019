"""What every discovery parser shares: limits, URL admission, capped gunzip, XML refusals."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from pipeline.errors import DiscoveryError
from pipeline.models import SourceItem
from pipeline.urls import MAX_URL_CHARS, canonicalize_url

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_URL_CHARS",
    "SITEMAP_MAX_BYTES",
    "http_url",
    "refuse_entities",
    "unique_items",
    "unpack",
]

# The sitemaps protocol caps a sitemap at 50 MB uncompressed; more is hostile or broken. Feeds
# and pages get the same cap: none we want is larger.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
MAX_DOCUMENT_BYTES = SITEMAP_MAX_BYTES

_GZIP_MAGIC = b"\x1f\x8b"
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY_B = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_B = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def http_url(href: str, base_url: str) -> str | None:
    """`href` resolved against `base_url`, without its fragment, if it is an absolute http(s)
    URL with a host and at most MAX_URL_CHARS long; None for mailto:, javascript:, data:, junk."""
    href = href.strip()
    if not href or len(href) > MAX_URL_CHARS:
        return None
    try:
        url = urljoin(base_url, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    url = url.split("#", 1)[0]
    return url if len(url) <= MAX_URL_CHARS and url.isprintable() else None


def unpack(body: bytes, what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The document itself: gunzipped when it starts with the gzip magic, refused past
    `max_bytes` either way (a gzipped sitemap may be a gzip bomb: decompression stops there)."""
    if body.startswith(_GZIP_MAGIC):
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = dec.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise DiscoveryError(f"{what}: corrupt gzip data: {exc}") from exc
        if len(body) > max_bytes:
            raise DiscoveryError(f"{what}: gzip data expands past {max_bytes} bytes (refused)")
        if not body and not dec.eof:
            raise DiscoveryError(f"{what}: corrupt gzip data: truncated before any content")
    elif len(body) > max_bytes:
        raise DiscoveryError(f"{what}: {len(body)} bytes, over the {max_bytes} byte cap (refused)")
    return body


def refuse_entities(body: bytes | str, what: str, *, doctype: bool) -> None:
    """Refuse XML that declares entities (billion laughs, external entities) or, with
    `doctype`, any DTD. Searched in the whole document (a C-speed scan), so a declaration after
    a long comment is caught too; text that merely quotes "<!ENTITY" in CDATA is refused too."""
    if isinstance(body, str):
        entities, dtd = bool(_ENTITY_DECL.search(body)), bool(_DOCTYPE.search(body))
    else:
        entities, dtd = bool(_ENTITY_B.search(body)), bool(_DOCTYPE_B.search(body))
    if entities:
        raise DiscoveryError(
            f"{what}: XML declares entities (refused: possible entity-expansion bomb)"
        )
    if doctype and dtd:
        raise DiscoveryError(f"{what}: XML declares a DTD (refused: possible entity expansion)")


def unique_items(
    source: str,
    found: Iterable[tuple[str, datetime | None]],
    base_url: str,
    *,
    skip: str | None = None,
) -> list[SourceItem]:
    """Article items for (href, published) pairs: admitted by http_url, one per canonical URL
    (the first wins), never the document's own URL `skip`."""
    seen = {canonicalize_url(skip)} if skip else set()
    items = []
    for href, published in found:
        url = http_url(href, base_url)
        if url is None:
            continue
        key = canonicalize_url(url)
        if key in seen:
            continue
        seen.add(key)
        items.append(SourceItem(source=source, url=url, kind="article", published=published))
    return items

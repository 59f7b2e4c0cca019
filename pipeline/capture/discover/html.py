"""The links of an HTML page (<base>, <a href>, <link>) by a linear tokenizer, not a tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from pipeline.errors import DiscoveryError

__all__ = ["MAX_HTML_BYTES", "LinkTag", "PageLinks", "page_links"]

# html.parser reads ~2.5 MB/s of ordinary markup here; links past the first 8 MiB are dropped
# so a page costs at most ~3 s.
MAX_HTML_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LinkTag:
    """One <link> element's attributes of interest (lower-cased rel tokens and type)."""

    rel: frozenset[str]
    type: str
    href: str
    title: str


@dataclass(slots=True)
class PageLinks:
    """A page's <base href>-resolved base URL, its <a href> values and its <link> tags."""

    base_url: str
    anchors: list[str] = field(default_factory=list)
    links: list[LinkTag] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self, page: PageLinks) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.saw_base = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        href = values.get("href", "").strip()
        if not href:
            return
        if tag in ("a", "area"):
            self.page.anchors.append(href)
        elif tag == "link":
            rel = frozenset(values.get("rel", "").lower().split())
            kind = values.get("type", "").split(";", 1)[0].strip().lower()
            self.page.links.append(LinkTag(rel, kind, href, values.get("title", "")))
        elif tag == "base" and not self.saw_base:  # only the first <base> counts (HTML spec)
            self.saw_base = True
            try:
                self.page.base_url = urljoin(self.page.base_url, href)
            except ValueError:  # "http://[::1": an unusable base leaves the page's URL
                pass


def page_links(html: bytes | str, base_url: str) -> PageLinks:
    """Tokenize the page (decoded as UTF-8, lenient) and collect its links.

    Not selectolax/lexbor, which builds a tree: 8,000 unclosed `<div><span><b>` took it 1.1 s
    and 80,000 (1.1 MB) took 372 s; this tokenizer is linear (1.9 s for that page, 0.4 s per
    MB of ordinary markup, ten times lexbor's time on ordinary pages, which are small).
    """
    if isinstance(html, bytes):
        html = html[:MAX_HTML_BYTES].decode("utf-8", errors="replace")
    page = PageLinks(base_url=base_url)
    collector = _Collector(page)
    try:
        collector.feed(html[:MAX_HTML_BYTES])
        collector.close()
    except Exception as exc:  # noqa: BLE001 - stdlib tokenizer on hostile markup: translate
        raise DiscoveryError(f"page {base_url}: unreadable HTML: {type(exc).__name__}") from exc
    return page

"""Discovery parsers: feeds, sitemaps (index, gzip, news dates, hostile XML), section pages."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime

import pytest

from pipeline.capture.discover import (
    DiscoveryError,
    canonicalize_url,
    filter_items,
    parse_feed,
    parse_links,
    parse_sitemap,
)
from pipeline.errors import PipelineError
from pipeline.models import SourceItem

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title><link>https://news.example/</link>
<item><title>One</title><link>https://news.example/world/one-story-here</link>
  <pubDate>Wed, 01 May 2024 10:00:00 +0200</pubDate></item>
<item><title>Two</title><link>/relative/two</link></item>
<item><title>Dup</title><link>https://news.example/world/one-story-here</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>E</title><link rel="alternate" href="https://a.example/e1"/>
<id>urn:x</id><updated>2024-03-04T05:06:07Z</updated></entry></feed>"""

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://s.example/a</loc><lastmod>2024-01-02</lastmod></url>
  <url><loc>https://s.example/b</loc>
    <news:news><news:publication><news:name>S</news:name><news:language>en</news:language>
    </news:publication><news:publication_date>2024-06-07T08:09:10+02:00</news:publication_date>
    <news:title>B</news:title></news:news></url>
  <url><loc>https://s.example/c</loc></url>
  <url><loc>mailto:nobody@example.org</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://s.example/sm-1.xml.gz</loc></sitemap>
  <sitemap><loc>https://s.example/sm-2.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
</sitemapindex>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>"""


def test_rss_items_with_dates_resolved_and_deduplicated() -> None:
    items = parse_feed(RSS, "https://news.example/rss.xml", "news")
    assert [i.url for i in items] == [
        "https://news.example/world/one-story-here",
        "https://news.example/relative/two",
    ]
    assert items[0].published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert items[1].published is None
    assert all(i.source == "news" and i.kind == "article" for i in items)


def test_atom_feed() -> None:
    (item,) = parse_feed(ATOM, "https://a.example/atom", "a")
    assert item.url == "https://a.example/e1"
    assert item.published == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_json_feed() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
        b'{"id": "1", "url": "https://j.example/1", "date_published": "2024-02-03T04:05:06Z"}]}'
    )
    (item,) = parse_feed(body, "https://j.example/feed.json", "j")
    assert item.url == "https://j.example/1" and item.published == datetime(
        2024, 2, 3, 4, 5, 6, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<rss><channel><item><title>unclosed",
        b"<html><body>not a feed</body></html>",
        b"\x00\x01garbage",
    ],
)
def test_broken_feed_raises_discovery_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="feed https://x.example/rss"):
        parse_feed(body, "https://x.example/rss", "x")


def test_slightly_broken_feed_still_yields_items() -> None:
    body = RSS.replace(b"</channel></rss>", b"<item><title>bad & worse</title>")
    items = parse_feed(body, "https://news.example/rss.xml", "news")
    assert items and items[0].url == "https://news.example/world/one-story-here"


def test_feed_with_entity_declarations_is_refused() -> None:
    body = BILLION_LAUGHS.replace(b"urlset", b"rss")
    with pytest.raises(DiscoveryError, match="entit"):
        parse_feed(body, "https://x.example/rss", "x")


def test_discovery_error_is_a_pipeline_error() -> None:
    assert issubclass(DiscoveryError, PipelineError)


def test_urlset_with_news_dates_and_lastmod() -> None:
    items, children = parse_sitemap(URLSET, "https://s.example/sitemap.xml", "s")
    assert children == []
    by_url = {i.url: i.published for i in items}
    assert by_url == {
        "https://s.example/a": datetime(2024, 1, 2, tzinfo=UTC),
        "https://s.example/b": datetime(2024, 6, 7, 6, 9, 10, tzinfo=UTC),
        "https://s.example/c": None,
    }


def test_sitemap_index_lists_children() -> None:
    items, children = parse_sitemap(INDEX, "https://s.example/index.xml", "s")
    assert items == []
    assert children == ["https://s.example/sm-1.xml.gz", "https://s.example/sm-2.xml"]


def test_gzipped_sitemap_by_magic_bytes() -> None:
    items, _ = parse_sitemap(gzip.compress(URLSET), "https://s.example/sm.xml.gz", "s")
    assert len(items) == 3


def test_gzip_bomb_sitemap_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * (60 * 1024 * 1024), compresslevel=1)
    with pytest.raises(DiscoveryError, match="expands past"):
        parse_sitemap(bomb, "https://s.example/bomb.xml.gz", "s")


def test_entity_expansion_bomb_is_refused_with_clear_error() -> None:
    with pytest.raises(DiscoveryError, match="entity-expansion"):
        parse_sitemap(BILLION_LAUGHS, "https://s.example/evil.xml", "s")


def test_external_entity_is_refused() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>&x;</loc></url></urlset>"""
    with pytest.raises(DiscoveryError):
        parse_sitemap(xxe, "https://s.example/xxe.xml", "s")


@pytest.mark.parametrize("body", [b"<urlset><url><loc>x</loc>", b"", b"<html></html>"])
def test_malformed_sitemaps_raise(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="https://s.example/bad.xml"):
        parse_sitemap(body, "https://s.example/bad.xml", "s")


def test_text_sitemap() -> None:
    items, _ = parse_sitemap(
        b"https://t.example/1\nhttps://t.example/2\n", "https://t.example/s.txt", "t"
    )
    assert [i.url for i in items] == ["https://t.example/1", "https://t.example/2"]


SECTION = """<html><head><base href="https://www.site.example/"></head><body>
<nav><a href="/world/">World</a><a href="/tag/politics">Politics</a><a href="/about">About</a></nav>
<a href="/world/2024/05/01/big-story-today">Big</a>
<a href="world/2024/05/01/big-story-today#comments">Big again</a>
<a href="https://site.example/world/another-long-story-slug?utm_source=x">Another</a>
<a href="https://other.example/world/foreign-story-here-now">Elsewhere</a>
<a href="mailto:desk@site.example">Mail</a><a href="javascript:void(0)">JS</a>
<a href="/world/article-123456.html">Numbered</a>
</body></html>"""


def test_section_page_article_links_by_heuristic() -> None:
    items = parse_links(SECTION, "https://www.site.example/world/", "site", None)
    assert [i.url for i in items] == [
        "https://www.site.example/world/2024/05/01/big-story-today",
        "https://site.example/world/another-long-story-slug?utm_source=x",
        "https://www.site.example/world/article-123456.html",
    ]


def test_section_page_links_with_include_regex() -> None:
    items = parse_links(SECTION.encode(), "https://www.site.example/world/", "site", r"/20\d\d/")
    assert [i.url for i in items] == ["https://www.site.example/world/2024/05/01/big-story-today"]
    with pytest.raises(DiscoveryError, match="regex"):
        parse_links(SECTION, "https://www.site.example/world/", "site", "(")


def test_canonicalize_url() -> None:
    assert canonicalize_url(
        "HTTPS://News.Example:443/a/b?z=1&utm_source=rss&a=2&fbclid=x#frag"
    ) == ("https://news.example/a/b?a=2&z=1")
    assert canonicalize_url("http://x.example") == "http://x.example/"


def _item(url: str, published: datetime | None = None) -> SourceItem:
    return SourceItem(source="s", url=url, published=published)


def test_filter_items() -> None:
    items = [
        _item("https://e.example/news/1", datetime(2024, 1, 1, tzinfo=UTC)),
        _item("https://e.example/news/2", datetime(2024, 6, 1, tzinfo=UTC)),
        _item("https://e.example/video/3", datetime(2024, 6, 1, tzinfo=UTC)),
        _item("https://e.example/news/4"),
        _item("https://e.example/news/5", datetime(2024, 7, 1)),  # naive = UTC
    ]
    kept = filter_items(
        items, include="/news/", exclude=None, max_items=None, since=date(2024, 3, 1)
    )
    assert [i.url[-1] for i in kept] == ["2", "4", "5"]
    assert [i.url[-1] for i in filter_items(items, None, r"video", 2, None)] == ["1", "2"]
    with pytest.raises(DiscoveryError):
        filter_items(items, include="[", exclude=None, max_items=None, since=None)

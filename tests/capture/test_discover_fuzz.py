"""Hostile input never takes down a run: every discovery parser gives items or DiscoveryError."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.capture.discover import (
    DiscoveryError,
    article_links,
    candidate_urls,
    find_feeds,
    parse_feed,
    parse_links,
    parse_sitemap,
    robots_sitemaps,
)
from pipeline.capture.discover.dates import EARLIEST, LATEST
from pipeline.models import SourceItem
from pipeline.urls import MAX_URL_CHARS, trusted_canonical

BASE = "https://h.example/section/index.xml"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSERS: dict[str, Callable[[bytes], object]] = {
    "feed": lambda body: parse_feed(body, BASE, "h"),
    "sitemap": lambda body: parse_sitemap(body, BASE, "h"),
    "links": lambda body: parse_links(body, BASE, "h", None),
    "article_links": lambda body: article_links(body, BASE, same_site=False, source="h"),
    "find_feeds": lambda body: find_feeds(body, BASE),
    "robots": lambda body: robots_sitemaps(body, BASE),
}

# Fragments that steer the parsers into their deeper paths: XML roots, sitemap and feed tags,
# JSON Feed keys, dates at and past the ends of the calendar, URLs of every kind.
FRAGMENTS = st.sampled_from(
    [
        "<?xml version='1.0' encoding='utf-8'?>",
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>",
        "</urlset>", "<sitemapindex>", "</sitemapindex>", "<sitemap>", "</sitemap>", "<url>",
        "</url>", "<loc>", "</loc>", "<lastmod>", "</lastmod>", "<rss version='2.0'>",
        "<channel>", "<item>", "</item>", "<link>", "</link>", "<pubDate>", "</pubDate>",
        "<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "<updated>", "</updated>",
        "<news:publication_date>", "<image:image>", "<image:loc>", "<!--", "-->", "<![CDATA[",
        "]]>", "&amp;", "&#0;", "&#xFFFF;", "\ufeff", '{"items": [', '{"url": ',
        '"date_published": ', "]", "}", "[", "{", ",", '"', "<a href='", "'>",
        "<link rel='alternate' type='application/rss+xml' href='",
        "<base href='", "Sitemap: ", "User-agent: *\n", "\n", "# c\n",
        "https://h.example/a", "/relative/path-with-long-slug-here", "javascript:alert(1)",
        "mailto:x@h.example", "data:text/html,x", "http://[::1", "http://[::1]:8080/a",
        "http://h.example:99999/", "https://h.example/" + "a" * (MAX_URL_CHARS + 1),
        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
        "Sat, 01 Jan 0000 00:00:00 GMT", "99999999999999999999999999", "2024-05-01",
    ]
)
STRUCTURED = st.lists(FRAGMENTS, max_size=40).map(lambda parts: "".join(parts).encode())
# Well-formed skeletons with hostile values, so the parsers get past their first checks.
VALUES = st.one_of(FRAGMENTS, st.text(max_size=30)).map(
    lambda v: v.replace("&", "&amp;").replace("<", "&lt;")
)
SITEMAPS = st.lists(st.tuples(VALUES, VALUES), max_size=8).map(
    lambda rows: (
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>" for loc, mod in rows)
        + "</urlset>"
    ).encode()
)
FEEDS = st.lists(st.tuples(VALUES, VALUES), max_size=8).map(
    lambda rows: (
        "<rss version='2.0'><channel><title>t</title>"
        + "".join(f"<item><title>x</title><link>{u}</link><pubDate>{d}</pubDate></item>"
                  for u, d in rows)
        + "</channel></rss>"
    ).encode()
)
JSON_FEEDS = st.lists(st.tuples(VALUES, VALUES), max_size=8).map(
    lambda rows: json.dumps(
        {"items": [{"url": u, "date_published": d} for u, d in rows]}
    ).encode()
)
PAGES = st.lists(VALUES, max_size=12).map(
    lambda hrefs: (
        "<html><head>"
        + "".join(f"<link rel='alternate' type='application/rss+xml' href='{h}'>" for h in hrefs)
        + "</head><body>" + "".join(f"<a href='{h}'>x</a>" for h in hrefs) + "</body></html>"
    ).encode()
)
ANY_BYTES = st.one_of(
    st.binary(max_size=2000), STRUCTURED, STRUCTURED.map(gzip.compress), SITEMAPS, FEEDS,
    JSON_FEEDS, PAGES,
)


def _check(result: object) -> None:
    items = result[0] if isinstance(result, tuple) else result
    assert isinstance(items, list)
    for item in items:
        if isinstance(item, SourceItem):
            assert item.url.startswith(("http://", "https://")) and len(item.url) <= MAX_URL_CHARS
            assert item.published is None or EARLIEST <= item.published <= LATEST
        else:
            assert isinstance(item, str) and item.startswith(("http://", "https://"))
    if isinstance(result, tuple):
        assert all(isinstance(child, str) for child in result[1])


@pytest.mark.parametrize("name", sorted(PARSERS))
@SETTINGS
@given(body=ANY_BYTES)
def test_parser_gives_items_or_discovery_error(name: str, body: bytes) -> None:
    try:
        result = PARSERS[name](body)
    except DiscoveryError:
        return
    _check(result)


@SETTINGS
@given(url=st.one_of(st.text(max_size=80), FRAGMENTS))
def test_candidate_urls_give_urls_or_discovery_error(url: str) -> None:
    try:
        cands = candidate_urls(url)
    except DiscoveryError:
        return
    assert cands and all(kind in ("feed", "sitemap") for kind, _ in cands)


@SETTINGS
@given(canonical=st.one_of(st.none(), st.text(max_size=80), FRAGMENTS), final=st.text(max_size=40))
def test_trusted_canonical_never_raises(canonical: str | None, final: str) -> None:
    for final_url in (final, "https://h.example/a/b", "http://[::1]:8080/x"):
        result = trusted_canonical(canonical, final_url, frozenset({final}))
        assert result is None or result.startswith(("http://", "https://"))

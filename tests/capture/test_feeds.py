"""Feeds against hostile input (issue 11 #1): impossible dates, deep JSON, junk item URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.capture.discover import MAX_JSON_DEPTH, MAX_URL_CHARS, DiscoveryError, parse_feed
from pipeline.capture.discover.dates import from_struct_time, parse_w3c_date, to_utc
from pipeline.capture.discover.feeds import json_depth_within

FEED = "https://f.example/rss.xml"


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        + "".join(f"<item><title>t</title>{item}</item>" for item in items)
        + "</channel></rss>"
    ).encode()


def json_feed(items: list[object]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


@pytest.mark.parametrize(
    "pub_date",
    [
        "Sat, 01 Jan 0000 00:00:00 GMT",
        "0000-01-01T00:00:00Z",  # feedparser turns this into a struct_time of year 0
        "9999-12-31T23:59:59-14:00",  # year 10000 once in UTC
        "Fri, 31 Dec 9999 23:59:59 -1400",
    ],
)
def test_rss_pubdate_out_of_range_gives_an_undated_item(pub_date: str) -> None:
    (item,) = parse_feed(
        rss(f"<link>https://f.example/a</link><pubDate>{pub_date}</pubDate>"), FEED, "f"
    )
    assert item.url == "https://f.example/a" and item.published is None


def test_year_zero_item_does_not_cost_the_others() -> None:
    items = parse_feed(
        rss(
            "<link>https://f.example/a</link><pubDate>Sat, 01 Jan 0000 00:00:00 GMT</pubDate>",
            "<link>https://f.example/b</link><pubDate>Wed, 01 May 2024 10:00:00 +0000</pubDate>",
        ),
        FEED,
        "f",
    )
    assert [(i.url[-1], i.published) for i in items] == [
        ("a", None),
        ("b", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ]


def test_atom_updated_of_year_zero() -> None:
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><title>A</title><entry><title>E</title>"
        b"<link href='https://f.example/e'/><updated>0000-01-01T00:00:00Z</updated></entry></feed>"
    )
    (item,) = parse_feed(body, FEED, "f")
    assert item.published is None


def test_json_feed_nested_100k_deep_is_refused_cleanly() -> None:
    body = b'{"items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    with pytest.raises(DiscoveryError, match=f"deeper than {MAX_JSON_DEPTH}"):
        parse_feed(body, FEED, "f")


def test_json_feed_opened_100k_deep_and_never_closed_is_refused() -> None:
    with pytest.raises(DiscoveryError, match="deeper"):
        parse_feed(b'{"items": ' + b'{"a":' * 100_000, FEED, "f")


def test_brackets_inside_json_strings_do_not_count_as_nesting() -> None:
    title = "[" * 10_000 + '\\"{' * 100
    body = json_feed([{"url": "https://f.example/a", "title": title}])
    assert [i.url for i in parse_feed(body, FEED, "f")] == ["https://f.example/a"]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        (b"[]", True),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, True),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), False),
        (b'{"a": [{"b": "]]]]]]"}]}', True),
        (b"]]]][[[[", True),  # unbalanced junk: json.loads reports it
        (b"[" * (MAX_JSON_DEPTH + 1), False),
    ],
)
def test_json_depth_bound(text: bytes, ok: bool) -> None:
    assert json_depth_within(text) is ok


def test_json_feed_dates_out_of_range_and_fallback_to_date_modified() -> None:
    body = json_feed(
        [
            {"url": "https://f.example/a", "date_published": "9999-12-31T23:59:59-14:00"},
            {"url": "https://f.example/b", "date_published": "0001-01-01T00:00:00+14:00"},
            {"url": "https://f.example/c", "date_modified": "2024-02-03T04:05:06Z"},
        ]
    )
    items = parse_feed(body, FEED, "f")
    assert [i.published for i in items] == [None, None, datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)]


def test_json_feed_items_of_the_wrong_type_are_skipped() -> None:
    body = json_feed(
        [
            "https://f.example/string-item",
            {"url": {"href": "https://f.example/nested"}},
            {"url": 12345},
            {"url": None, "external_url": "https://elsewhere.example/x"},
            {"url": "https://f.example/ok", "date_published": 20240101},
        ]
    )
    items = parse_feed(body, FEED, "f")
    assert [(i.url, i.published) for i in items] == [
        ("https://elsewhere.example/x", None),
        ("https://f.example/ok", None),
    ]


def test_feed_items_with_other_schemes_long_urls_and_duplicates() -> None:
    long_url = "https://f.example/" + "x" * MAX_URL_CHARS
    items = parse_feed(
        rss(
            "<link>javascript:alert(1)</link>",
            "<link>mailto:desk@f.example</link>",
            "<link>data:text/html;base64,PGI+aGk8L2I+</link>",
            f"<link>{long_url}</link>",
            "<link>https://f.example/a?utm_source=rss</link>",
            "<link>https://f.example/a</link>",
            "<link>https://F.EXAMPLE/a#comments</link>",
            "<link>/b</link>",
        ),
        FEED,
        "f",
    )
    assert [i.url for i in items] == ["https://f.example/a?utm_source=rss", "https://f.example/b"]


def test_bom_prefixed_json_feed() -> None:
    body = b"\xef\xbb\xbf" + json_feed([{"url": "https://f.example/a"}])
    assert [i.url for i in parse_feed(body, FEED, "f")] == ["https://f.example/a"]


def test_dates_helpers_bound_to_the_warehouse_range() -> None:
    assert to_utc(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert to_utc(datetime(1, 1, 1, tzinfo=UTC)) is None
    assert to_utc(datetime(9999, 12, 31, 12, tzinfo=UTC)) is None
    assert parse_w3c_date("2024-05-01T10:00:00+02:00") == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert parse_w3c_date("2024-05-01 junk") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_w3c_date("not a date") is None
    assert from_struct_time((0, 1, 1, 0, 0, 0, 0, 1, 0)) is None
    assert from_struct_time((10000, 1, 1, 0, 0, 0, 0, 1, 0)) is None
    assert from_struct_time((2024, 2, 30, 0, 0, 0, 0, 1, 0)) is None

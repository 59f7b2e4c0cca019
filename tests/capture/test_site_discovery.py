"""Discovery from a homepage (issue 12): declared feeds, common paths, robots.txt, article links."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.capture.discover import (
    COMMON_FEED_PATHS,
    COMMON_SITEMAP_PATHS,
    DiscoveryError,
    article_links,
    candidate_urls,
    find_feeds,
    looks_like_article,
    robots_sitemaps,
    robots_txt_url,
)
from pipeline.capture.discover.site import ROBOTS_MAX_BYTES

PAGES = Path(__file__).parent / "pages"
WORDPRESS = (PAGES / "wordpress_home.html").read_bytes()

NEWS_SITE = (PAGES / "news_home.html").read_bytes()

PLAIN = (PAGES / "plain_page.html").read_bytes()


def test_wordpress_feeds_skip_the_comments_feed() -> None:
    assert find_feeds(WORDPRESS, "https://harbour.example/") == ["https://harbour.example/feed/"]


def test_news_site_with_several_feeds_in_page_order_resolved_and_deduplicated() -> None:
    assert find_feeds(NEWS_SITE, "https://www.daily.example/index.html") == [
        "https://www.daily.example/rss/top.xml",
        "https://www.daily.example/rss/world.xml",
        "https://feeds.daily-cdn.example/business.atom",
        "https://www.daily.example/feed.json",
        "https://www.daily.example/services/rss",
        "https://www.daily.example/sitemaps/news-rss.xml",
    ]


def test_page_without_feeds() -> None:
    assert find_feeds(PLAIN, "https://plain.example/") == []
    assert find_feeds(b"", "https://plain.example/") == []


def test_wordpress_article_links() -> None:
    items = article_links(WORDPRESS, "https://harbour.example/", source="harbour")
    assert [i.url for i in items] == [
        "https://harbour.example/2024/05/01/new-crane-arrives-at-the-quay/",
        "https://harbour.example/2024/04/28/ferry-timetable-changes/?utm_source=home",
        "https://harbour.example/?p=4312",
    ]
    assert {(i.source, i.kind) for i in items} == {("harbour", "article")}


def test_news_site_article_links_same_site_and_any_site() -> None:
    same = article_links(NEWS_SITE, "https://www.daily.example/", source="daily")
    assert [i.url for i in same] == [
        "https://www.daily.example/world/2024/05/01/summit-ends-without-deal",
        "https://sport.daily.example/football/article-1234567.html",
    ]
    anywhere = article_links(NEWS_SITE, "https://www.daily.example/", same_site=False)
    assert "https://other.example/world/2024/05/01/their-own-story-here" in [
        i.url for i in anywhere
    ]


def test_article_links_with_include_regex() -> None:
    items = article_links(WORDPRESS, "https://harbour.example/", include=r"/2024/04/")
    assert [i.url for i in items] == [
        "https://harbour.example/2024/04/28/ferry-timetable-changes/?utm_source=home",
        "https://harbour.example/2024/04/",
    ]


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://s.example/world/2024/05/01/big-story-today", True),
        ("https://s.example/world/2024/may/01/big-story-today", True),
        ("https://s.example/2024-05-01/summit", True),
        ("https://s.example/news/world-leaders-meet-in-geneva", True),
        ("https://s.example/story/12345678", True),
        ("https://s.example/world/article-123456.html", True),
        ("https://s.example/news/summit.html", True),
        ("https://s.example/?p=123", True),
        ("https://s.example/", False),
        ("https://s.example/world/", False),
        ("https://s.example/2024/05/", False),
        ("https://s.example/archive/2024", False),
        ("https://s.example/page/2/", False),
        ("https://s.example/world/?page=3", False),
        ("https://s.example/tag/long-tag-name-here/", False),
        ("https://s.example/category/world-news-today/", False),
        ("https://s.example/author/jane-q-public/", False),
        ("https://s.example/search?q=summit-news-today", False),
        ("https://s.example/wp-login.php", False),
        ("https://s.example/feed/", False),
        ("https://s.example/index.html", False),
        ("https://s.example/uploads/2024/05/01/crane-photo-large.jpg", False),
    ],
)
def test_looks_like_article(url: str, article: bool) -> None:
    assert looks_like_article(url) is article


def test_candidate_urls_at_the_root() -> None:
    cands = candidate_urls("https://News.Example/")
    assert cands[: len(COMMON_FEED_PATHS)] == [
        ("feed", "https://news.example" + p) for p in COMMON_FEED_PATHS
    ]
    assert cands[len(COMMON_FEED_PATHS):] == [
        ("sitemap", "https://news.example" + p) for p in COMMON_SITEMAP_PATHS
    ]
    assert ("feed", "https://news.example/feeds/all.atom.xml") in cands
    assert ("sitemap", "https://news.example/sitemap_index.xml") in cands


def test_candidate_urls_for_a_blog_in_a_directory_try_the_directory_first() -> None:
    cands = candidate_urls("http://127.0.0.1:8080/blog/")
    assert cands[0] == ("feed", "http://127.0.0.1:8080/blog/feed")
    assert ("feed", "http://127.0.0.1:8080/feed") in cands
    assert ("sitemap", "http://127.0.0.1:8080/blog/sitemap.xml") in cands
    assert len(cands) == len(set(cands)) == 2 * (len(COMMON_FEED_PATHS) + len(COMMON_SITEMAP_PATHS))


@pytest.mark.parametrize("bad", ["mailto:x@y.example", "not a url", "ftp://x.example/"])
def test_candidate_urls_refuse_non_http(bad: str) -> None:
    with pytest.raises(DiscoveryError, match="not an absolute http"):
        candidate_urls(bad)


def test_robots_txt_url() -> None:
    assert robots_txt_url("https://News.Example:8443/a/b?c") == "https://news.example:8443/robots.txt"


def test_robots_sitemaps() -> None:
    robots = (
        b"User-agent: *\nDisallow: /private/\n"
        b"Sitemap: https://s.example/sitemap_index.xml\n"
        b"sitemap: /news-sitemap.xml\n"
        b"SITEMAP: https://s.example/sitemap_index.xml\n"
        b"Sitemap: javascript:alert(1)\n"
        b"# Sitemap: https://s.example/commented.xml\n"
    )
    assert robots_sitemaps(robots, "https://s.example/robots.txt") == [
        "https://s.example/sitemap_index.xml",
        "https://s.example/news-sitemap.xml",
    ]


def test_robots_sitemaps_read_up_to_the_rfc_limit() -> None:
    head = b"Sitemap: https://s.example/first.xml\n"
    filler = b"Disallow: /x\n" * (ROBOTS_MAX_BYTES // 13 + 10)
    body = head + filler + b"Sitemap: https://s.example/past-the-limit.xml\n"
    assert robots_sitemaps(body, "https://s.example/robots.txt") == ["https://s.example/first.xml"]


def test_robots_without_sitemaps_and_binary_junk() -> None:
    assert robots_sitemaps(b"User-agent: *\nDisallow:\n", "https://s.example/robots.txt") == []
    assert robots_sitemaps(b"\x00\xff\xfe" * 1000, "https://s.example/robots.txt") == []


def test_pathological_markup_is_tokenized_in_linear_time() -> None:
    # lexbor needed 372 s for this page (1.1 MB of unclosed tags); the tokenizer is linear
    page = b"<div><span><b>" * 80_000 + b'<a href="/news/2024/05/01/late-link-here">x</a>'
    started = time.process_time()
    items = article_links(page, "https://s.example/")
    assert [i.url for i in items] == ["https://s.example/news/2024/05/01/late-link-here"]
    assert find_feeds(page, "https://s.example/") == []
    assert time.process_time() - started < 60  # a ceiling against hangs, not a benchmark


def test_unusable_base_href_leaves_the_page_url_as_base() -> None:
    # urljoin raises ValueError on "http://[::1" (found by the fuzz test)
    page = b"<base href='http://[::1'><a href='/news/2024/05/01/the-story-of-today'>x</a>"
    items = article_links(page, "https://s.example/")
    assert [i.url for i in items] == ["https://s.example/news/2024/05/01/the-story-of-today"]

"""URL identity: canonical spellings (w3lib + our tracking rules) and trusted canonicals (B2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.urls import (
    MAX_URL_CHARS,
    canonicalize_url,
    registered_domain,
    same_site,
    trusted_canonical,
)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example:443/a/b?z=1&utm_source=rss&a=2&fbclid=x#frag",
         "https://news.example/a/b?a=2&z=1"),
        ("http://x.example", "http://x.example/"),
        ("http://x.example:80/a", "http://x.example/a"),
        ("https://x.example:8443/a", "https://x.example:8443/a"),
        ("http://x.example./a", "http://x.example/a"),
        ("http://x.example/a?UTM_Campaign=y&gclid=1&b=&a=2&a=1", "http://x.example/a?a=1&a=2&b="),
        ("http://x.example/a/./b/../c", "http://x.example/a/c"),
        ("http://x.example/%7Euser/a%2fb", "http://x.example/~user/a%2Fb"),
        ("http://x.example/caf\u00e9 au lait", "http://x.example/caf%C3%A9%20au%20lait"),
        ("http://x.example/caf%c3%a9", "http://x.example/caf%C3%A9"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://[::1]:80/a", "http://[::1]/a"),
        ("https://[2001:DB8:0:0::1]/x?b=2&a=1", "https://[2001:db8::1]/x?a=1&b=2"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
    ],
)
def test_ip_hosts_keep_their_form(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_idn_hosts_become_punycode_either_spelling() -> None:
    assert canonicalize_url("https://B\u00fccher.example/neu") == "https://xn--bcher-kva.example/neu"
    assert canonicalize_url("https://xn--bcher-kva.example/neu") == "https://xn--bcher-kva.example/neu"


@pytest.mark.parametrize(
    "junk",
    ["", "   ", "not a url", "mailto:a@b.example", "javascript:void(0)", "http://", "http://[::1/a",
     "http://x.example:99999/a", "ftp://x.example/a", "//x.example/a"],
)
def test_junk_comes_back_stripped_and_never_raises(junk: str) -> None:
    assert canonicalize_url(f"  {junk}  ") == junk.strip()


URLISH = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    st.sampled_from(["x.example", "X.Example.", "[::1]", "[2001:db8::1]", "b\u00fccher.example",
                     "127.0.0.1", "user:pw@x.example", ""]),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]),
    st.text(alphabet="/ab.%2Fé~ ?&=#+;", max_size=20),
    st.text(alphabet="?&=ab%utm_fbclid+ é", max_size=20),
    st.text(alphabet="#ab", max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=60)))
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


# -- sites and trusted canonicals (issue 11: B2 and canonicals as identity) ----------------


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://news.bbc.co.uk/a", "bbc.co.uk"),
        ("https://www.bbc.co.uk/", "bbc.co.uk"),
        ("https://alice.github.io/post", "alice.github.io"),
        ("http://[::1]:8080/a", "::1"),
        ("http://127.0.0.1/a", "127.0.0.1"),
        ("http://localhost:8000/", "localhost"),
        ("https://B\u00fccher.example.de/x", "example.de"),
        ("co.uk", "co.uk"),
        ("news.example.com", "example.com"),
        ("not a url at all", ""),
        ("", ""),
    ],
)
def test_registered_domain(url: str, site: str) -> None:
    assert registered_domain(url) == site


def test_same_site() -> None:
    assert same_site("https://news.bbc.co.uk/x", "https://www.bbc.co.uk/y")
    assert not same_site("https://example.com/x", "https://evil.com/x")
    assert not same_site("https://alice.github.io/", "https://bob.github.io/")
    assert not same_site("not a url", "not a url")


PAGE = "https://www.news.example/world/2024/05/01/story-one?utm_source=x"


def test_b2_relative_canonical_is_resolved_against_the_final_url() -> None:
    one = trusted_canonical("/news/story.html", "https://a.example/x/1")
    two = trusted_canonical("/news/story.html", "https://b.example/y/2")
    assert one == "https://a.example/news/story.html"
    assert two == "https://b.example/news/story.html"
    assert one != two
    assert trusted_canonical("story-2.html", "https://a.example/news/story.html") == (
        "https://a.example/news/story-2.html"
    )


def test_canonical_on_the_same_registered_site_is_trusted_and_canonicalised() -> None:
    assert trusted_canonical(" https://news.example/world/story-one#x ", PAGE) == (
        "https://news.example/world/story-one"
    )
    assert trusted_canonical("https://news.bbc.co.uk/a?b=2&a=1", "https://www.bbc.co.uk/a") == (
        "https://news.bbc.co.uk/a?a=1&b=2"
    )


def test_canonical_on_another_site_is_not_trusted() -> None:
    assert trusted_canonical("https://evil.com/world/story-one", "https://example.com/a") is None
    assert trusted_canonical("//evil.com/story", "https://example.com/a") is None
    assert trusted_canonical("https://bob.github.io/p", "https://alice.github.io/p") is None


def test_canonical_on_a_declared_alias_is_trusted() -> None:
    aliases = frozenset({"bbc.com", "https://www.bbc.co.uk/"})
    assert trusted_canonical("https://www.bbc.com/news/1", "https://bbc.co.uk/n/1", aliases) == (
        "https://www.bbc.com/news/1"
    )
    assert trusted_canonical("https://evil.com/news/1", "https://bbc.co.uk/n/1", aliases) is None


@pytest.mark.parametrize(
    "canonical", ["https://news.example/", "https://news.example", "/", "https://www.news.example/#top"]
)
def test_site_root_is_never_a_canonical(canonical: str) -> None:
    assert trusted_canonical(canonical, PAGE) is None


def test_root_with_a_query_is_a_page() -> None:
    assert trusted_canonical("/?p=123", PAGE) == "https://www.news.example/?p=123"


@pytest.mark.parametrize(
    "canonical",
    [None, "", "   ", "javascript:alert(1)", "mailto:x@news.example", "ftp://news.example/a",
     "data:text/html,x", "http://[::1", "https://news.example/" + "a" * MAX_URL_CHARS],
)
def test_unusable_canonicals_are_not_trusted(canonical: str | None) -> None:
    assert trusted_canonical(canonical, PAGE) is None


def test_canonical_of_an_ip_host_page() -> None:
    assert trusted_canonical("/a/b", "http://[::1]:8080/x") == "http://[::1]:8080/a/b"
    assert trusted_canonical("http://[::2]:8080/a", "http://[::1]:8080/x") is None

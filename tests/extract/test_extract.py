"""The public interface of pipeline.extract: types, drop reasons, decoding."""

from __future__ import annotations

import pytest

from pipeline.extract import EXTRACTOR_VERSION, decode_html, extract
from pipeline.models import Article, Drop

PARA = (
    "The city council voted on Tuesday to expand the tram network to the northern districts, "
    "a decision that ends a decade of debate over how to connect the new housing estates. "
)
HTML = f"""<!doctype html><html><head><title>Trams reach the north</title>
<meta property="og:title" content="Trams reach the north"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Trams reach the north</h1>
<p>{PARA}</p><p>Opponents said the {PARA.lower()}</p><p>Work starts in spring; {PARA.lower()}</p></article><footer>Copyright 2025 City Paper</footer></body></html>"""


def test_version_is_a_string():
    assert isinstance(EXTRACTOR_VERSION, str) and EXTRACTOR_VERSION


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        ("   \n ", "empty"),
        (b"\x00\x01\x02\x03binary\x00", "binary"),
        (b"%PDF-1.4 ...", "binary"),
    ],
)
def test_drops(content, reason):
    assert extract(content) == Drop(reason)


def test_html_article():
    result = extract(HTML.encode(), url="https://example.org/trams")
    assert isinstance(result, Article)
    assert result.title == "Trams reach the north"
    assert "tram network" in result.body
    assert "Copyright" not in result.body
    assert result.language == "en"


def test_text_article():
    text = f"Trams reach the north\n\nBy Jane Doe\n\n{PARA}\n\nOpponents said the {PARA.lower()}\n\nComments are closed."
    result = extract(text, kind="text")
    assert isinstance(result, Article)
    assert result.title == "Trams reach the north"
    assert result.author == "Jane Doe"
    assert "Comments are closed." not in result.body
    assert any(r.reason == "comments" for r in result.removed)


def test_too_short_is_dropped():
    assert isinstance(extract("<html><body><p>Hi</p></body></html>"), Drop)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("café".encode("cp1252"), "text/html; charset=windows-1252", "café"),
        ("café".encode(), None, "café"),
        (b'<meta charset="koi8-r">' + "мир".encode("koi8-r"), None, '<meta charset="koi8-r">мир'),
        (b"\xef\xbb\xbfhello", "text/html; charset=latin-1", "hello"),
        ("ĉu".encode("utf-16"), None, "ĉu"),
    ],
)
def test_decode_html(body, content_type, expected):
    assert decode_html(body, content_type) == expected


def test_text_story_sentence_naming_a_donation_is_kept():
    line = "The council said it would donate the old depot site to the school, which has no playground."
    text = f"Trams reach the north\n\n{PARA}\n\n{line}\n\nOpponents said the {PARA.lower()}\n\nDonate now"
    result = extract(text, kind="text")
    assert line in result.body
    assert "Donate now" not in result.body

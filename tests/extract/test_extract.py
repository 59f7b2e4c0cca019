"""The public interface of pipeline.extract: types, drop reasons, decoding."""

from __future__ import annotations

import gzip
from pathlib import Path

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


def test_every_article_carries_a_page_type():
    from pipeline.extract.pagetype import PAGE_TYPES

    result = extract(HTML.encode(), url="https://example.org/2025/01/trams")
    assert isinstance(result, Article)
    assert result.page_type in PAGE_TYPES


def test_lengths_of_spaceless_scripts_count_characters():
    from pipeline.extract.lang import tokens, word_length

    assert word_length("东京都は今日、新しい計画を発表した") > 6  # one "word" to \w+
    assert tokens("新しい計画") == ["新", "し", "い", "計", "画"]
    assert word_length("three plain words") == 3


def test_stop_words_come_from_a_multilingual_list():
    from pipeline.extract.lang import StopDensity, tokens

    for lang, text in (
        ("de", "Der Rat hat am Dienstag beschlossen, dass die Straßenbahn fährt."),
        ("pl", "Rada miasta zdecydowała we wtorek, że tramwaj pojedzie dalej."),
        ("zh", "市议会在星期二决定，有轨电车将延伸到北部地区。"),
    ):
        assert StopDensity(lang)(text, tokens(text)) > 0.1, lang


def test_article_inside_noscript_is_found():
    page = f"<html><body><div id='app'></div><noscript><article><p>{PARA}</p><p>{PARA}</p></article></noscript></body></html>"
    result = extract(page)
    assert isinstance(result, Article)
    assert "tram network" in result.body


def test_text_dump_without_confident_prose_keeps_a_region():
    lines = "\n".join(
        [
            "Menu",
            "Home",
            "东京都议会今天通过了新的交通计划，将在明年春天开始建设新的电车线路，连接北部的住宅区。计划预计耗资三百亿日元。",
        ]
    )
    result = extract(lines, kind="text")
    assert isinstance(result, Article), result
    assert "交通计划" in result.body


def test_a_pruned_share_bar_is_reported_without_its_script_source():
    bar = (
        "<div class='share-tools'><h3>Save &amp; Share</h3><a href='#'>Tweet</a>"
        "<script>(function() { var po = document.createElement('script'); })();</script>"
        "<style>.share-tools { color: red }</style></div>"
    )
    result = extract(HTML.replace("<p>Opponents", bar + "<p>Opponents").encode())
    assert isinstance(result, Article)
    shared = [r.text for r in result.removed if r.reason == "share"]
    assert shared == ["Save & Share Tweet"], result.removed
    assert "createElement" not in result.body and "tram network" in result.body


def test_spared_comment_elements_become_blocks_and_navs_stay_pruned():
    from pipeline.extract.blocks import html_blocks

    page = (
        "<html><body><div id='page'><nav><a href='/'>Home</a> <a href='/f'>Forums</a></nav><ul class='posts'>"
        f"<li itemprop='comment'><p>{PARA}</p></li><li class='comment'><p>Re: {PARA}</p></li>"
        "</ul></div></body></html>"
    )
    pruned, _ = html_blocks(page)
    spared, _ = html_blocks(page, spare=frozenset({"comments"}))
    assert [r.reason for r in pruned.pruned] == ["nav", "comments", "comments"]
    assert not any("tram network" in b.text for b in pruned.blocks)
    assert [r.reason for r in spared.pruned] == ["nav"]
    assert sum("tram network" in b.text for b in spared.blocks) == 2


TRAINSET_HTML = Path(__file__).resolve().parents[3] / "shared" / "trainset" / "html"


def test_a_forum_thread_marked_up_as_comments_is_the_body():
    # forum.prestashop.com (WCXB, CC-BY-4.0 annotations): every post is itemprop="comment";
    # with them pruned the body was the cookie banner. The data is required, not skipped.
    html = gzip.decompress((TRAINSET_HTML / "p8d389a919e98ca6.html.gz").read_bytes())
    result = extract(html, url="https://forum.prestashop.com/topic/1103020-payment-issues")
    assert isinstance(result, Article), result
    assert result.page_type == "forum"
    assert "change the customer to bank wire" in result.body
    assert "Nous utilisons des cookies" not in result.body

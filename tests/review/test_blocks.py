"""Reading order, the two forms of `removed`, page names and links: the report's pure parts."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.review.blocks import Block, Cut, parse_removed, reading_order, removed_as_json
from pipeline.review.render import page_name, safe_href


def test_cut_blocks_stand_before_the_paragraph_their_position_counts() -> None:
    body = "First.\n\nSecond.\n\nThird."
    cuts = [Cut("Menu", "nav", 0), Cut("Read more: x", "related", 2), Cut("Sign up", "newsletter", 2),
            Cut("(c) 2025", "legal", 3), Cut("Share", "share", None)]
    blocks, unplaced = reading_order(body, cuts)
    assert blocks == [Block("Menu", "nav"), Block("First."), Block("Second."),
                      Block("Read more: x", "related"), Block("Sign up", "newsletter"),
                      Block("Third."), Block("(c) 2025", "legal")]
    assert unplaced == [Cut("Share", "share", None)]


def test_a_position_past_the_body_goes_after_the_last_paragraph() -> None:
    blocks, unplaced = reading_order("Only.", [Cut("Footer", "legal", 7)])
    assert blocks == [Block("Only."), Block("Footer", "legal")] and unplaced == []


def test_empty_paragraphs_count_for_positions_but_do_not_render() -> None:
    # positions count "\n\n"-separated parts, as the extractor does, even empty ones
    blocks, _ = reading_order("A.\n\n\n\nC.", [Cut("x", "nav", 2)])
    assert blocks == [Block("A."), Block("x", "nav"), Block("C.")]


@pytest.mark.parametrize("column_sql", [
    # JSON text, as the warehouse stores `removed` today (older rows have no position)
    """'[{"text": "Menu", "reason": "nav"}, {"text": "Sign up", "reason": "newsletter", "position": 3}]'::JSON""",
    # the list of structs the column may become
    "[{'text': 'Menu', 'reason': 'nav', 'position': NULL}, "
    "{'text': 'Sign up', 'reason': 'newsletter', 'position': 3}]"
    "::STRUCT(text VARCHAR, reason VARCHAR, position INTEGER)[]",
])
def test_removed_reads_the_same_from_json_and_from_a_list_of_structs(column_sql: str) -> None:
    with duckdb.connect() as con:
        (text,) = con.execute(f"SELECT {removed_as_json('r')} FROM (SELECT {column_sql} AS r)").fetchone()
    assert parse_removed(text) == [Cut("Menu", "nav", None), Cut("Sign up", "newsletter", 3)]


@pytest.mark.parametrize("value", [None, "", "not json", "{}", '[1, {"reason": "nav"}]'])
def test_unreadable_removed_gives_no_blocks(value: str | None) -> None:
    assert parse_removed(value) == []


def test_page_names_are_safe_file_names() -> None:
    assert page_name("5d5568afb987fa02") == "5d5568afb987fa02.html"
    for hostile in ("../../etc/passwd", "a/b", "x" * 300, "<script>", ""):
        name = page_name(hostile)
        assert name.endswith(".html") and "/" not in name and "<" not in name and name != ".html"


@pytest.mark.parametrize(("url", "linked"), [
    ("https://example.org/a", True), ("http://127.0.0.1/x", True), ("file:///tmp/a.txt", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False), ("data:text/html,<b>", False),
    ("vbscript:x", False), ("", False), (None, False),
])
def test_only_http_https_and_file_urls_become_links(url: str | None, linked: bool) -> None:
    assert (safe_href(url) is not None) is linked

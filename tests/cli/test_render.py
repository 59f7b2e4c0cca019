"""`pipeline extract --format text|markdown`: what people read."""

from __future__ import annotations

from pipeline.cli.render import as_markdown, as_text

RECORD = {
    "path": "page.html", "url": "https://news.example/a", "title": "Harbour vote",
    "author": "Maria Okafor", "published": "2025-03-03", "language": "en", "page_type": "article",
    "description": "The council decides.",
    "body": "First paragraph.\n\nWhat happens next\n\nOne item\n\nAnother item\n\nLast words.",
    "tags": ["p", "h2", "li", "li", "p"],
    "removed": [{"text": "Subscribe", "reason": "newsletter", "position": 0}],
}


def test_markdown_keeps_headings_lists_and_paragraphs() -> None:
    text = as_markdown(RECORD)
    assert text.startswith("# Harbour vote\n")
    assert "## What happens next\n" in text
    assert "- One item\n- Another item\n" in text  # one list, not two
    assert "First paragraph.\n\n## What happens next" in text
    assert "> The council decides." in text and text.rstrip().endswith("<https://news.example/a>")


def test_text_reads_plainly_and_names_what_was_cut() -> None:
    text = as_text(RECORD)
    assert text.splitlines()[:3] == ["Harbour vote", "Maria Okafor · 2025-03-03 · en · article",
                                     "https://news.example/a"]
    assert "[1 blocks cut: newsletter]" in text
    assert as_text({"path": "x", "url": None, "drop": "binary"}) == "x: no article (binary)\n"

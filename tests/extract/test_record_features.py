"""The repeated-record columns: a teaser card knows it is one of many, a story paragraph does not."""

from __future__ import annotations

import math

import pytest

from pipeline.extract.features import DEPTH_COLUMN, N_RECORD, RECORD_COLUMN
from pipeline.extract.prepare import prepare, prepare_text

STORY = " ".join(["The council voted on the new budget after a long debate."] * 4)
CARD = (
    '<li class="card"><h3>Headline number {i}</h3><p class="by">Reporter {i}</p>'
    "<p>A short summary of story {i}, the kind a rail of teasers shows.</p></li>"
)
PAGE = (
    "<html><body><article><h1>Budget passes</h1>"
    + "".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(5))
    + '</article><aside><ul class="more">'
    + "".join(CARD.format(i=i) for i in range(6))
    + "</ul></aside></body></html>"
)


def _columns(text: str) -> dict[str, list[float]]:
    doc = prepare(PAGE)
    return {
        b.text: [float(v) for v in row]
        for b, row in zip(
            doc.blocks, doc.X[:, RECORD_COLUMN : RECORD_COLUMN + N_RECORD], strict=True
        )
        if text in b.text
    }


def test_each_card_of_a_teaser_rail_is_one_of_six_alike_records():
    cards = _columns("Headline number")
    assert len(cards) == 6
    for count, alike, size, share in cards.values():
        assert count == pytest.approx(math.log1p(6))
        assert alike == 1.0  # every card holds as many block elements (heading, byline, summary)
        assert size == pytest.approx(math.log1p(3))
        assert share == pytest.approx(1 / 6, abs=0.03)


def test_story_paragraphs_are_in_no_record_list():
    paragraphs = _columns("Paragraph")
    assert len(paragraphs) == 5
    # each paragraph is one element of its own: the article holds no repeated records, and the
    # page (article + aside) has only two children
    assert all(row == [0.0] * N_RECORD for row in paragraphs.values())


def test_text_dumps_have_no_records():
    _, X = prepare_text("A line of a dump.\nAnother line here.\nA third one.")
    assert not X[:, RECORD_COLUMN : RECORD_COLUMN + N_RECORD].any()


LONG = " ".join(["The harbour budget passed after councillors argued over dredging costs."] * 5)
SUMMARY = " ".join(["Another story on another subject, summarised in a sentence or two here."] * 3)
RAIL_PAGE = (
    "<html><body><article><h1>Budget passes</h1>"
    + "".join(f"<p>{LONG} Paragraph {i}.</p>" for i in range(3))
    + '</article><section class="more">'
    + "".join(
        f'<div class="card"><h3>Headline number {i}</h3><p>{SUMMARY} Card {i}.</p></div>'
        for i in range(8)
    )
    + "</section></body></html>"
)


def test_a_rail_of_cards_with_more_prose_than_the_story_is_not_its_container():
    # the rail's eight summaries hold more prose than the story's three paragraphs; counted at
    # TEASER_WEIGHT, they no longer make the rail the article container
    doc = prepare(RAIL_PAGE)
    depth = [(b.text, float(x)) for b, x in zip(doc.blocks, doc.X[:, DEPTH_COLUMN], strict=True)]
    story = [d for text, d in depth if "Paragraph" in text]
    cards = [d for text, d in depth if "Card" in text]
    assert len(story) == 3 and len(cards) == 8
    assert all(d > 0 for d in story)
    assert all(d == 0 for d in cards)

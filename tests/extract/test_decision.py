"""The block decision's knobs: outside the story container, captions, comments, per page type."""

from __future__ import annotations

import numpy as np

from pipeline.extract.blocks import Block
from pipeline.extract.select import Decision, select

STORY, ASIDE = 1, 2
PROSE = "The council voted on the new budget after a long debate about schools and roads."


def _page() -> tuple[list[Block], np.ndarray]:
    from pipeline.extract.features import block_features

    blocks = [
        Block(PROSE, "p", index=0, ancestors=(0, STORY)),
        Block(PROSE.replace("council", "mayor"), "p", index=1, ancestors=(0, STORY)),
        Block("A photo of the council chamber, by a staff photographer.", "figcaption", index=2,
              ancestors=(0, STORY)),
        Block("Readers wrote in to say the debate about the budget went on too long.", "p",
              index=3, ancestors=(0, STORY), near_names=frozenset({"comment", "list"})),
        Block(PROSE.replace("budget", "stadium"), "p", index=4, ancestors=(0, ASIDE)),
    ]
    return blocks, block_features(blocks).X


def test_knobs_off_keep_what_the_threshold_keeps():
    blocks, X = _page()
    proba = np.array([0.9, 0.9, 0.6, 0.6, 0.6])
    keep = select(blocks, X, proba, Decision(threshold=0.5, rescue_proba=1.0, min_chars=0))
    assert keep.tolist() == [True] * 5


def test_outside_caption_and_comment_need_a_higher_probability():
    blocks, X = _page()
    proba = np.array([0.9, 0.9, 0.6, 0.6, 0.6])
    d = Decision(
        threshold=0.5, min_chars=0, outside_proba=0.7, caption_proba=0.8, comment_proba=0.8
    )
    assert select(blocks, X, proba, d).tolist() == [True, True, False, False, False]
    proba = np.array([0.9, 0.9, 0.85, 0.85, 0.75])
    assert select(blocks, X, proba, d).tolist() == [True] * 5


def test_page_type_overrides_apply_to_that_type_only():
    d = Decision.from_dict(
        {"threshold": 0.4, "by_type": {"product": {"prefer_second_opinion": True, "threshold": 0.2}}}
    )
    assert d.for_type("article") is d
    product = d.for_type("product")
    assert product.prefer_second_opinion and product.threshold == 0.2 and product.by_type == {}
    assert Decision.from_dict(d.as_dict()) == d


def test_a_short_result_is_rescued_inside_its_story_and_asks_the_second_opinion():
    from types import SimpleNamespace

    from pipeline.extract.fallback import looks_unsure

    blocks, X = _page()
    # one story paragraph kept; the aside's teaser is half believed
    proba = np.array([0.9, 0.1, 0.1, 0.1, 0.3])
    page_wide = Decision(threshold=0.5, rescue_proba=1.0, min_chars=300, fallback_proba=0.2)
    assert select(blocks, X, proba, page_wide).tolist() == [True, False, False, False, True]
    inside = Decision(
        threshold=0.5, rescue_proba=1.0, min_chars=300, fallback_proba=0.2, short_inside=True
    )
    keep = select(blocks, X, proba, inside)
    assert keep.tolist() == [True, False, False, False, False]
    doc = SimpleNamespace(blocks=blocks, lengths=None)
    # the result is sure of itself (mean probability 0.9) but short: trafilatura is asked
    unsure = Decision(fallback_share=0.01, fallback_mean_proba=0.5, min_chars=300)
    assert not looks_unsure(doc, keep, proba, len(PROSE), unsure)
    short = Decision(**{**unsure.as_dict(), "short_inside": True})
    assert looks_unsure(doc, keep, proba, len(PROSE), short)

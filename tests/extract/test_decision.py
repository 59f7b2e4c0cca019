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

"""Which blocks are body: the classifier's threshold, certain clutter, gap smoothing and recall rescues."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache

import numpy as np

from pipeline.extract.blocks import Block
from pipeline.extract.features import (
    COVER_COLUMN,
    LENGTH_COLUMN,
    LISTING_COLUMN,
    N_RECORD,
    RECORD_COLUMN,
    deepest_holding,
    held_chars,
    teaser_cards,
)
from pipeline.extract.lang import word_length


@dataclass(frozen=True, slots=True)
class Decision:
    """Thresholds of the block decision; chosen by leave-one-collection-out scores, shipped in the model."""

    threshold: float = 0.5
    gap_blocks: int = 3  # a run this short between body blocks ...
    gap_proba: float = 0.25  # ... whose blocks the model half believes, is body too
    rescue_words: float = 30.0  # prose this long inside the story's container ...
    rescue_proba: float = 1.0  # ... is kept at this lower probability (1.0: off)
    truncated_share: float = 0.0  # kept text under this share of the container's prose ...
    truncated_proba: float = 0.2  # ... lowers the threshold there to this
    article_body_cover: float = (
        1.1  # blocks this much inside JSON-LD articleBody are kept (>1: off)
    )
    min_chars: int = 300  # a shorter result takes the likelier half of the page ...
    # ... only inside the story container of what was kept, and a result still that short asks
    # for the second opinion (fallback.looks_unsure)
    short_inside: bool = False
    fallback_proba: float = 0.2
    # trafilatura's text replaces ours when ours looks truncated (under this share of the page's
    # prose, or kept at a mean probability under fallback_mean_proba) and it is this much longer
    fallback_share: float = 0.0
    fallback_mean_proba: float = 0.0
    fallback_ratio: float = 1.5
    outside_proba: float = 0.0  # a block kept outside the story container needs this probability
    caption_proba: float = 0.0  # a caption (figcaption, or named caption/credit) needs this
    comment_proba: float = 0.0  # a block in an element named comment needs this
    prefer_second_opinion: bool = False  # trafilatura's text whenever it has one (by_type only)
    # overrides of the fields above for a predicted page type ("product": {...})
    by_type: dict[str, dict] = field(default_factory=dict, hash=False)

    @classmethod
    def from_dict(cls, data: dict | None) -> Decision:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def for_type(self, page_type: str) -> Decision:
        """The decision for a page of this predicted type (its overrides applied)."""
        over = self.by_type.get(page_type)
        return replace(self, **over, by_type={}) if over else self


# Kinds whose phrases settle the matter for short blocks, whatever the classifier says
# (on the ScrapingHub pages such blocks are in the gold body 1 time in 40; blocks under a listing
# header 22 times in 573, all single words).
CERTAIN_KINDS = frozenset(
    {"comments", "related", "share", "legal", "donation", "newsletter", "cross-promo"}
)
CERTAIN_MAX_CHARS = 120


def certain_clutter(blocks: list[Block], X: np.ndarray) -> np.ndarray:
    """Short blocks naming their kind, and blocks under a listing header ("You may also like")."""
    named = np.array(
        [b.kind in CERTAIN_KINDS and len(b.text) <= CERTAIN_MAX_CHARS for b in blocks], dtype=bool
    )
    return named | (X[:, LISTING_COLUMN] > 0)


@lru_cache(maxsize=4096)
def _named(names: frozenset[str], words: tuple[str, ...]) -> bool:
    """One of `words` inside one of the class/id tokens."""
    joined = " ".join(names)
    return any(w in joined for w in words)


def _demote(blocks: list[Block], proba: np.ndarray, d: Decision) -> np.ndarray:
    """Captions and comments (by their element's names) need a higher probability to be kept."""
    need = np.zeros(len(blocks))
    for i, b in enumerate(blocks):
        if d.caption_proba > 0 and (
            b.tag == "figcaption" or _named(b.near_names, ("caption", "credit"))
        ):
            need[i] = d.caption_proba
        if d.comment_proba > 0 and _named(b.near_names, ("comment",)):
            need[i] = max(need[i], d.comment_proba)
    return np.where(proba >= need, proba, 0.0)


def _fire(keep: np.ndarray, extra: np.ndarray, name: str, fired: list[str] | None) -> np.ndarray:
    if fired is not None and (extra & ~keep).any():
        fired.append(name)
    return keep | extra


def select(
    blocks: list[Block],
    X: np.ndarray,
    proba: np.ndarray,
    d: Decision,
    fired: list[str] | None = None,
) -> np.ndarray:
    """The body mask: threshold, smoothing, then the rescues that put recall first (their names
    are appended to `fired` when they change the result)."""
    certain = certain_clutter(blocks, X)
    proba = np.where(certain, 0.0, proba)
    if d.caption_proba > 0 or d.comment_proba > 0:
        proba = _demote(blocks, proba, d)
    keep = proba >= d.threshold
    if d.article_body_cover <= 1.0:
        keep = _fire(
            keep,
            (X[:, COVER_COLUMN] >= d.article_body_cover) & ~certain,
            "rescue: articleBody",
            fired,
        )
    keep = _smooth(keep, proba, blocks, certain, d)
    # the story container: the deepest element holding 60% of the kept text (teaser cards' at
    # features.TEASER_WEIGHT)
    mask: list[bool] = keep.tolist()
    teasers = teaser_cards(X[:, RECORD_COLUMN : RECORD_COLUMN + N_RECORD])
    held, total = held_chars(blocks, mask, teasers)
    container = deepest_holding(blocks, mask, held, total, 0.6)
    if container is not None:
        inside = np.array([container in b.ancestors for b in blocks], dtype=bool)
        if d.outside_proba > 0:
            keep = keep & (inside | (proba >= d.outside_proba))
        long = X[:, LENGTH_COLUMN] >= np.log1p(d.rescue_words)
        keep = _fire(keep, inside & long & (proba >= d.rescue_proba), "rescue: long prose", fired)
        if d.truncated_share > 0:
            prose = np.array([_prose_chars(b) for b in blocks]) * inside
            kept = sum(len(b.text) for b, k in zip(blocks, keep, strict=True) if k)
            if kept < d.truncated_share * prose.sum():
                keep = _fire(
                    keep,
                    inside & (prose > 0) & (proba >= d.truncated_proba),
                    "rescue: truncated",
                    fired,
                )
    if (
        sum(len(b.text) for b, k in zip(blocks, keep, strict=True) if k) < d.min_chars
        and proba.max() > 0
    ):
        # a short story the model is unsure of: take the likelier half, or at least the best block
        likely = proba >= min(d.fallback_proba, float(proba.max()))
        if d.short_inside and container is not None:
            likely &= inside
        keep = _fire(np.zeros_like(keep), likely, "rescue: short", fired)
    return keep


def _prose_chars(b: Block) -> int:
    return len(b.text) if word_length(b.text) >= 12 and b.link_chars < 0.3 * len(b.text) else 0


def _smooth(
    keep: np.ndarray, proba: np.ndarray, blocks: list[Block], certain: np.ndarray, d: Decision
) -> np.ndarray:
    """Fill short gaps between body blocks, and tables that sit inside the story."""
    keep = keep.copy()
    kept = np.flatnonzero(keep)
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        run = range(a + 1, b)
        if not run or certain[a + 1 : b].any():
            continue
        same_table = blocks[a + 1].table and all(
            blocks[i].table == blocks[a + 1].table for i in run
        )
        if same_table:
            links = sum(blocks[i].link_chars for i in run) / max(
                1, sum(len(blocks[i].text) for i in run)
            )
            if links < 0.5:
                keep[a + 1 : b] = True
        elif len(run) <= d.gap_blocks and (proba[a + 1 : b] >= d.gap_proba).all():
            keep[a + 1 : b] = True
    return keep

"""Repeated text inside one page (teasers, summary lists, hidden copies of the story) kept only once."""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain

_WORD = re.compile(r"\w+")
COVERED = 0.8  # share of a block's shingles found in another kept block
TEASER_COVERED = 0.5  # a block ending in "..." that mostly repeats a paragraph is its teaser
MIN_SHINGLES = 5  # short lines (table cells, "Photo") may well repeat inside a story
LONG = 60  # a paragraph this long that appears twice is a copy wherever it sits
FAR = (
    3  # copies this many elements apart are separate page regions, not a story that repeats itself
)


def _shingles(text: str) -> set[str]:
    # strings, not hash(): the result must not depend on PYTHONHASHSEED
    tokens = _WORD.findall(text.lower())
    return set(map(" ".join, zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False)))


def _common_depth(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return depth


def repeated(texts: list[str], ancestors: list[tuple[int, ...]]) -> set[int]:
    """Indexes of texts that mostly copy another kept text from a distant part of the page.

    Shortest first, so a teaser or a summary goes and the full paragraph stays. Repeats close
    together in the DOM (the same ingredient in three menus) are content and stay.
    """
    grams = [_shingles(t) for t in texts]
    # holders of every shingle that more than one text has (the others are never shared)
    counts = Counter(chain.from_iterable(grams))
    owners: dict[str, set[int]] = {}
    for i, g in enumerate(grams):
        for s in g:
            if counts[s] > 1:
                owners.setdefault(s, set()).add(i)
    dropped: set[int] = set()
    for i in sorted(range(len(texts)), key=lambda i: (len(texts[i]), -i)):
        g = grams[i]
        if len(g) < MIN_SHINGLES:
            continue
        sources: Counter[int] = Counter()
        shared = 0
        for s in g & owners.keys():
            holders = owners[s]  # holds i (only dropped texts leave, and each is seen once)
            if len(holders) > 1:
                shared += 1
                sources.update(holders)
        del sources[i]
        teaser = texts[i].rstrip().endswith(("...", "…"))
        if shared < (TEASER_COVERED if teaser else COVERED) * len(g):
            continue
        # the most shared source, ties to the earliest block (never set or hash order)
        j = min(sources, key=lambda k: (-sources[k], k))
        if (
            teaser
            or len(g) >= LONG
            or len(ancestors[i]) - _common_depth(ancestors[i], ancestors[j]) >= FAR
        ):
            dropped.add(i)
            for s in g & owners.keys():
                owners[s].discard(i)
    return dropped

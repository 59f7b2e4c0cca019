"""An article's blocks in reading order: body paragraphs with the cut blocks where they stood."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# `articles.removed` is JSON text today and may become LIST(STRUCT(text, reason, position)):
# to_json() gives the same JSON text for both, so every reader goes through this expression.
REMOVED_AS_JSON = "to_json({column})"


def removed_as_json(column: str = "a.removed") -> str:
    """SQL that reads `removed` as JSON text, whether the column is JSON or a list of structs."""
    return REMOVED_AS_JSON.format(column=column)


@dataclass(slots=True, frozen=True)
class Cut:
    """A block the extractor cut, with why; position = body paragraphs before it (None: unknown)."""

    text: str
    reason: str
    position: int | None = None


@dataclass(slots=True, frozen=True)
class Block:
    """One block of the page as a reader meets it: kept body text, or a cut block and its reason."""

    text: str
    reason: str | None = None  # None: kept in the body

    @property
    def kept(self) -> bool:
        return self.reason is None


def parse_removed(value: str | None) -> list[Cut]:
    """The cut blocks from the JSON text `removed_as_json` gives (tolerates nulls and junk)."""
    if not value:
        return []
    try:
        items = json.loads(value)
    except (TypeError, ValueError):
        return []
    if not isinstance(items, list):
        return []
    return [cut for cut in (_cut(item) for item in items) if cut is not None]


def _cut(item: Any) -> Cut | None:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return None
    position = item.get("position")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        position = None
    return Cut(item["text"], str(item.get("reason") or "cut"), position)


def reading_order(body: str, cuts: list[Cut]) -> tuple[list[Block], list[Cut]]:
    """The body's paragraphs ("\\n\\n"-separated) with each placed cut block before paragraph
    `position` (past the end: after the last one); and the cut blocks whose position is unknown."""
    paragraphs = body.split("\n\n") if body else []
    placed: dict[int, list[Cut]] = {}
    unplaced: list[Cut] = []
    for cut in cuts:  # stable: blocks at one position keep the extractor's (reading) order
        if cut.position is None:
            unplaced.append(cut)
        else:
            placed.setdefault(min(cut.position, len(paragraphs)), []).append(cut)
    blocks: list[Block] = []
    for index in range(len(paragraphs) + 1):
        blocks.extend(Block(cut.text, cut.reason) for cut in placed.get(index, ()))
        if index < len(paragraphs) and paragraphs[index].strip():
            blocks.append(Block(paragraphs[index]))
    return blocks, unplaced

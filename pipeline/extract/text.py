"""The plain-text path: a page dump becomes line blocks, classified like HTML blocks, then smoothed.

The block classifier (trained on ScrapingHub pages rendered as lines, without DOM features) scores
each line; rules name certain clutter; smoothing keeps short lines between body paragraphs
(subheadings) and cuts runs of headline-like lines after the story (listings). Headline, byline
and dateline become fields.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipeline.extract.blocks import Block
from pipeline.extract.features import label_kinds, page_features
from pipeline.extract.langid import detect_language
from pipeline.extract.model import TEXT_MODEL_PATH, TreeModel, load_model
from pipeline.extract.rules import (
    LISTING_HEADERS,
    STANDFIRST_LABELS,
    WIDGET_LABELS,
    long_block_kind,
    start_kind,
)
from pipeline.extract.textmeta import find_author, find_date, is_byline, is_dateline
from pipeline.models import Article, Drop, ExtractResult, Removed

MAX_LINES = 5000
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$")
_BULLET = re.compile(r"^[•·▪►*–-]\s")
_SENT_END = re.compile(r"[.!?…\"”’)»]$")
_WORD = re.compile(r"\w+")


def text_blocks(text: str) -> list[Block]:
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [Block(line, "line", index=i) for i, line in enumerate(x for x in lines if x)]


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _is_prose(text: str) -> bool:
    return _words(text) >= 12 and bool(_SENT_END.search(text.rstrip()))


def _foreign_script(text: str, body_sample: str) -> bool:
    """A line in a script (Arabic, Cyrillic, ...) that the story does not use: a sister-site name."""

    def script(s: str) -> set[str]:
        return {("latin" if ord(c) < 0x250 else hex(ord(c) >> 8)) for c in s if c.isalpha()}

    line_script, body_script = script(text), script(body_sample)
    return bool(line_script) and not (line_script & body_script)


def extract_text(
    text: str, *, url: str | None = None, model: TreeModel | None = None
) -> ExtractResult:
    blocks = text_blocks(text)
    overflow = [
        Removed(b.text, "overflow") for b in blocks[MAX_LINES:]
    ]  # keeps the time per page bounded
    del blocks[MAX_LINES:]
    if not blocks:
        return Drop("empty")
    model = model or load_model(TEXT_MODEL_PATH)
    label_kinds(blocks)
    proba = model.predict_proba(page_features(blocks))
    texts = [b.text for b in blocks]
    reasons = _rule_reasons(blocks)
    description = _standfirst(texts, reasons)
    core = [
        i
        for i, t in enumerate(texts)
        if reasons[i] is None and _is_prose(t) and proba[i] >= CORE_PROBA
    ]
    if not core:
        return Drop("no-main-content")
    first, last = _grow(core[0], core[-1], texts, reasons, proba)
    for i in range(
        first, last + 1
    ):  # a listing header inside the story is cut; its lines are judged alone
        if LISTING_HEADERS.match(texts[i]) and reasons[i] is None:
            reasons[i] = "related"
    context = _Context(
        title=_pick_title(texts[:first], reasons),
        author=find_author(texts, first, last),
        body_sample=" ".join(texts[j] for j in core[:5]),
    )
    body: list[str] = []
    removed: list[Removed] = []
    in_listing = False
    for i, t in enumerate(texts):
        in_listing = in_listing or (i > last and reasons[i] == "related")
        reason = reasons[i] or (
            _outside_reason(t, context, in_listing)
            if i < first or i > last
            else _inside_reason(t, context)
        )
        if reason is None:
            body.append(t)
        else:
            removed.append(Removed(t, reason, len(body)))
    body_text = "\n\n".join(body)
    return Article(
        body=body_text,
        title=context.title,
        author=context.author,
        published=find_date(texts[:first]),
        language=detect_language(body_text),
        description=description,
        canonical_url=url if url and not url.startswith("file:") else None,
        removed=removed + [Removed(o.text, o.reason, len(body)) for o in overflow],
    )


CORE_PROBA = 0.5


@dataclass(slots=True, frozen=True)
class _Context:
    title: str | None
    author: str | None
    body_sample: str  # the first story paragraphs, to tell a foreign script


def _rule_reasons(blocks: list[Block]) -> list[str | None]:
    """Per line, the clutter kind that rules name: phrases, widget labels, paragraphs printed twice."""
    counts = Counter(b.text for b in blocks)
    reasons: list[str | None] = []
    for b in blocks:
        t = b.text
        # a story sentence may mention a donation or a cookie: prose needs the stricter test
        kind = start_kind(t) or long_block_kind(t) if len(t) >= 300 or _is_prose(t) else b.kind
        if kind is None and WIDGET_LABELS.match(t):
            kind = "author-bio" if "author" in t.lower() else "chrome"
        if kind is None and counts[t] > 1 and _is_prose(t):
            kind = "author-bio"  # a paragraph printed twice is a widget (author box), not the story
        reasons.append(kind)
    return reasons


def _standfirst(texts: list[str], reasons: list[str | None]) -> str | None:
    """Standfirst boxes: a label line ("Summary") and the paragraph under it; the first is the description."""
    description = None
    for i, t in enumerate(texts[:-1]):
        if STANDFIRST_LABELS.match(t) and reasons[i + 1] is None:
            reasons[i] = "chrome"
            reasons[i + 1] = "standfirst"
            description = description or texts[i + 1]
    return description


def _inside_reason(t: str, context: _Context) -> str | None:
    """Why a line inside the story is cut, or None when it is story."""
    if context.title and t == context.title:
        return "title"
    if is_byline(t):
        return "byline"
    if context.author and t == context.author:
        return "author-bio"
    if _foreign_script(t, context.body_sample):
        return "cross-promo"
    if not _is_prose(t) and _words(t) <= 3 and (t.isdigit() or t.islower()):
        return "share"  # counters and tag chips ("37", "putin")
    return None


GROW_PROBA = 0.1  # prose next to the story is story unless a rule names it
GROW_GAP = 2


def _grow(
    first: int, last: int, texts: list[str], reasons: list[str | None], proba: np.ndarray
) -> tuple[int, int]:
    """Widen the story to likely prose next to it: a paragraph after a subheading is still the story."""

    def extend(start: int, step: int) -> int:
        edge, gap, i = start, 0, start + step
        while 0 <= i < len(texts) and gap <= GROW_GAP:
            if reasons[i] is None and _is_prose(texts[i]) and proba[i] >= GROW_PROBA:
                edge, gap = i, 0
            else:
                gap += 1
            i += step
        return edge

    return extend(first, -1), extend(last, 1)


def _pick_title(head: list[str], reasons: list[str | None]) -> str | None:
    best = None
    for i, t in enumerate(head):
        if reasons[i] or _URL_LINE.match(t) or _BULLET.match(t) or is_byline(t) or is_dateline(t):
            continue
        if 3 <= _words(t) <= 30 and (best is None or _words(t) > _words(best)):
            best = t
    return best


def _outside_reason(t: str, context: _Context, in_listing: bool) -> str:
    """Why a line before or after the story is cut."""
    title, author = context.title, context.author
    if title and t == title:
        return "title"
    if is_byline(t):
        return "byline"
    if is_dateline(t):
        return "dateline"
    if author and author in t:
        return "author-bio"
    if LISTING_HEADERS.match(t) or in_listing:
        return "related"
    if _foreign_script(t, context.body_sample):
        return "cross-promo"
    if _words(t) <= 2 and (t.isdigit() or t.islower()):
        return "share"
    return "chrome"

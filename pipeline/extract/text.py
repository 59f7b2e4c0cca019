"""The plain-text path: page dumps become line blocks; headline, byline and dateline become fields."""

from __future__ import annotations

import re

from pipeline.extract.langid import detect_language
from pipeline.extract.rules import LISTING_HEADERS, clutter_kind
from pipeline.models import Article, Drop, ExtractResult, Removed

_BYLINE = re.compile(r"^by\s+([A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|al|bin|and|&)){0,5})\s*$", re.I)
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)»]\s*$")


def _words(text: str) -> int:
    return len(text.split())


def _is_prose(text: str) -> bool:
    return _words(text) >= 15 and bool(re.search(r"[.!?”\"]", text))


def extract_text(text: str, *, url: str | None = None) -> ExtractResult:
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line and not line.isspace()]
    if not lines:
        return Drop("empty")
    removed: list[Removed] = []
    prose_idx = [i for i, line in enumerate(lines) if _is_prose(line)]
    if not prose_idx:
        return Drop("no-main-content")
    first, last = prose_idx[0], prose_idx[-1]
    title = author = None
    for i, line in enumerate(lines[:first]):
        m = _BYLINE.match(line)
        if m and author is None:
            author = m.group(1).strip()
        elif title is None and 4 <= _words(line) <= 30 and not _URL_LINE.match(line) and not clutter_kind(line):
            title = line
    body: list[str] = []
    in_listing = False
    for i, line in enumerate(lines):
        kind = clutter_kind(line) if len(line) < 400 or i > last else None
        if i < first:
            reason = "title" if line == title else "byline" if _BYLINE.match(line) else kind or "chrome"
            removed.append(Removed(line, reason))
            continue
        if LISTING_HEADERS.match(line):
            in_listing = True
        if in_listing and not _is_prose(line):
            removed.append(Removed(line, "related"))
            continue
        in_listing = False
        if kind:
            removed.append(Removed(line, kind))
        elif i > last and not _is_prose(line):
            removed.append(Removed(line, "chrome"))
        elif title and line == title:
            removed.append(Removed(line, "title"))
        elif _BYLINE.match(line):
            removed.append(Removed(line, "byline"))
        else:
            body.append(line)
    body_text = "\n\n".join(body)
    return Article(
        body=body_text,
        title=title,
        author=author,
        language=detect_language(body_text),
        canonical_url=url,
        removed=removed,
    )

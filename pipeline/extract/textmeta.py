"""Metadata from plain text: "By ..." bylines, datelines and dates, author names."""

from __future__ import annotations

import re
from datetime import date

_NAME_WORD = r"[A-ZÀ-Þ][\w.'’-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|de|da|van|von|der|al|bin|la|le|di))" + r"{1,4}"
_BYLINE = re.compile(
    rf"^(?:by|von|par|por|di|door)\s+({_NAME}(?:\s*(?:,|and|&|und|et|y|e)\s*{_NAME})*)\s*$",
    re.IGNORECASE,
)
_NAME_LINE = re.compile(rf"^{_NAME}$")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DATE_MDY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b",
    re.IGNORECASE,
)
_DATE_DMY = re.compile(
    r"\b(\d{1,2})\.?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})\b",
    re.IGNORECASE,
)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATELINE = re.compile(r"^[A-Z][\w .'-]{1,40}(?:\s*\([A-Z]{2,6}\))?\s*[,.]?\s*")


def parse_text_date(text: str) -> date | None:
    for pattern, order in ((_DATE_ISO, "ymd"), (_DATE_MDY, "mdy"), (_DATE_DMY, "dmy")):
        m = pattern.search(text)
        if not m:
            continue
        parts = dict(zip(order, m.groups(), strict=False))
        month = parts["m"]
        month = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
        try:
            return date(int(parts["y"]), month, int(parts["d"]))
        except ValueError:
            continue
    return None


# Bylines are short; the name patterns nest quantifiers, so longer lines must never reach them
# (a 300-character paragraph starting with "By ..." backtracks for minutes).
_BYLINE_MAX_CHARS = 120


def is_byline(text: str) -> bool:
    return byline_name(text) is not None


def is_dateline(text: str) -> bool:
    """A short line that only places and dates the story ("New Delhi (AFP) Dec 4, 2025")."""
    words = text.split()
    return (
        len(words) <= 10
        and parse_text_date(text) is not None
        and not text.rstrip().endswith((".", "!", "?"))
    )


def byline_name(text: str) -> str | None:
    text = text.strip()
    if len(text) > _BYLINE_MAX_CHARS:
        return None
    m = _BYLINE.match(text)
    return m.group(1).strip() if m else None


def looks_like_name(text: str) -> bool:
    return len(text) <= 40 and bool(_NAME_LINE.match(text.strip()))


def find_author(lines: list[str], first: int, last: int) -> str | None:
    """The byline before the story; else a name line that repeats or opens a bio after the story."""
    for t in lines[: first + 1]:
        name = byline_name(t)
        if name:
            return name
    tail = lines[last + 1 :]
    for _i, t in enumerate(tail):
        if looks_like_name(t) and (tail.count(t) > 1 or any(u.startswith(t + " ") for u in tail)):
            return t
    return None


def find_date(lines: list[str]) -> date | None:
    for t in lines:
        if len(t.split()) <= 12:
            d = parse_text_date(t)
            if d:
                return d
    return None

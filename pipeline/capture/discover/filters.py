"""Source filters on discovered items: include/exclude regexes, a since: date, a count cap."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from pipeline.capture.discover.dates import to_utc
from pipeline.errors import DiscoveryError
from pipeline.models import SourceItem

__all__ = ["filter_items"]


def filter_items(
    items: Iterable[SourceItem],
    include: str | None = None,
    exclude: str | None = None,
    max_items: int | None = None,
    since: datetime | date | None = None,
) -> list[SourceItem]:
    """Keep items whose URL matches `include` and not `exclude` (regexes, searched), published
    at or after `since` (undated items are kept; naive datetimes are UTC), at most `max_items`,
    in their given order."""
    try:
        keep = re.compile(include) if include else None
        drop = re.compile(exclude) if exclude else None
    except re.error as exc:
        raise DiscoveryError(f"bad include/exclude regex: {exc}") from exc
    cutoff = to_utc(since)
    out: list[SourceItem] = []
    for item in items:
        if max_items is not None and len(out) >= max_items:
            break
        if keep is not None and not keep.search(item.url):
            continue
        if drop is not None and drop.search(item.url):
            continue
        published = to_utc(item.published)
        if cutoff is not None and published is not None and published < cutoff:
            continue
        out.append(item)
    return out

"""Dates from feeds and sitemaps, bounded to what the warehouse and Python can both hold."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

__all__ = ["EARLIEST", "LATEST", "from_struct_time", "parse_w3c_date", "to_utc"]

# Python datetimes end at years 1 and 9999; a value within a day of either end overflows when
# a reader shifts it to a local time zone (DuckDB TIMESTAMPTZ -> Python), so those become None.
EARLIEST = datetime(1, 1, 1, tzinfo=UTC) + timedelta(days=1)
LATEST = datetime(9999, 12, 31, tzinfo=UTC) - timedelta(days=1)


def to_utc(moment: object) -> datetime | None:
    """An aware UTC datetime (naive ones are taken as UTC, dates as midnight), or None when the
    moment lies outside [EARLIEST, LATEST], cannot be shifted to UTC at all, or is not a date
    (usp hands back "" for an empty <lastmod>)."""
    if not isinstance(moment, date):
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):  # 9999-12-31T23:59:59-14:00, 0001-01-01T00:00+14:00
        return None
    return utc if EARLIEST <= utc <= LATEST else None


def parse_w3c_date(text: str | None) -> datetime | None:
    """W3C datetime as sitemaps and JSON Feed use it ("2024-05-01", "2024-05-01T10:00:00Z",
    "+02:00" offsets), in UTC; None for junk and out-of-range dates."""
    if not text:
        return None
    text = text.strip()[:64]
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return to_utc(date.fromisoformat(text[:10]))
    except ValueError:
        return None


def from_struct_time(value: time.struct_time | tuple[int, ...] | None) -> datetime | None:
    """feedparser's parsed dates (UTC struct_time) as datetimes; year 0 or 10000 gives None."""
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return to_utc(datetime(year, month, day, hour, minute, second, tzinfo=UTC))
    except (TypeError, ValueError, OverflowError):
        return None

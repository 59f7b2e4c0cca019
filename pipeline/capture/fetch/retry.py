"""Retry timing: exponential backoff with jitter and Retry-After parsing (pure functions)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pipeline.capture.fetch.policy import FetchPolicy


def backoff_s(attempt: int, policy: FetchPolicy, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1-based): base * 2**(attempt-1), capped, full jitter.

    "Equal jitter": half the delay is fixed, half random, so retries never bunch up at zero
    and hosts that failed together do not retry together.
    """
    raw = min(policy.backoff_max_s, policy.backoff_base_s * (2 ** max(attempt - 1, 0)))
    rand = (rng or random).random()
    return raw / 2 + raw / 2 * rand


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)  # lenient: some servers send "1.5"
    except ValueError:
        pass
    else:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)

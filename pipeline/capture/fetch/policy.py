"""FetchPolicy: the one table of fetch defaults and limits (sources.yaml `defaults:` override it)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_USER_AGENT = "pipeline-news-corpus/0.1 (+https://github.com/; research crawler)"

# Statuses worth retrying: throttling and transient server failures (scrapy's RETRY_HTTP_CODES).
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

FEED_TYPES: frozenset[str] = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
        "text/xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-gzip",
        "application/gzip",
    }
)

# Control characters (CR and LF included) have no place in a header value; TAB is allowed by
# RFC 9110 but is never what a user meant in a User-Agent.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_header_value(value: str, what: str) -> str:
    """`value` if it can be sent as an HTTP header value as is; ValueError saying why if not."""
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(
            f"{what} must be one line of printable characters; "
            f"found {bad.group()!r} at position {bad.start()}"
        )
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    if value != value.strip():
        raise ValueError(f"{what} must not start or end with spaces")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{what} must be Latin-1 text (HTTP header bytes); "
            f"{value[exc.start : exc.end]!r} at position {exc.start} is not"
        ) from exc
    return value


class FetchPolicy(BaseModel):
    """How politely and how far one source is fetched. Units are in the names.

    The single table of fetch defaults and their bounds: `config.Settings` adds what is not
    about fetching (e.g. `refresh_after_h`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = DEFAULT_USER_AGENT
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    delay_s: float = Field(default=1.0, ge=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    total_timeout_s: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=10, ge=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    retry_after_max_s: float = Field(default=120.0, ge=0)
    respect_robots: bool = True
    # robots.txt crawl-delay/request-rate raise delay_s, but never beyond this cap.
    crawl_delay_max_s: float = Field(default=60.0, ge=0)
    # Circuit breaker: after this many consecutive failed attempts (connect errors, timeouts,
    # 429/5xx) a host is skipped ("circuit-open") for breaker_cooldown_s; None = rest of the run.
    breaker_failures: int = Field(default=10, ge=1)
    breaker_cooldown_s: float | None = Field(default=None, ge=0)
    # URLs found in content (redirect targets, feed items, links) may point to loopback,
    # private, link-local, ... addresses only when this is set (see the fetch package docs).
    allow_private_addresses: bool = False

    @field_validator("user_agent")
    @classmethod
    def _header_safe(cls, value: str) -> str:
        return check_header_value(value, "user_agent")

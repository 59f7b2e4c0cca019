"""FetchPolicy: the per-source knobs of politeness and limits, built from sources.yaml."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "pipeline-news-corpus/0.1 (+https://github.com/; research crawler)"

# Statuses worth retrying: throttling and transient server failures (scrapy's RETRY_HTTP_CODES).
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

# Content types that are extracted; anything else is recorded as skipped.
EXTRACTABLE_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
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


@dataclass(slots=True, frozen=True)
class FetchPolicy:
    """How politely and how far one source is fetched. Units are in the names."""

    user_agent: str = DEFAULT_USER_AGENT
    per_host_concurrency: int = 2
    delay_s: float = 1.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    max_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 120.0
    respect_robots: bool = True
    # Added by the fetch issue (defaults keep older call sites valid):
    # robots.txt crawl-delay/request-rate raise delay_s, but never beyond this cap.
    crawl_delay_max_s: float = 60.0
    # Circuit breaker: after this many consecutive failed attempts (connect errors, timeouts,
    # 429/5xx) a host is skipped ("circuit-open") for breaker_cooldown_s; None = rest of the run.
    breaker_failures: int = 10
    breaker_cooldown_s: float | None = None

"""Fetching: a polite, fault-tolerant async HTTP fetcher (robots, pacing, retries, limits).

    async with Fetcher(global_concurrency=16) as fetcher:
        result = await fetcher.fetch(url, source="name", policy=FetchPolicy(...),
                                     validators=Validators(etag=..., last_modified=...))

`fetch()` never raises for network or HTTP trouble: the FetchResult has a `status` (any, 304
and 404 included) or an `error` whose prefix is machine-readable: `timeout:`, `connect:`,
`network:`, `tls:`, `too-large:`, `decompression-bomb:`, `decode:`, `robots-disallowed:`,
`too-many-redirects:`, `circuit-open:`, `invalid-url:`, `http:`, `internal:`.

Politeness, per Fetcher (one per run), with FetchPolicy defaults (sources.yaml `defaults:` or a
source overrides them):
- robots.txt per origin, fetched once, RFC 9309: 4xx = no rules, 5xx = disallow everything,
  unreachable = the page reports the same error; every redirect hop is checked too.
- per host at most `per_host_concurrency` (2) requests in flight, request starts at least
  `delay_s` (1.0 s) apart, measured from when a request is on the wire; robots.txt
  Crawl-delay / Request-rate raise the delay (up to `crawl_delay_max_s`, 60 s);
  at most `global_concurrency` requests in flight overall; hosts run in parallel.
- retries (`max_retries`, 3) on connect errors, timeouts, 429, 500, 502, 503, 504 with
  exponential backoff and jitter (`backoff_base_s` 1 s doubling up to `backoff_max_s` 60 s);
  Retry-After (seconds or HTTP date) is obeyed and pauses the whole host; a Retry-After above
  `retry_after_max_s` (120 s) ends the retries instead.
- circuit breaker: `breaker_failures` (10) consecutive failed attempts on a host and the rest of
  its URLs fail fast with `circuit-open` for `breaker_cooldown_s` (None: the rest of the run).
- limits: `connect_timeout_s` 10, `read_timeout_s` 30, `total_timeout_s` 60 per attempt (body
  included), `max_bytes` 10 MiB enforced while streaming and after gzip/deflate decoding,
  `max_redirects` 10 (followed by hand, each hop recorded).
"""

from pipeline.capture.fetch.fetcher import Fetcher
from pipeline.capture.fetch.policy import FetchPolicy
from pipeline.capture.fetch.validators import Validators

__all__ = ["Fetcher", "FetchPolicy", "Validators"]

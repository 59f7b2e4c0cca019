"""Fetching: a polite, fault-tolerant async HTTP fetcher on httpx (robots, pacing, retries, limits).

    async with Fetcher(global_concurrency=16, on_robots=archive) as fetcher:
        result = await fetcher.fetch(url, source="name", policy=FetchPolicy(...),
                                     validators=Validators(etag=..., last_modified=...),
                                     allow_private=url_named_in_sources_yaml)

`fetch()` never raises for network or HTTP trouble: the FetchResult has a `status` (any, 304
and 404 included) or an `error` whose prefix is machine-readable: `timeout:`, `connect:`,
`network:`, `tls:`, `too-large:`, `decompression-bomb:`, `decode:`, `robots-disallowed:`,
`too-many-redirects:`, `circuit-open:`, `invalid-url:`, `blocked-address:`, `http:`,
`internal:`. `result.exchanges` lists every request that went out (attempts, redirect hops)
with its response as received, for the archive; robots.txt fetches go to `on_robots`.

Politeness, per Fetcher (one per run), with FetchPolicy defaults (sources.yaml `defaults:` or a
source overrides them):
- robots.txt per origin, fetched once, RFC 9309: 4xx = no rules, 5xx = disallow everything,
  unreachable = the page reports the same error, over 512 KiB = the first 512 KiB; every
  redirect hop is checked too.
- per host at most `per_host_concurrency` (2) requests in flight, request starts at least
  `delay_s` (1.0 s) apart, measured from when a request's head is on the wire (httpcore's
  trace extension); robots.txt Crawl-delay / Request-rate raise the delay (up to
  `crawl_delay_max_s`, 60 s); at most `global_concurrency` requests in flight overall; hosts
  run in parallel.
- retries (`max_retries`, 3) on connect errors, timeouts, 429, 500, 502, 503, 504 with
  exponential backoff and jitter (`backoff_base_s` 1 s doubling up to `backoff_max_s` 60 s);
  Retry-After (seconds or HTTP date) is obeyed and pauses the whole host; a Retry-After above
  `retry_after_max_s` (120 s) ends the retries instead.
- circuit breaker: `breaker_failures` (10) consecutive failed attempts on a host and the rest of
  its URLs fail fast with `circuit-open` for `breaker_cooldown_s` (None: the rest of the run).
- limits: `connect_timeout_s` 10, `read_timeout_s` 30, `total_timeout_s` 60 per attempt (body
  included), `max_bytes` 10 MiB enforced while streaming and after gzip/deflate decoding,
  `max_redirects` 10 (followed by hand, each hop recorded).

Addresses (no SSRF by default). A request whose host resolves (every address, after DNS) to a
loopback, private (RFC 1918, ULA), link-local (169.254/16 and its cloud metadata services,
fe80::/10), multicast, unspecified, reserved or otherwise non-global address fails with
`blocked-address:` and is never connected: the check happens at connect time, in the network
backend, which then connects to the address it vetted (no second lookup to rebind). The rule
callers apply:
- a URL named in sources.yaml may point anywhere: `fetch(..., allow_private=True)`;
- a URL found in content (feed items, sitemap entries, links) may not, unless the source that
  found it is itself on such an address (`await fetcher.is_private(source_url)`) or the
  policy says `allow_private_addresses: true`;
- redirect targets are found content, and the fetcher applies the rule itself: a hop to a
  non-public address is followed only if the starting URL's host is itself on one (and was
  allowed), or the policy allows it.
Through a proxy the proxy resolves names: the fetcher then refuses only what the URL says
(non-public IP literals, `localhost`), and the proxy must enforce the rest.
"""

from pipeline.capture.fetch.fetcher import Fetcher, RobotsCallback
from pipeline.capture.fetch.policy import FetchPolicy
from pipeline.capture.fetch.validators import Validators
from pipeline.models import Exchange, FetchResult

__all__ = ["Exchange", "FetchPolicy", "FetchResult", "Fetcher", "RobotsCallback", "Validators"]

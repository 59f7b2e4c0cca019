"""The Fetcher: one HTTP client plus robots, pacing, retries and breakers, shared by all fetches."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpcore
import httpx

from pipeline.capture.fetch.decode import BodyTooLarge, BoundedDecoder, DecodeFailed, accept_encoding
from pipeline.capture.fetch.netbackend import REQUEST_SENT
from pipeline.capture.fetch.pacing import CircuitBreaker, Pacer
from pipeline.capture.fetch.policy import RETRY_STATUSES, FetchPolicy
from pipeline.capture.fetch.retry import backoff_s, parse_retry_after
from pipeline.capture.fetch.robots import (
    ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS,
    RobotsRules,
    rules_from_result,
)
from pipeline.capture.fetch.transport import OriginPools, RawResponse
from pipeline.capture.fetch.validators import Validators
from pipeline.models import FetchResult

log = logging.getLogger(__name__)

REDIRECT_STATUSES: frozenset[int] = frozenset({301, 302, 303, 307, 308})
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"


class _Failure(Exception):
    """An attempt failed without a usable response; `error` is the FetchResult.error string."""

    def __init__(self, error: str, *, retryable: bool = False, counts: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable  # worth another attempt (network trouble, timeouts)
        self.counts = counts  # counts towards the host's circuit breaker


@dataclass(slots=True)
class _Response:
    status: int
    location: str | None
    retry_after: str | None


def _checked_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _Failure(f"invalid-url: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Failure(f"invalid-url: need an http(s) URL with a host, got {str(url)[:200]!r}")
    return parsed


def _host_key(url: httpx.URL) -> str:
    """Politeness is per machine name: http and https, all ports of a host share one pace."""
    return url.host.lower()


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _translate(exc: httpcore.TimeoutException | httpcore.NetworkError | Exception) -> _Failure:
    """httpcore errors -> our short machine-readable error strings, at the boundary."""
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, httpcore.TimeoutException):
        return _Failure(f"timeout: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpcore.ConnectError):
        if _caused_by(exc, ssl.SSLError):  # a bad certificate will not get better by retrying
            return _Failure(f"tls: {detail}")
        return _Failure(f"connect: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpcore.ProxyError):
        return _Failure(f"connect: proxy: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpcore.UnsupportedProtocol):
        return _Failure(f"invalid-url: {detail}")
    if isinstance(exc, (httpcore.RemoteProtocolError, httpcore.NetworkError)):
        return _Failure(f"network: {detail}", retryable=True, counts=True)
    return _Failure(f"http: {detail}")


class Fetcher:
    """Fetch many URLs concurrently and politely; `fetch()` returns a FetchResult, never raises
    for network or HTTP trouble.

    Per Fetcher (i.e. per run): connection pools, a robots.txt cache per origin, pacing state
    and a circuit breaker per host. Use as `async with Fetcher(...) as fetcher:`.

    `proxy` overrides the *_proxy environment variables (read when `trust_env`); `verify` is
    True (certifi CAs), False, or an ssl.SSLContext. No cookies are
    kept: every request is stateless.
    """

    def __init__(
        self,
        global_concurrency: int = 16,
        *,
        trust_env: bool = True,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.global_concurrency = global_concurrency
        self._verify = verify
        self._trust_env = trust_env
        self._proxy = proxy
        self._rng = rng or random.Random()
        self._pacer = Pacer(global_concurrency)
        self._breaker = CircuitBreaker()
        self._robots: dict[str, asyncio.Future[RobotsRules]] = {}
        self._pools: OriginPools | None = None

    async def __aenter__(self) -> Fetcher:
        self._pools = OriginPools(trust_env=self._trust_env, proxy=self._proxy, verify=self._verify)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._robots.values():
            task.cancel()
        await asyncio.gather(*self._robots.values(), return_exceptions=True)
        if self._pools is not None:
            await self._pools.aclose()
            self._pools = None

    async def fetch(
        self,
        url: str,
        source: str,
        policy: FetchPolicy | None = None,
        validators: Validators | None = None,
    ) -> FetchResult:
        """Fetch one URL; the result has a status (any, incl. 304/404) or an `error`.

        `duration_s` is time spent on the network (all attempts and hops), not time queued
        behind politeness; `attempts` is 1 + the number of retries; `redirects` lists the URLs
        that answered with a redirect, `final_url` the last one requested. When an error hits
        after the response head (too-large, bomb, timeout in the body), `status` and `headers`
        are kept and `body` is empty. A gzip/deflate body is handed on decoded, and its headers
        say so: Content-Encoding/Content-Length become X-Original-*, plus the decoded length.
        """
        if self._pools is None:
            raise RuntimeError("use `async with Fetcher() as fetcher:` before fetch()")
        policy = policy or FetchPolicy()
        result = FetchResult(url=url, source=source)
        extra = validators.headers() if validators else []
        try:
            await self._follow(url, policy, extra, result)
        except _Failure as failure:
            result.error = failure.error
            result.body = b""
        except (ValueError, UnicodeError, LookupError) as exc:
            # A URL or header no layer rejected earlier: one odd page must not end the run.
            log.warning("fetch %s failed unexpectedly", url, exc_info=True)
            result.error = f"internal: {type(exc).__name__}: {exc}"
            result.body = b""
        if result.fetched_at is None:
            result.fetched_at = datetime.now(UTC)
        return result

    async def _follow(
        self, url: str, policy: FetchPolicy, extra: list[tuple[str, str]], result: FetchResult
    ) -> None:
        """Follow redirects by hand so every hop is checked against robots and recorded."""
        current = _checked_url(url)
        for _hop in range(policy.max_redirects + 1):
            delay_s = policy.delay_s
            if policy.respect_robots:
                rules = await self._rules(current, policy)
                if rules.error is not None:
                    raise _Failure(rules.error)
                if not rules.allowed(str(current), policy.user_agent):
                    raise _Failure(
                        f"robots-disallowed: {current.raw_path.decode()} ({rules.reason})"
                    )
                delay_s = max(
                    delay_s, min(rules.delay_s(policy.user_agent), policy.crawl_delay_max_s)
                )
            response = await self._with_retries(current, policy, delay_s, extra, result)
            if response.status in REDIRECT_STATUSES and response.location:
                result.redirects.append(str(current))
                try:
                    current = _checked_url(current.join(response.location))
                except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
                    raise _Failure(
                        f"invalid-url: redirect to {response.location!r}: {exc}"
                    ) from exc
                continue
            return
        raise _Failure(
            f"too-many-redirects: more than {policy.max_redirects} (last {str(current)[:200]})"
        )

    async def _rules(self, url: httpx.URL, policy: FetchPolicy) -> RobotsRules:
        """robots.txt of the URL's origin, fetched once per Fetcher and shared by all callers."""
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        task = self._robots.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._load_robots(origin, policy))
            self._robots[origin] = task
        if task.done():
            return task.result()
        return await asyncio.shield(task)  # a cancelled fetch must not cancel the shared load

    async def _load_robots(self, origin: str, policy: FetchPolicy) -> RobotsRules:
        robots_policy = replace(
            policy,
            respect_robots=False,
            max_bytes=ROBOTS_MAX_BYTES,
            max_redirects=ROBOTS_MAX_REDIRECTS,
        )
        result = FetchResult(url=f"{origin}/robots.txt", source="robots.txt")
        try:
            await self._follow(result.url, robots_policy, [], result)
        except _Failure as failure:
            result.error = failure.error
        return rules_from_result(result)

    async def _with_retries(
        self,
        url: httpx.URL,
        policy: FetchPolicy,
        delay_s: float,
        extra: list[tuple[str, str]],
        result: FetchResult,
    ) -> _Response:
        host = _host_key(url)
        attempt = 0
        while True:
            if self._breaker.is_open(host):
                raise self._circuit_open(host)
            attempt += 1
            if attempt > 1:
                result.attempts += 1
            try:
                response = await self._attempt(url, host, policy, delay_s, extra, result)
            except _Failure as failure:
                wait_s = self._after_failure(failure, host, attempt, policy)
            else:
                wait_s = self._after_response(response, host, attempt, policy)
                if wait_s is None:
                    return response
            await asyncio.sleep(wait_s)

    def _after_failure(
        self, failure: _Failure, host: str, attempt: int, policy: FetchPolicy
    ) -> float:
        """Seconds to wait before retrying a failed attempt; re-raises when it is final."""
        if failure.counts:
            self._breaker.record_failure(host, policy.breaker_failures, policy.breaker_cooldown_s)
        if not failure.retryable or attempt > policy.max_retries or self._breaker.is_open(host):
            raise failure
        return backoff_s(attempt, policy, self._rng)

    def _after_response(
        self, response: _Response, host: str, attempt: int, policy: FetchPolicy
    ) -> float | None:
        """Seconds to wait before retrying a 429/5xx; None when the response is the answer."""
        if response.status not in RETRY_STATUSES:
            self._breaker.record_success(host)
            return None
        self._breaker.record_failure(host, policy.breaker_failures, policy.breaker_cooldown_s)
        retry_after = parse_retry_after(response.retry_after)
        if (
            attempt > policy.max_retries
            or self._breaker.is_open(host)
            or (retry_after is not None and retry_after > policy.retry_after_max_s)
        ):
            return None  # the 429/5xx is the answer; the caller records it
        wait_s = retry_after if retry_after is not None else backoff_s(attempt, policy, self._rng)
        if response.status == 429 or retry_after is not None:
            self._pacer.pause(host, wait_s)  # the whole host is asked to slow down
        return wait_s

    def _circuit_open(self, host: str) -> _Failure:
        failures = self._breaker.failures(host)
        return _Failure(f"circuit-open: host {host} after {failures} consecutive failures")

    async def _attempt(
        self,
        url: httpx.URL,
        host: str,
        policy: FetchPolicy,
        delay_s: float,
        extra: list[tuple[str, str]],
        result: FetchResult,
    ) -> _Response:
        async with self._pacer.slot(host, policy.per_host_concurrency, delay_s) as sent:
            if self._breaker.is_open(host):  # it may have opened while we queued for the slot
                raise self._circuit_open(host)
            started = time.monotonic()
            try:
                async with asyncio.timeout(policy.total_timeout_s):
                    return await self._send(url, policy, extra, result, sent)
            except TimeoutError as exc:
                raise _Failure(
                    f"timeout: total {policy.total_timeout_s}s exceeded",
                    retryable=True,
                    counts=True,
                ) from exc
            except (
                httpcore.TimeoutException,
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.ProxyError,
                httpcore.UnsupportedProtocol,
            ) as exc:
                raise _translate(exc) from exc
            finally:
                result.duration_s += time.monotonic() - started

    async def _send(
        self,
        url: httpx.URL,
        policy: FetchPolicy,
        extra: list[tuple[str, str]],
        result: FetchResult,
        sent: Callable[[], None],
    ) -> _Response:
        assert self._pools is not None
        headers = [
            ("Host", url.netloc.decode("ascii")),
            ("User-Agent", policy.user_agent),
            ("Accept", ACCEPT),
            ("Accept-Encoding", accept_encoding()),
            *extra,
        ]
        result.request_headers = headers
        timeouts = {
            "connect": policy.connect_timeout_s,
            "read": policy.read_timeout_s,
            "write": policy.read_timeout_s,
            "pool": None,
        }
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        token = REQUEST_SENT.set(sent)  # pacing counts from when the request really left
        try:
            response = await self._pools.request(url, raw_headers, timeouts)
        finally:
            REQUEST_SENT.reset(token)
        sent()  # no-op if the backend reported the send already; never later than this
        try:
            result.final_url = str(url)
            result.status = response.status
            result.headers = response.headers
            result.fetched_at = datetime.now(UTC)
            result.body = await _read_body(response, policy.max_bytes, result)
        finally:
            await response.aclose()
        return _Response(
            status=response.status,
            location=response.header("location"),
            retry_after=response.header("retry-after"),
        )


async def _read_body(response: RawResponse, max_bytes: int, result: FetchResult) -> bytes:
    """Stream the body, decoding Content-Encoding ourselves so the cap holds on decoded bytes."""
    declared = (response.header("content-length") or "").strip()
    encoding = response.header("content-encoding")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Failure(f"too-large: Content-Length {declared} > max_bytes={max_bytes}")
    try:
        decoder = BoundedDecoder(encoding, max_bytes)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        body = decoder.finish()
    except BodyTooLarge as exc:
        prefix = "decompression-bomb" if exc.bomb else "too-large"
        raise _Failure(f"{prefix}: {exc}") from exc
    except DecodeFailed as exc:
        raise _Failure(f"decode: {exc}") from exc
    if decoder.encoded:
        # The body we hand on is decoded: say so in the headers, or a WARC reader decodes twice.
        result.headers = [
            (("X-Original-" + k) if k.lower() in ("content-encoding", "content-length") else k, v)
            for k, v in result.headers
        ]
        result.headers.append(("Content-Length", str(len(body))))
    return body

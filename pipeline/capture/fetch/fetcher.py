"""The Fetcher: httpx transports plus robots, redirects, pacing, retries and breakers, per run."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Self

import httpx

from pipeline.capture.fetch.address import Resolver, blocked_reason, ip_literal, system_resolver
from pipeline.capture.fetch.attempts import Attempts, Job
from pipeline.capture.fetch.failures import Failure
from pipeline.capture.fetch.policy import FetchPolicy
from pipeline.capture.fetch.robots import (
    ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS,
    RobotsRules,
    rules_from_result,
)
from pipeline.capture.fetch.transport import DEFAULT_LIMITS, Transports
from pipeline.capture.fetch.validators import Validators
from pipeline.models import FetchResult

log = logging.getLogger(__name__)

# Called with each robots.txt FetchResult (exchanges included), once per origin and address
# permission; may be a coroutine function.
RobotsCallback = Callable[[FetchResult], Awaitable[None] | None]


def _checked_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Failure(f"invalid-url: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Failure(f"invalid-url: need an http(s) URL with a host, got {str(url)[:200]!r}")
    return parsed


class Fetcher:
    """Fetch many URLs concurrently and politely; `fetch()` returns a FetchResult, never raises
    for network or HTTP trouble.

    Per Fetcher (i.e. per run): connection pools, a robots.txt cache per origin, pacing state
    and a circuit breaker per host. Use as `async with Fetcher(...) as fetcher:`.

    `proxy` overrides the *_proxy environment variables (read when `trust_env`); `verify` is
    True (certifi CAs), False, or an ssl.SSLContext; `limits` bounds the idle connections kept
    (httpx.Limits: max_keepalive_connections, keepalive_expiry). `on_robots` receives every
    robots.txt fetch for the archive. `resolver` replaces the system's DNS (tests). No cookies
    are kept: every request is stateless.
    """

    def __init__(
        self,
        global_concurrency: int = 16,
        *,
        trust_env: bool = True,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        on_robots: RobotsCallback | None = None,
        resolver: Resolver = system_resolver,
        rng: random.Random | None = None,
    ) -> None:
        self.global_concurrency = global_concurrency
        self._trust_env, self._proxy, self._verify, self._limits = trust_env, proxy, verify, limits
        self._resolver = resolver
        self._on_robots = on_robots
        self._rng = rng or random.Random()
        self._robots: dict[tuple[str, bool], asyncio.Future[RobotsRules]] = {}
        self._private_hosts: dict[str, bool] = {}
        self._transports: Transports | None = None
        self._attempts: Attempts | None = None

    async def __aenter__(self) -> Self:
        self._transports = Transports(
            resolver=self._resolver,
            limits=self._limits,
            trust_env=self._trust_env,
            proxy=self._proxy,
            verify=self._verify,
        )
        self._attempts = Attempts(self._transports, self.global_concurrency, self._rng)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._robots.values():
            task.cancel()
        await asyncio.gather(*self._robots.values(), return_exceptions=True)
        self._attempts = None
        if self._transports is not None:
            await self._transports.aclose()
            self._transports = None

    async def fetch(
        self,
        url: str,
        source: str,
        policy: FetchPolicy | None = None,
        validators: Validators | None = None,
        *,
        allow_private: bool = False,
    ) -> FetchResult:
        """Fetch one URL; the result has a status (any, incl. 304/404) or an `error`.

        `allow_private`: the URL may point to a loopback, private, link-local, ... address
        (the user named it, or the source that found it is itself on such an address); its
        redirects may too only if its host really is one (or the policy allows them).

        `duration_s` is time spent on the network (all attempts and hops), not time queued
        behind politeness; `attempts` is 1 + the number of retries; `redirects` lists the URLs
        that answered with a redirect, `final_url` the last one requested; `exchanges` holds
        every attempt and hop. When an error hits after the response head (too-large, bomb,
        timeout in the body), `status` and `headers` are kept and `body` is empty.
        """
        if self._attempts is None:
            raise RuntimeError("use `async with Fetcher() as fetcher:` before fetch()")
        policy = policy or FetchPolicy()
        job = Job(
            result=FetchResult(url=url, source=source),
            policy=policy,
            extra=validators.headers() if validators else [],
            allow_private=allow_private or policy.allow_private_addresses,
        )
        await self._run(job)
        return job.result

    async def _run(self, job: Job) -> None:
        result = job.result
        try:
            await self._follow(job)
        except Failure as failure:
            result.error = failure.error
            result.body = b""
        except (ValueError, UnicodeError, LookupError) as exc:
            # A URL or header no layer rejected earlier: one odd page must not end the run.
            log.warning("fetch %s failed unexpectedly", result.url, exc_info=True)
            result.error = f"internal: {type(exc).__name__}: {exc}"
            result.body = b""
        if result.fetched_at is None:
            result.fetched_at = datetime.now(UTC)

    async def _follow(self, job: Job) -> None:
        """Follow redirects by hand so every hop is checked against robots and recorded."""
        assert self._attempts is not None
        policy, result = job.policy, job.result
        start = current = _checked_url(result.url)
        for _hop in range(policy.max_redirects + 1):
            delay_s = policy.delay_s
            if policy.respect_robots:
                delay_s = max(delay_s, await self._robots_delay(current, job))
            answer = await self._attempts.run(current, job, delay_s)
            if answer.location is None:
                return
            result.redirects.append(str(current))
            try:
                current = _checked_url(current.join(answer.location))
            except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
                raise Failure(f"invalid-url: redirect to {answer.location!r}: {exc}") from exc
            # A redirect target is found content: private only from a private start.
            job.allow_private = policy.allow_private_addresses or (
                job.allow_private and await self._is_private_host(start, policy.connect_timeout_s)
            )
        raise Failure(
            f"too-many-redirects: more than {policy.max_redirects} (last {str(current)[:200]})"
        )

    async def _robots_delay(self, url: httpx.URL, job: Job) -> float:
        """robots.txt's verdict on `url` (a Failure when disallowed) and the delay it asks."""
        policy = job.policy
        rules = await self._rules(url, job)
        if rules.error is not None:
            raise Failure(rules.error)
        if not rules.allowed(str(url), policy.user_agent):
            raise Failure(f"robots-disallowed: {url.raw_path.decode()} ({rules.reason})")
        return min(rules.delay_s(policy.user_agent), policy.crawl_delay_max_s)

    async def is_private(self, url: str, timeout_s: float = 10.0) -> bool:
        """Whether `url`'s host is on a loopback, private, link-local, ... address (any of its
        addresses; False when it does not resolve). For "the source is itself private"."""
        try:
            parsed = _checked_url(url)
        except Failure:
            return False
        return await self._is_private_host(parsed, timeout_s)

    async def _is_private_host(self, url: httpx.URL, timeout_s: float) -> bool:
        """Whether `url`'s host is itself on a non-public address (cached per host)."""
        host = url.host
        if host not in self._private_hosts:
            literal = ip_literal(host)
            if literal is not None:
                addresses = [literal]
            elif self._transports is not None and self._transports.proxy_for(url) is not None:
                addresses = ["127.0.0.1"] if host.lower() == "localhost" else []
            else:
                try:
                    async with asyncio.timeout(timeout_s):
                        addresses = await self._resolver(host, url.port or 80)
                except (OSError, TimeoutError):
                    addresses = []
            self._private_hosts[host] = any(blocked_reason(a) for a in addresses)
        return self._private_hosts[host]

    async def _rules(self, url: httpx.URL, job: Job) -> RobotsRules:
        """robots.txt of the URL's origin, fetched once per Fetcher and shared by all callers."""
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        key = (origin, job.allow_private)
        task = self._robots.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load_robots(origin, job))
            self._robots[key] = task
        if task.done():
            return task.result()
        return await asyncio.shield(task)  # a cancelled fetch must not cancel the shared load

    async def _load_robots(self, origin: str, page: Job) -> RobotsRules:
        policy = page.policy.model_copy(
            update={
                "respect_robots": False,
                "max_bytes": ROBOTS_MAX_BYTES,
                "max_redirects": ROBOTS_MAX_REDIRECTS,
            }
        )
        result = FetchResult(url=f"{origin}/robots.txt", source=page.result.source)
        job = Job(result=result, policy=policy, allow_private=page.allow_private, truncate=True)
        await self._run(job)
        if self._on_robots is not None:
            try:
                done = self._on_robots(result)
                if inspect.isawaitable(done):
                    await done
            except Exception:  # the archive's trouble must not change what robots.txt says
                log.exception("on_robots callback failed for %s", result.url)
        return rules_from_result(result)

"""The attempts of one request: pacing slot, send, body, retries with backoff, circuit breaker."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from pipeline.capture.fetch.address import BlockedAddress, blocked_reason, ip_literal
from pipeline.capture.fetch.body import DISCARD_BYTES
from pipeline.capture.fetch.decode import BodyTooLarge, DecodeFailed
from pipeline.capture.fetch.exchange import Trace, Wire, request_headers
from pipeline.capture.fetch.failures import TRANSLATED, Failure, translate
from pipeline.capture.fetch.pacing import CircuitBreaker, Pacer
from pipeline.capture.fetch.policy import RETRY_STATUSES, FetchPolicy
from pipeline.capture.fetch.retry import backoff_s, parse_retry_after
from pipeline.capture.fetch.transport import Transports
from pipeline.models import FetchResult

REDIRECT_STATUSES: frozenset[int] = frozenset({301, 302, 303, 307, 308})
# A reused keep-alive connection the server closed as we sent: the request never got an
# answer, so it goes again at once on a fresh connection (as browsers do), not as a retry.
_STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_BODY_ERRORS = (BodyTooLarge, DecodeFailed, httpx.TransportError, BlockedAddress)


@dataclass(slots=True)
class Job:
    """One fetch() as it goes: its result, policy, extra headers and address permission."""

    result: FetchResult
    policy: FetchPolicy
    extra: list[tuple[str, str]] = field(default_factory=list)
    allow_private: bool = False  # for the URL being requested now
    truncate: bool = False  # cut an over-long body at max_bytes instead of failing (robots.txt)


@dataclass(slots=True, frozen=True)
class Answer:
    """What the retry loop and the redirect loop need from the response that ended it."""

    status: int
    location: str | None


def host_key(url: httpx.URL) -> str:
    """Politeness is per machine name: http and https, all ports of a host share one pace."""
    return url.host.lower()


class Attempts:
    """Runs the attempts of one URL under the host's pacing and circuit breaker."""

    def __init__(self, transports: Transports, global_concurrency: int, rng: random.Random):
        self.pacer = Pacer(global_concurrency)
        self.breaker = CircuitBreaker()
        self._transports = transports
        self._rng = rng

    async def run(self, url: httpx.URL, job: Job, delay_s: float) -> Answer:
        """Attempt `url` until an answer (any status) or a final Failure; retries wait."""
        host = host_key(url)
        attempt = 0
        while True:
            if self.breaker.is_open(host):
                raise self._circuit_open(host)
            attempt += 1
            if attempt > 1:
                job.result.attempts += 1
            try:
                answer, wait_s = await self._attempt(url, host, job, delay_s, attempt)
            except Failure as failure:
                wait_s = self._after_failure(failure, host, attempt, job.policy)
            else:
                if wait_s is None:
                    return answer
            await asyncio.sleep(wait_s)

    def _after_failure(
        self, failure: Failure, host: str, attempt: int, policy: FetchPolicy
    ) -> float:
        """Seconds to wait before retrying a failed attempt; re-raises when it is final."""
        if failure.counts:
            self.breaker.record_failure(host, policy.breaker_failures, policy.breaker_cooldown_s)
        if not failure.retryable or attempt > policy.max_retries or self.breaker.is_open(host):
            raise failure
        return backoff_s(attempt, policy, self._rng)

    def _retry_wait(self, wire: Wire, host: str, attempt: int, policy: FetchPolicy) -> float | None:
        """Seconds to wait before retrying this 429/5xx; None when the response is the answer.
        Decided from the head alone (before the body is read) and without side effects."""
        if wire.status not in RETRY_STATUSES or attempt > policy.max_retries:
            return None
        if self.breaker.failures(host) + 1 >= policy.breaker_failures:
            return None  # this failure opens the circuit
        retry_after = parse_retry_after(wire.header("retry-after"))
        if retry_after is not None and retry_after > policy.retry_after_max_s:
            return None
        return retry_after if retry_after is not None else backoff_s(attempt, policy, self._rng)

    def _after_response(
        self, wire: Wire, host: str, wait_s: float | None, policy: FetchPolicy
    ) -> None:
        if wire.status not in RETRY_STATUSES:
            self.breaker.record_success(host)
            return
        self.breaker.record_failure(host, policy.breaker_failures, policy.breaker_cooldown_s)
        throttled = wire.status == 429 or parse_retry_after(wire.header("retry-after")) is not None
        if wait_s is not None and throttled:
            self.pacer.pause(host, wait_s)  # the whole host is asked to slow down

    def _circuit_open(self, host: str) -> Failure:
        failures = self.breaker.failures(host)
        return Failure(f"circuit-open: host {host} after {failures} consecutive failures")

    async def _attempt(
        self, url: httpx.URL, host: str, job: Job, delay_s: float, attempt: int
    ) -> tuple[Answer, float | None]:
        policy = job.policy
        async with self.pacer.slot(host, policy.per_host_concurrency, delay_s) as sent:
            if self.breaker.is_open(host):  # it may have opened while we queued for the slot
                raise self._circuit_open(host)
            started = time.monotonic()
            wire = Wire(url, request_headers(url, policy, job.extra))
            try:
                async with asyncio.timeout(policy.total_timeout_s):
                    return await self._exchange(wire, host, job, sent, attempt)
            except TimeoutError as exc:
                error = f"timeout: total {policy.total_timeout_s}s exceeded"
                job.result.exchanges.append(wire.record(error))
                raise Failure(error, retryable=True, counts=True) from exc
            finally:
                job.result.duration_s += time.monotonic() - started

    async def _exchange(
        self, wire: Wire, host: str, job: Job, sent: Callable[[], None], attempt: int
    ) -> tuple[Answer, float | None]:
        async with self._transports.transport(wire.url, job.allow_private) as transport:
            return await self._exchange_on(transport, wire, host, job, sent, attempt)

    async def _exchange_on(
        self,
        transport: httpx.AsyncHTTPTransport,
        wire: Wire,
        host: str,
        job: Job,
        sent: Callable[[], None],
        attempt: int,
    ) -> tuple[Answer, float | None]:
        policy, result = job.policy, job.result
        try:
            if not job.allow_private and self._transports.proxy_for(wire.url) is not None:
                _precheck_proxied(wire.url.host)
            try:
                response = await wire.send(transport, policy, trace := Trace(sent))
            except _STALE_CONNECTION as exc:
                if trace.connected:
                    raise
                result.exchanges.append(wire.record(translate(exc).error))
                wire.restart()
                response = await wire.send(transport, policy, Trace(sent))
        except TRANSLATED as exc:
            failure = translate(exc)
            result.exchanges.append(wire.record(failure.error))
            raise failure from exc
        wire.ip_address = self._transports.peer(response.extensions.get("network_stream"))
        result.final_url, result.status = str(wire.url), wire.status
        result.headers, result.request_headers = wire.response_headers, wire.headers
        result.fetched_at = wire.started_at
        location = wire.header("location")
        redirect = wire.status in REDIRECT_STATUSES and location is not None
        wait_s = self._retry_wait(wire, host, attempt, policy)
        discard = redirect or wait_s is not None
        try:
            await self._read(wire, response, job, discard)
        finally:
            await response.aclose()
        result.exchanges.append(wire.record())
        self._after_response(wire, host, wait_s, policy)
        assert wire.status is not None
        return Answer(wire.status, location if redirect else None), wait_s

    async def _read(self, wire: Wire, response: httpx.Response, job: Job, discard: bool) -> None:
        """Read the body into `wire` and onto the result; bodies we throw away are cut short."""
        limit = min(DISCARD_BYTES, job.policy.max_bytes) if discard else job.policy.max_bytes
        try:
            body = await wire.read(response, limit, truncate=discard or job.truncate)
        except _BODY_ERRORS as exc:
            failure = _body_failure(exc)
            job.result.exchanges.append(wire.record(failure.error))
            raise failure from exc
        job.result.body = body.decoded


def _body_failure(exc: Exception) -> Failure:
    if isinstance(exc, BodyTooLarge):
        return Failure(f"{'decompression-bomb' if exc.bomb else 'too-large'}: {exc}")
    if isinstance(exc, DecodeFailed):
        return Failure(f"decode: {exc}")
    return translate(exc)


def _precheck_proxied(host: str) -> None:
    """Through a proxy the proxy resolves names, so only what the URL itself says is checked:
    an IP literal, or `localhost`."""
    literal = ip_literal(host)
    if literal is not None:
        reason = blocked_reason(literal)
        if reason is not None:
            raise BlockedAddress(f"{literal} ({reason})")
    elif host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        raise BlockedAddress(f"{host} (loopback)")

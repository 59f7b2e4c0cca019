"""Politeness state per host: concurrency slots, minimum delay between starts, circuit breaker."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Host:
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    active: int = 0
    next_start: float = 0.0
    # FIFO of (concurrency limit of the waiter, future to wake it): fair, one wake-up per slot.
    waiters: deque[tuple[int, asyncio.Future[None]]] = field(default_factory=deque)

    async def acquire(self, limit: int) -> None:
        if not self.waiters and self.active < limit:
            self.active += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (limit, waiter)
        self.waiters.append(entry)
        try:
            await waiter  # release() counted us in before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # woken and cancelled at once: hand the slot on
            elif entry in self.waiters:  # release() may have dropped it already
                self.waiters.remove(entry)
            raise

    def release(self) -> None:
        self.active -= 1
        while self.waiters and self.active < self.waiters[0][0]:
            _, waiter = self.waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)


class Pacer:
    """Grants request slots: at most `concurrency` in flight per host, starts `delay_s` apart,
    at most `global_concurrency` in flight overall.

    Order matters for throughput: a request first waits for its host (slot, then delay) and only
    then takes a global slot, so a slow or throttled host never holds global capacity while idle.
    Starts of one host pass through a lock in order, so the delay is measured between real starts.
    """

    def __init__(self, global_concurrency: int, clock: Callable[[], float] = time.monotonic):
        self._global = asyncio.Semaphore(global_concurrency)
        self._hosts: dict[str, _Host] = {}
        self._clock = clock

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        return state

    def pause(self, host: str, seconds: float) -> None:
        """No new request to `host` starts for `seconds` (Retry-After, throttling)."""
        state = self._host(host)
        state.next_start = max(state.next_start, self._clock() + seconds)

    @asynccontextmanager
    async def slot(
        self, host: str, concurrency: int, delay_s: float
    ) -> AsyncIterator[Callable[[], None]]:
        """Hold a request slot; call the yielded `sent()` once the request is on the wire.

        The host's start gate stays closed from the grant until `sent()` (or the end of the
        attempt), so connection set-up cannot squeeze two starts closer than `delay_s`.
        """
        state = self._host(host)
        await state.acquire(concurrency)
        try:
            await state.gate.acquire()
            open_gate = _GateOpener(state, delay_s, self._clock)
            try:
                await self._wait_turn(state)
                try:
                    state.next_start = self._clock() + delay_s
                    yield open_gate
                finally:
                    self._global.release()
            finally:
                open_gate()
        finally:
            state.release()

    async def _wait_turn(self, state: _Host) -> None:
        while True:
            wait = state.next_start - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self._global.acquire()
            if self._clock() >= state.next_start:
                return
            self._global.release()  # a pause arrived while we queued globally


class _GateOpener:
    """Called when a request has been sent: the next start of the host is due delay_s later."""

    __slots__ = ("_clock", "_delay_s", "_open", "_state")

    def __init__(self, state: _Host, delay_s: float, clock: Callable[[], float]) -> None:
        self._state, self._delay_s, self._clock, self._open = state, delay_s, clock, False

    def __call__(self) -> None:
        if not self._open:
            self._open = True
            self._state.next_start = max(self._state.next_start, self._clock() + self._delay_s)
            self._state.gate.release()


@dataclass(slots=True)
class _Breaker:
    failures: int = 0
    open_until: float = 0.0


class CircuitBreaker:
    """Counts consecutive failed attempts per host; past a threshold the host is skipped.

    After the cooldown the next attempt is a probe: one more failure re-opens at once (the count
    is kept), one success closes the circuit.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._hosts: dict[str, _Breaker] = {}
        self._clock = clock

    def is_open(self, host: str) -> bool:
        state = self._hosts.get(host)
        return state is not None and state.open_until > self._clock()

    def failures(self, host: str) -> int:
        state = self._hosts.get(host)
        return state.failures if state else 0

    def record_success(self, host: str) -> None:
        state = self._hosts.get(host)
        if state is not None:
            state.failures = 0
            state.open_until = 0.0

    def record_failure(self, host: str, threshold: int, cooldown_s: float | None) -> None:
        state = self._hosts.setdefault(host, _Breaker())
        state.failures += 1
        if state.failures >= threshold:
            cooldown = math.inf if cooldown_s is None else cooldown_s
            state.open_until = self._clock() + cooldown

"""An httpx transport with one small connection pool per origin, and idle pools closed.

httpcore's pool scans all its connections for every queued request, so one shared pool with
dozens of hosts spends more CPU on bookkeeping than on HTTP; a pool per origin keeps each scan
tiny. Pools idle past the keep-alive expiry are closed so a long run over thousands of hosts
does not hold thousands of sockets.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpcore
import httpx

from pipeline.fetch.netbackend import REQUEST_SENT, AsyncioBackend

SWEEP_EVERY_S = 1.0


@dataclass(slots=True)
class _Pool:
    transport: httpx.AsyncHTTPTransport
    proxied: bool = False
    active: int = 0
    last_used: float = 0.0


async def _trace_sent(event: str, info: object) -> None:
    if event == "http11.send_request_headers.complete":
        sent = REQUEST_SENT.get()
        if sent is not None:
            sent()


class _TrackedStream(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed (the request is over only then)."""

    def __init__(self, inner: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._inner = inner
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._pool is not None:
                self._pool.active -= 1
                self._pool.last_used = time.monotonic()
                self._pool = None


class _AsyncioTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request/response and exception mapping) over an httpcore pool
    that uses the plain-asyncio backend. httpx keeps its pool in `_pool` and offers no
    network_backend argument; the fetch tests exercise this seam."""

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=AsyncioBackend(),
        )


class PerOriginTransport(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own AsyncHTTPTransport (created on first use).

    Proxies: an explicit `proxy`, else (with `trust_env`) the standard *_proxy / no_proxy
    environment variables, decided per origin.
    """

    def __init__(
        self,
        *,
        keepalive_per_origin: int = 4,
        keepalive_expiry_s: float = 10.0,
        trust_env: bool = True,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._ssl: ssl.SSLContext = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._limits = httpx.Limits(
            max_connections=None,  # in-flight requests per host are capped by the Pacer
            max_keepalive_connections=keepalive_per_origin,
            keepalive_expiry=keepalive_expiry_s,
        )
        self._expiry_s = keepalive_expiry_s
        self._trust_env = trust_env
        self._proxy = proxy
        self._pools: dict[tuple[str, str, int | None], _Pool] = {}
        self._last_sweep = time.monotonic()

    def _proxy_for(self, url: httpx.URL) -> str | None:
        if self._proxy is not None or not self._trust_env:
            return self._proxy
        proxies = urllib.request.getproxies()
        proxy = proxies.get(url.scheme) or proxies.get("all")
        if proxy and urllib.request.proxy_bypass(url.host):
            return None
        return proxy

    def _pool(self, url: httpx.URL) -> _Pool:
        key = (url.scheme, url.host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            proxy = self._proxy_for(url)
            if proxy is None:
                transport: httpx.AsyncHTTPTransport = _AsyncioTransport(self._ssl, self._limits)
            else:
                transport = httpx.AsyncHTTPTransport(
                    verify=self._ssl, limits=self._limits, proxy=proxy
                )
            pool = self._pools[key] = _Pool(transport, proxied=proxy is not None)
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = time.monotonic()
        if now - self._last_sweep > SWEEP_EVERY_S:
            self._last_sweep = now
            await self._sweep(now)
        pool = self._pool(request.url)
        if pool.proxied:  # httpcore's own backend: learn about the send from its trace events
            request.extensions = {**request.extensions, "trace": _trace_sent}
        pool.active += 1
        pool.last_used = now
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _TrackedStream(response.stream, pool)
        return response

    async def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, pool in self._pools.items()
            if pool.active == 0 and now - pool.last_used > self._expiry_s
        ]
        for key in idle:
            await self._pools.pop(key).transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.transport.aclose()

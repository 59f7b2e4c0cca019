"""HTTP/1.1 with one small connection pool per origin; idle pools are closed.

Direct connections use the lean h11 client (h11client.py); proxied origins use httpcore's
proxy pools. A shared pool for all hosts would scan every connection for every request, and
httpx's Client and models cost more CPU per request than the HTTP itself. Pools idle past the
keep-alive expiry are closed so a long run over thousands of hosts does not hold thousands of
sockets.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from pipeline.capture.fetch.h11client import H11Pool, H11Response, header_text as _text
from pipeline.capture.fetch.netbackend import REQUEST_SENT

SWEEP_EVERY_S = 1.0


@dataclass(slots=True)
class _Pool:
    pool: H11Pool | httpcore.AsyncHTTPProxy
    active: int = 0
    last_used: float = 0.0


async def _trace_sent(event: str, info: object) -> None:
    if event == "http11.send_request_headers.complete":
        sent = REQUEST_SENT.get()
        if sent is not None:
            sent()


class RawResponse:
    """Status, headers and a streamed body; `aclose()` hands the connection back."""

    __slots__ = ("status", "headers", "_response", "_pool")

    def __init__(self, response: httpcore.Response | H11Response, pool: _Pool) -> None:
        self.status: int = response.status
        if isinstance(response, H11Response):
            self.headers: list[tuple[str, str]] = response.headers
        else:
            self.headers = [(_text(k), _text(v)) for k, v in response.headers]
        self._response = response
        self._pool: _Pool | None = pool

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def aiter_raw(self) -> AsyncIterator[bytes]:
        if isinstance(self._response, H11Response):
            return self._response.aiter_raw()
        return self._response.aiter_stream()

    async def aclose(self) -> None:
        try:
            await self._response.aclose()
        finally:
            if self._pool is not None:
                self._pool.active -= 1
                self._pool.last_used = time.monotonic()
                self._pool = None


class OriginPools:
    """Routes each request to its origin's own pool (created on first use).

    Proxies: an explicit `proxy`, else (with `trust_env`) the standard *_proxy / no_proxy
    environment variables, decided per origin. Raises httpcore's exceptions.
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
        self._keepalive = keepalive_per_origin
        self._expiry_s = keepalive_expiry_s
        self._trust_env = trust_env
        self._proxy = proxy
        self._pools: dict[tuple[bytes, bytes, int | None], _Pool] = {}
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
        key = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            proxy = self._proxy_for(url)
            if proxy is None:
                port = url.port or (443 if url.scheme == "https" else 80)
                pool = _Pool(
                    H11Pool(
                        url.raw_scheme, url.host, port, self._ssl, self._keepalive, self._expiry_s
                    )
                )
            else:
                pool = _Pool(
                    httpcore.AsyncHTTPProxy(
                        proxy_url=proxy,
                        ssl_context=self._ssl,
                        max_connections=None,  # in-flight requests are capped by the Pacer
                        max_keepalive_connections=self._keepalive,
                        keepalive_expiry=self._expiry_s,
                    )
                )
            self._pools[key] = pool
        return pool

    async def request(
        self, url: httpx.URL, headers: list[tuple[bytes, bytes]], timeouts: dict[str, float | None]
    ) -> RawResponse:
        """Send a GET; the caller must `aclose()` the response."""
        now = time.monotonic()
        if now - self._last_sweep > SWEEP_EVERY_S:
            self._last_sweep = now
            await self._sweep(now)
        pool = self._pool(url)
        pool.active += 1
        pool.last_used = now
        try:
            if isinstance(pool.pool, H11Pool):
                response: httpcore.Response | H11Response = await pool.pool.request(
                    url.raw_path, headers, timeouts
                )
            else:  # httpcore's backend: learn about the send from its trace events
                extensions: dict[str, Any] = {"timeout": timeouts, "trace": _trace_sent}
                target = httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                )
                request = httpcore.Request(b"GET", target, headers=headers, extensions=extensions)
                response = await pool.pool.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise
        return RawResponse(response, pool)

    async def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, pool in self._pools.items()
            if pool.active == 0 and now - pool.last_used > self._expiry_s
        ]
        for key in idle:
            await self._pools.pop(key).pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.pool.aclose()

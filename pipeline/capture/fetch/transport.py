"""httpx transports for the fetcher: direct ones per origin on the vetting backend, proxies per URL.

Direct connections go through httpx's AsyncHTTPTransport whose httpcore pool runs on
VettedBackend, separately for fetches that may reach non-public addresses and those that may
not, so a connection opened for a private source is never reused by a fetch that must not
reach it. Proxied URLs use httpx's own proxy transport, one per proxy URL. Idle connections
expire after `limits.keepalive_expiry` seconds and their number is capped, so a run over
thousands of hosts does not pile up sockets.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpcore
import httpx

from pipeline.capture.fetch.address import Resolver, VettedBackend

# max_keepalive_connections: idle origins kept (direct), idle connections kept (per proxy).
DEFAULT_LIMITS = httpx.Limits(
    max_connections=None, max_keepalive_connections=256, keepalive_expiry=10.0
)
KEEPALIVE_PER_ORIGIN = 4
SWEEP_EVERY_S = 1.0


class _VettedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (request and response mapping, exception translation) over a pool on
    our network backend."""

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits, backend: VettedBackend):
        super().__init__(verify=ssl_context, limits=limits)
        # httpx 0.28 takes no network backend (encode/httpx#3749 adds one): the pool is the one
        # httpx builds, with ours. A test of blocked addresses fails if this stops working.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


@dataclass(slots=True)
class _Origin:
    transport: httpx.AsyncHTTPTransport
    active: int = 0
    last_used: float = 0.0


class Transports:
    """Picks the transport for each request: the URL's proxy (explicit `proxy`, else with
    `trust_env` the *_proxy / no_proxy environment variables), or a direct vetted one.

    Direct connections get one small transport per origin and address permission: httpcore's
    pool scans all its connections (and asks each idle one whether its socket is readable) for
    every request, which costs milliseconds per request in one pool over hundreds of hosts.
    Idle origins are closed after `limits.keepalive_expiry`, and beyond
    `limits.max_keepalive_connections` idle origins the least recently used go first.
    """

    def __init__(
        self,
        *,
        resolver: Resolver,
        limits: httpx.Limits = DEFAULT_LIMITS,
        trust_env: bool = True,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._ssl = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._expiry_s = limits.keepalive_expiry
        self._max_idle = limits.max_keepalive_connections
        self._origin_limits = httpx.Limits(
            max_connections=None,  # in-flight requests are capped by the Pacer
            max_keepalive_connections=KEEPALIVE_PER_ORIGIN,
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._proxy_limits = limits
        self._resolver = resolver
        self._proxy = proxy
        self._env = urllib.request.getproxies() if trust_env and proxy is None else {}
        self._backends: dict[bool, VettedBackend] = {}
        self._origins: dict[tuple[bool, bytes, bytes, int | None], _Origin] = {}
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}
        self._route: dict[tuple[str, str], str | None] = {}
        self._last_sweep = time.monotonic()

    def proxy_for(self, url: httpx.URL) -> str | None:
        """The proxy URL this request goes through, or None for a direct connection."""
        if self._proxy is not None:
            return self._proxy
        if not self._env:
            return None
        key = (url.scheme, url.host)
        if key not in self._route:
            proxy = self._env.get(url.scheme) or self._env.get("all")
            if proxy and urllib.request.proxy_bypass(url.host):
                proxy = None
            self._route[key] = proxy
        return self._route[key]

    @asynccontextmanager
    async def transport(
        self, url: httpx.URL, allow_private: bool
    ) -> AsyncIterator[httpx.AsyncHTTPTransport]:
        """The transport for `url`, held (not swept) until the block ends."""
        proxy = self.proxy_for(url)
        if proxy is not None:
            yield self._proxy_transport(proxy)
            return
        now = time.monotonic()
        key = (allow_private, url.raw_scheme, url.raw_host, url.port)
        origin = self._origins.get(key)
        if origin is None or now - self._last_sweep > SWEEP_EVERY_S:
            await self._sweep(now, room=origin is None)
            origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin(self._direct(allow_private), last_used=now)
        origin.active += 1
        try:
            yield origin.transport
        finally:
            origin.active -= 1
            origin.last_used = time.monotonic()

    def peer(self, stream: httpcore.AsyncNetworkStream | None) -> str | None:
        """The address a response's connection went to (a proxy's, when proxied)."""
        if stream is None:
            return None
        for backend in self._backends.values():
            address = backend.peers.get(stream)
            if address is not None:
                return address
        peer = stream.get_extra_info("server_addr")
        return str(peer[0]) if isinstance(peer, tuple) and peer else None

    def _direct(self, allow_private: bool) -> httpx.AsyncHTTPTransport:
        backend = self._backends.get(allow_private)
        if backend is None:
            backend = self._backends[allow_private] = VettedBackend(self._resolver, allow_private)
        return _VettedTransport(self._ssl, self._origin_limits, backend)

    def _proxy_transport(self, proxy: str) -> httpx.AsyncHTTPTransport:
        transport = self._proxied.get(proxy)
        if transport is None:
            transport = self._proxied[proxy] = httpx.AsyncHTTPTransport(
                verify=self._ssl, limits=self._proxy_limits, proxy=proxy
            )
        return transport

    async def _sweep(self, now: float, room: bool = False) -> None:
        """Close origins idle past the keep-alive expiry, then the oldest idle beyond the cap
        (less one when `room` is made for a new origin, which will be idle after its request)."""
        self._last_sweep = now
        idle = sorted(
            (origin.last_used, key) for key, origin in self._origins.items() if not origin.active
        )
        expiry = self._expiry_s
        stale = [key for used, key in idle if expiry is not None and now - used > expiry]
        fresh = [key for used, key in idle if expiry is None or now - used <= expiry]
        keep = None if self._max_idle is None else max(self._max_idle - room, 0)
        if keep is not None and len(fresh) > keep:
            stale += fresh[: len(fresh) - keep]
        for key in stale:
            await self._origins.pop(key).transport.aclose()

    async def aclose(self) -> None:
        transports = [o.transport for o in self._origins.values()] + list(self._proxied.values())
        self._origins, self._proxied = {}, {}
        for transport in transports:
            await transport.aclose()

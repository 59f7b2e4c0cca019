"""httpx transports for the fetcher: direct ones on the vetting network backend, proxies per URL.

Direct connections go through httpx's AsyncHTTPTransport whose httpcore pool runs on
VettedBackend: one pool that refuses non-public addresses, one (created on first use) that
allows them, so a connection opened for a private source is never reused by a fetch that may
not reach it. Proxied URLs use httpx's own proxy transport, one per proxy URL. Every pool
keeps at most `limits.max_keepalive_connections` idle connections, each for at most
`limits.keepalive_expiry` seconds, so a run over thousands of hosts does not pile up sockets.
"""

from __future__ import annotations

import ssl
import urllib.request

import httpcore
import httpx

from pipeline.capture.fetch.address import Resolver, VettedBackend

DEFAULT_LIMITS = httpx.Limits(
    max_connections=None,  # in-flight requests are capped by the Pacer
    max_keepalive_connections=64,
    keepalive_expiry=10.0,
)


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


class Transports:
    """Picks the transport for each request: the URL's proxy (explicit `proxy`, else with
    `trust_env` the *_proxy / no_proxy environment variables), or a direct vetted one."""

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
        self._limits = limits
        self._resolver = resolver
        self._proxy = proxy
        self._env = urllib.request.getproxies() if trust_env and proxy is None else {}
        self._direct: dict[bool, httpx.AsyncHTTPTransport] = {}
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}
        self._route: dict[tuple[str, str], str | None] = {}

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

    def transport(self, url: httpx.URL, allow_private: bool) -> httpx.AsyncHTTPTransport:
        proxy = self.proxy_for(url)
        if proxy is not None:
            transport = self._proxied.get(proxy)
            if transport is None:
                transport = self._proxied[proxy] = httpx.AsyncHTTPTransport(
                    verify=self._ssl, limits=self._limits, proxy=proxy
                )
            return transport
        transport = self._direct.get(allow_private)
        if transport is None:
            backend = VettedBackend(self._resolver, allow_private)
            transport = self._direct[allow_private] = _VettedTransport(
                self._ssl, self._limits, backend
            )
        return transport

    async def aclose(self) -> None:
        transports = [*self._direct.values(), *self._proxied.values()]
        self._direct, self._proxied = {}, {}
        for transport in transports:
            await transport.aclose()

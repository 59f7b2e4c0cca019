"""Which addresses a fetch may connect to: a network backend that resolves, vets, then connects."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable

import httpcore

# host, port -> the addresses to try, in order (a test replaces the DNS of the public internet)
Resolver = Callable[[str, int], Awaitable[list[str]]]


class BlockedAddress(Exception):
    """A connection was refused before it was made: the host resolves to a non-public address."""


def blocked_reason(address: str) -> str | None:
    """Why `address` is not a public unicast address (e.g. "loopback"), or None if it is."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not globally routable", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def ip_literal(host: str) -> str | None:
    """`host` as an address when it is an IP literal (brackets and zone allowed), else None."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return None
    return candidate


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`, without duplicates, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve(host: str, port: int, resolver: Resolver) -> list[str]:
    """Addresses for `host` (an IP literal is its own); socket.gaierror when there are none."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    addresses = await resolver(host, port)
    if not addresses:
        raise socket.gaierror(f"no address for {host!r}")
    return addresses


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """Raise BlockedAddress if any address of `host` is not public (so rebinding tricks that
    mix public and private answers are refused too)."""
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            shown = host if host == address else f"{host} resolves to {address}"
            raise BlockedAddress(f"{shown} ({reason})")


class VettedBackend(httpcore.AsyncNetworkBackend):
    """Wraps httpcore's network backend: resolves the host itself, refuses non-public addresses
    unless `allow_private`, and connects to the vetted address. TLS (SNI, certificate checks)
    and the Host header still use the name, so DNS rebinding between check and connect cannot
    slip through: there is no second lookup."""

    def __init__(
        self,
        resolver: Resolver,
        allow_private: bool,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = inner or httpcore.AnyIOBackend()
        # the address each open connection went to (asking the socket costs more)
        self.peers: weakref.WeakKeyDictionary[httpcore.AsyncNetworkStream, str] = (
            weakref.WeakKeyDictionary()
        )

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(host, port, self._resolver)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not self._allow_private:
            check_addresses(host, addresses)
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            left = None if timeout is None else max(timeout - (time.monotonic() - started), 0.0)
            try:
                stream = await self._inner.connect_tcp(
                    address, port, left, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
            else:
                self.peers[stream] = address
                return stream
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - the fetcher speaks TCP only
        raise httpcore.ConnectError("unix sockets are not used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

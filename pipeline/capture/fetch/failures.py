"""Why an attempt failed, as the short machine-readable strings FetchResult.error carries.

httpx's exceptions (and our BlockedAddress) are translated here, at the boundary:

    timeout:     httpx.TimeoutException (connect, read, write, pool), or the attempt's total
    connect:     httpx.ConnectError, httpx.ProxyError ("connect: proxy: ...")
    tls:         a ConnectError caused by ssl.SSLError (not retried)
    network:     httpx.RemoteProtocolError, other httpx.NetworkError / ProtocolError
    invalid-url: httpx.UnsupportedProtocol, a URL httpx refuses
    blocked-address: BlockedAddress (not retried, not counted by the breaker)
    http:        anything else httpx raises for a request
"""

from __future__ import annotations

import ssl

import httpx

from pipeline.capture.fetch.address import BlockedAddress

# What an attempt may raise that we translate (everything else is a bug and propagates).
TRANSLATED: tuple[type[Exception], ...] = (httpx.TransportError, BlockedAddress)


class Failure(Exception):
    """An attempt failed without a usable response; `error` is the FetchResult.error string."""

    def __init__(self, error: str, *, retryable: bool = False, counts: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable  # worth another attempt (network trouble, timeouts)
        self.counts = counts  # counts towards the host's circuit breaker


def caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def translate(exc: Exception) -> Failure:
    """An httpx exception (or BlockedAddress) as a Failure with its error prefix."""
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, BlockedAddress):
        return Failure(f"blocked-address: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return Failure(f"timeout: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpx.ConnectError):
        if caused_by(exc, ssl.SSLError):  # a bad certificate will not get better by retrying
            return Failure(f"tls: {detail}")
        return Failure(f"connect: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpx.ProxyError):
        return Failure(f"connect: proxy: {detail}", retryable=True, counts=True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Failure(f"invalid-url: {detail}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.NetworkError)):
        return Failure(f"network: {detail}", retryable=True, counts=True)
    return Failure(f"http: {detail}")

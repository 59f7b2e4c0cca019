"""A lean HTTP/1.1 client: h11 over the plain-asyncio stream, one idle-connection list per origin.

Same protocol engine as httpcore (h11), without its pool, locks and trace machinery, which
cost more CPU per request than parsing HTTP. Errors are raised as httpcore's exceptions so one
translation table serves both this path and httpcore's (used for proxies).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator

import h11
import httpcore

from pipeline.capture.fetch.netbackend import AsyncioBackend

READ_SIZE = 64 * 1024
MAX_HEAD_BYTES = 100 * 1024  # response line + headers, as httpcore allows


def header_text(value: bytes) -> str:
    """A header name or value as text: UTF-8 when it decodes, else Latin-1 (never fails)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class _Connection:
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.idle_since = time.monotonic()

    def reusable(self, expiry_s: float) -> bool:
        return (
            self.h11.our_state is h11.IDLE
            and time.monotonic() - self.idle_since < expiry_s
            and not self.stream.get_extra_info("is_readable")  # closed or junk while idle
        )

    async def next_event(self, timeout: float | None) -> h11.Event | type[h11.PAUSED]:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpcore.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.stream.read(READ_SIZE, timeout)
            try:
                self.h11.receive_data(data)  # b"" tells h11 the server hung up
            except h11.RemoteProtocolError as exc:
                raise httpcore.RemoteProtocolError(str(exc)) from exc

    async def aclose(self) -> None:
        await self.stream.aclose()


class H11Response:
    """Status and headers of a response whose body is still to be read; `aclose()` returns the
    connection to its pool when the message was read to the end, and closes it otherwise."""

    __slots__ = ("status", "headers", "_conn", "_pool", "_read_timeout", "_complete", "_closed")

    def __init__(
        self, event: h11.Response, conn: _Connection, pool: H11Pool, read_timeout: float | None
    ) -> None:
        self.status: int = event.status_code
        self.headers = [(header_text(k), header_text(v)) for k, v in event.headers.raw_items()]
        self._conn, self._pool, self._read_timeout = conn, pool, read_timeout
        self._complete = self._closed = False

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        while not self._complete:
            event = await self._conn.next_event(self._read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
            else:
                raise httpcore.RemoteProtocolError(f"unexpected {type(event).__name__} in body")

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._pool.release(self._conn, reuse=self._complete)


class H11Pool:
    """Connections to one origin: idle ones are reused, at most `keepalive` kept."""

    def __init__(
        self,
        scheme: bytes,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        keepalive: int,
        expiry_s: float,
    ) -> None:
        self._tls = scheme == b"https"
        self._host, self._port, self._ssl = host, port, ssl_context
        self._keepalive, self._expiry_s = keepalive, expiry_s
        self._idle: list[_Connection] = []
        self._backend = AsyncioBackend()

    async def _connection(self, connect_timeout: float | None) -> tuple[_Connection, bool]:
        """An idle connection (True) or a new one (False)."""
        while self._idle:
            conn = self._idle.pop()
            if conn.reusable(self._expiry_s):
                return conn, True
            await conn.aclose()
        stream = await self._backend.connect_tcp(self._host, self._port, timeout=connect_timeout)
        if self._tls:
            stream = await stream.start_tls(self._ssl, self._host, timeout=connect_timeout)
        return _Connection(stream), False

    async def request(
        self, target: bytes, headers: list[tuple[bytes, bytes]], timeouts: dict[str, float | None]
    ) -> H11Response:
        conn, reused = await self._connection(timeouts.get("connect"))
        try:
            return await self._exchange(conn, target, headers, timeouts)
        except (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError):
            if not reused:
                raise
        # The server closed the idle connection as we reused it (keep-alive races): the request
        # never reached it, so it goes again once, on a fresh connection, as browsers do.
        conn, _ = await self._connection(timeouts.get("connect"))
        return await self._exchange(conn, target, headers, timeouts)

    async def _exchange(
        self,
        conn: _Connection,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        timeouts: dict[str, float | None],
    ) -> H11Response:
        try:
            data = conn.h11.send(h11.Request(method=b"GET", target=target, headers=headers))
            data += conn.h11.send(h11.EndOfMessage()) or b""
            await conn.stream.write(data or b"", timeouts.get("write"))
            while True:
                event = await conn.next_event(timeouts.get("read"))
                if isinstance(event, h11.InformationalResponse):
                    continue  # 100 Continue, 103 Early Hints
                if isinstance(event, h11.Response):
                    return H11Response(event, conn, self, timeouts.get("read"))
                raise httpcore.RemoteProtocolError("server disconnected without sending a response")
        except h11.LocalProtocolError as exc:
            await conn.aclose()
            raise httpcore.LocalProtocolError(str(exc)) from exc
        except BaseException:
            await conn.aclose()
            raise

    async def release(self, conn: _Connection, reuse: bool) -> None:
        if (
            reuse
            and conn.h11.our_state is h11.DONE
            and conn.h11.their_state is h11.DONE
            and len(self._idle) < self._keepalive
        ):
            conn.h11.start_next_cycle()
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            await conn.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.aclose()

"""A real HTTP test server with injectable faults, one per loopback address, logging every request.

Use from any test:

    from faultserver import FaultServer, Reply   # tests/ is on sys.path under pytest
    with FaultServer("127.0.0.2") as srv:
        srv.route("/a", Reply(body=b"hi"))
        srv.route("/flaky", [Reply(503, headers={"Retry-After": "1"}), Reply(body=b"ok")])
        srv.route("/dyn", lambda req: Reply(body=req.path.encode()))
        ... fetch srv.url("/a") ...
        assert srv.log.max_concurrency(srv.host) <= 2

Pytest fixtures live in tests/conftest_fault.py (`from conftest_fault import fault_servers`).
Timestamps are time.monotonic(), comparable with the client's clock in the same process.
Each server also counts its TCP connections (`connections_opened`, `connections_open`).
"""

from __future__ import annotations

import gzip
import http.client
import selectors
import socket
import ssl
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FaultServer", "FaultServers", "ForwardProxy", "Reply", "RecordedRequest", "RequestLog"]


@dataclass(slots=True)
class Reply:
    """One response. `chunks` streams a body (close-delimited unless a Content-Length header is
    given); `delay_s` waits before the status line; `chunk_delay_s` between chunks."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] | list[tuple[str, str]] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay_s: float = 0.0
    chunks: Iterable[bytes] | Callable[[], Iterable[bytes]] | None = None
    chunk_delay_s: float = 0.0
    raw: bytes | None = None  # written as is instead of a response, then the connection closes

    def header_items(self) -> list[tuple[str, str]]:
        items = list(self.headers.items()) if isinstance(self.headers, dict) else list(self.headers)
        if self.content_type and not any(k.lower() == "content-type" for k, _ in items):
            items.append(("Content-Type", self.content_type))
        return items

    # -- ready-made faults -------------------------------------------------------------------
    @classmethod
    def endless(cls, chunk: bytes = b"x" * 1024, chunk_delay_s: float = 0.05) -> Reply:
        """A body that never ends (until the client hangs up or the server stops)."""

        def forever() -> Iterator[bytes]:
            while True:
                yield chunk

        return cls(chunks=forever, chunk_delay_s=chunk_delay_s)

    @classmethod
    def large(cls, size: int, *, declare_length: bool = True, chunk: int = 64 * 1024) -> Reply:
        """`size` bytes of HTML-ish filler, streamed; with or without a Content-Length."""
        block = (b"<p>" + b"a" * (chunk - 7) + b"</p>\n")[:chunk]

        def gen() -> Iterator[bytes]:
            left = size
            while left > 0:
                yield block[: min(left, chunk)]
                left -= chunk

        headers = {"Content-Length": str(size)} if declare_length else {}
        return cls(chunks=gen, headers=headers)

    @classmethod
    def gzip_bomb(cls, decoded_size: int = 1 << 30) -> Reply:
        """A gzip Content-Encoding body that inflates to `decoded_size` zero bytes (~1000:1)."""
        return cls(body=_gzip_zeros(decoded_size), headers={"Content-Encoding": "gzip"})

    @classmethod
    def hang_up(cls) -> Reply:
        """Close the connection without sending a response."""
        return cls(raw=b"")

    @classmethod
    def garbage(cls) -> Reply:
        """Bytes that are not HTTP."""
        return cls(raw=b"\x00\x01 this is not HTTP at all\r\n\r\n")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers={"Location": location}, content_type=None)

    @classmethod
    def gzipped(cls, body: bytes, **kwargs: object) -> Reply:
        headers = {"Content-Encoding": "gzip"}
        return cls(body=gzip.compress(body), headers=headers, **kwargs)  # type: ignore[arg-type]


_BOMBS: dict[int, bytes] = {}


def _gzip_zeros(size: int) -> bytes:
    if size not in _BOMBS:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = bytes(1 << 20)
        parts, left = [], size
        while left > 0:
            parts.append(comp.compress(block[: min(left, len(block))]))
            left -= len(block)
        parts.append(comp.flush())
        _BOMBS[size] = b"".join(parts)
    return _BOMBS[size]


def conditional(body: bytes, etag: str, last_modified: str, **kwargs: object) -> Callable:
    """A route answering 304 when If-None-Match / If-Modified-Since match, else 200 + validators."""

    def route(req: RecordedRequest) -> Reply:
        if (
            req.headers.get("if-none-match") == etag
            or req.headers.get("if-modified-since") == last_modified
        ):
            return Reply(304, headers={"ETag": etag}, content_type=None)
        return Reply(body=body, headers={"ETag": etag, "Last-Modified": last_modified}, **kwargs)  # type: ignore[arg-type]

    return route


@dataclass(slots=True)
class RecordedRequest:
    host: str  # "127.0.0.2:PORT"
    method: str
    path: str  # with query string
    headers: dict[str, str]  # lower-cased names
    start: float  # time.monotonic() when the request head was read
    end: float | None = None  # when the response was finished (or the client hung up)
    # Just before the first response byte: [start, replied] lies inside the client's own
    # in-flight interval, so overlaps measured on it are real ones. `end` is not: the client may
    # read the last byte and start its next request before this thread records `end`.
    replied: float | None = None
    status: int | None = None


class RequestLog:
    """Every request seen by a group of servers, thread-safe, with politeness measurements."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, rec: RecordedRequest) -> None:
        with self._lock:
            self._items.append(rec)

    def requests(self, host: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            items = list(self._items)
        return sorted(
            (
                r
                for r in items
                if (host is None or r.host == host) and (path is None or r.path == path)
            ),
            key=lambda r: r.start,
        )

    def paths(self, host: str | None = None) -> list[str]:
        return [r.path for r in self.requests(host)]

    def max_concurrency(self, host: str | None = None) -> int:
        """Most requests in flight at once (per host when given).

        Intervals run from the request head to the first response byte (`replied`, else `end`),
        so thread scheduling on a busy machine cannot make sequential requests look concurrent.
        """
        events = []
        for r in self.requests(host):
            stop = r.replied if r.replied is not None else r.end
            events.append((r.start, 1))
            events.append((stop if stop is not None else float("inf"), -1))
        events.sort(key=lambda e: (e[0], e[1]))  # an end and a start at the same instant: end first
        peak = running = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        return peak

    def start_gaps(self, host: str | None = None, path: str | None = None) -> list[float]:
        """Seconds between consecutive request starts (per host when given)."""
        starts = [r.start for r in self.requests(host, path)]
        return [b - a for a, b in zip(starts, starts[1:], strict=False)]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


Handler = Callable[["RecordedRequest"], Reply]
Route = Reply | Handler | list[Reply | Handler]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # silence stderr noise
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner.connection_changed(+1)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner.connection_changed(-1)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        owner = self.server.owner
        rec = RecordedRequest(
            host=owner.host_port,
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            start=time.monotonic(),
        )
        owner.log.add(rec)
        try:
            reply = owner.resolve(rec)
            rec.status = reply.status
            if reply.delay_s and owner.stopping.wait(reply.delay_s):
                return
            rec.replied = time.monotonic()
            self._write(reply, send_body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True
        finally:
            rec.end = time.monotonic()

    def _write(self, reply: Reply, send_body: bool) -> None:
        if reply.raw is not None:  # protocol faults: garbage, a hang-up without a response
            self.wfile.write(reply.raw)
            self.wfile.flush()
            self.close_connection = True
            return
        headers = reply.header_items()
        has_length = any(k.lower() == "content-length" for k, _ in headers)
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        for key, value in headers:
            self.send_header(key, value)
        no_body = reply.status in (204, 304) or 100 <= reply.status < 200
        if reply.chunks is None and not has_length and not no_body:
            self.send_header("Content-Length", str(len(body)))
        if reply.chunks is not None and not has_length:
            self.send_header("Connection", "close")  # close-delimited stream
            self.close_connection = True
        self.end_headers()
        if not send_body or no_body:
            return
        if reply.chunks is None:
            self.wfile.write(body)
            return
        chunks = reply.chunks() if callable(reply.chunks) else reply.chunks
        for chunk in chunks:
            if self.server.owner.stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(chunk)
            if reply.chunk_delay_s and self.server.owner.stopping.wait(reply.chunk_delay_s):
                return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    owner: FaultServer


class FaultServer:
    """One HTTP server on `host` (a loopback address) and a free port, serving configured routes.

    Unknown paths get 404 (so robots.txt is "absent", i.e. everything allowed, by default).
    """

    handler_class: type[BaseHTTPRequestHandler] = _Handler

    def __init__(
        self,
        host: str = "127.0.0.1",
        log: RequestLog | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.scheme = "https" if ssl_context is not None else "http"
        self.log = log or RequestLog()
        self.routes: dict[str, Route] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server((host, 0), self.handler_class)
        self._server.owner = self
        if ssl_context is not None:  # handshakes happen in the accepting thread: fine for tests
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self.host_port = f"{host}:{self.port}"
        self._thread: threading.Thread | None = None
        self.connections_opened = 0  # TCP connections accepted so far
        self.connections_open = 0  # of those, not yet closed

    def connection_changed(self, delta: int) -> None:
        with self._lock:
            self.connections_open += delta
            self.connections_opened += max(delta, 0)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host_port}{path}"

    def route(self, path: str, reply: Route) -> FaultServer:
        with self._lock:
            self.routes[path] = reply
            self._counters[path] = 0
        return self

    def hits(self, path: str) -> int:
        return len(self.log.requests(self.host_port, path))

    def resolve(self, rec: RecordedRequest) -> Reply:
        with self._lock:
            route = self.routes.get(rec.path)
            if route is None:
                route = self.routes.get(rec.path.split("?", 1)[0])
            count = self._counters.get(rec.path, 0)
            self._counters[rec.path] = count + 1
        if route is None:
            return Reply(404, body=b"not found", content_type="text/plain")
        if isinstance(route, list):  # served in order; the last one repeats
            route = route[min(count, len(route) - 1)]
        return route(rec) if callable(route) else route

    def start(self) -> FaultServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class FaultServers:
    """Servers on 127.0.0.1, 127.0.0.2, ... (one 'host' each) sharing one request log."""

    def __init__(self, count: int, first: int = 1) -> None:
        self.log = RequestLog()
        self.servers = [FaultServer(f"127.0.0.{first + i}", self.log) for i in range(count)]

    def __getitem__(self, index: int) -> FaultServer:
        return self.servers[index]

    def __iter__(self) -> Iterator[FaultServer]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    def __enter__(self) -> FaultServers:
        for server in self.servers:
            server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self.servers:
            server.stop()


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}


class _ProxyHandler(_Handler):
    """A forwarding proxy: absolute-form GETs are sent on to the origin, CONNECT is tunnelled."""

    server: _Server

    def _record(self) -> RecordedRequest:
        owner = self.server.owner
        rec = RecordedRequest(
            host=owner.host_port,
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            start=time.monotonic(),
        )
        owner.log.add(rec)
        return rec

    def _serve(self, send_body: bool) -> None:
        rec = self._record()
        try:
            url = urllib.parse.urlsplit(self.path)
            target = self.server.owner.upstream(url.hostname or "", url.port or 80)
            if url.scheme != "http" or target is None:
                rec.status = 502
                self.send_error(502, "no route to that origin")
                return
            self._forward(url, target, rec)
        finally:
            rec.end = time.monotonic()

    def _forward(
        self, url: urllib.parse.SplitResult, target: tuple[str, int], rec: RecordedRequest
    ) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*target, timeout=10)
        try:
            upstream.request(
                self.command, url.path + (f"?{url.query}" if url.query else ""), headers=headers
            )
            response = upstream.getresponse()
            body = response.read()
        finally:
            upstream.close()
        rec.status = response.status
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:  # noqa: N802
        rec = self._record()
        host, _, port = self.path.rpartition(":")
        target = self.server.owner.upstream(host.strip("[]"), int(port or 443))
        if target is None:
            rec.status = 502
            self.send_error(502, "no route to that origin")
            return
        with socket.create_connection(target, timeout=10) as upstream:
            rec.status = 200
            self.send_response(200, "Connection established")
            self.end_headers()
            self._relay(upstream)
        rec.end = time.monotonic()
        self.close_connection = True

    def _relay(self, upstream: socket.socket) -> None:
        client = self.connection
        with selectors.DefaultSelector() as sel:
            sel.register(client, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, client)
            while not self.server.owner.stopping.is_set():
                for key, _ in sel.select(timeout=0.05):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)


class ForwardProxy(FaultServer):
    """An HTTP proxy on a loopback address: `upstreams` maps a host name to the server that
    plays it (the public internet, mocked); loopback IP literals are reached directly, any
    other origin gets 502. Every request it receives is in `log` (absolute-form paths)."""

    handler_class = _ProxyHandler

    def __init__(self, host: str = "127.0.0.1", upstreams: dict[str, FaultServer] | None = None):
        super().__init__(host)
        self.upstreams = dict(upstreams or {})

    def upstream(self, host: str, port: int) -> tuple[str, int] | None:
        server = self.upstreams.get(host.lower())
        if server is not None:
            return server.host, server.port
        if host.startswith("127."):
            return host, port
        return None

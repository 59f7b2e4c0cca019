"""One request on the wire through an httpx transport, recorded as it happens into an Exchange."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from pipeline.capture.fetch.body import Body, BodyReader, read_body
from pipeline.capture.fetch.decode import BodyTooLarge, accept_encoding
from pipeline.capture.fetch.policy import FetchPolicy
from pipeline.models import Exchange, header

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"


def request_headers(
    url: httpx.URL, policy: FetchPolicy, extra: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The request head we send, in order; exactly these go on the wire (h11 adds nothing)."""
    return [
        ("Host", url.netloc.decode("ascii")),
        ("User-Agent", policy.user_agent),
        ("Accept", ACCEPT),
        ("Accept-Encoding", accept_encoding()),
        *extra,
    ]


def _text(value: bytes) -> str:
    return value.decode("latin-1")  # byte-preserving: .encode("latin-1") gives the bytes back


class Trace:
    """httpcore's `trace` extension: calls `sent()` once our request head is on the wire (not
    a proxy CONNECT's), and notes whether this request opened a new connection."""

    __slots__ = ("_ours", "_sent", "connected")

    def __init__(self, sent: Callable[[], None]) -> None:
        self._sent = sent
        self._ours = False
        self.connected = False

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event == "http11.send_request_headers.started":
            self._ours = info["request"].method != b"CONNECT"
        elif event == "http11.send_request_headers.complete":
            if self._ours:
                self._sent()
        elif event == "connection.connect_tcp.started":
            self.connected = True


class Wire:
    """A GET and its response as they happen: `send()` the head, `read()` the body, and
    `record()` what there was, whether or not it got that far."""

    def __init__(self, url: httpx.URL, headers: list[tuple[str, str]]) -> None:
        self.url = url
        self.headers = headers
        self.restart()

    def restart(self) -> None:
        """Forget the response, for sending the same request again."""
        self.started_at = datetime.now(UTC)
        self.status: int | None = None
        self.reason = ""
        self.http_version = ""
        self.response_headers: list[tuple[str, str]] = []
        self.ip_address: str | None = None
        self.reader: BodyReader | None = None
        self.body: Body | None = None

    async def send(
        self, transport: httpx.AsyncBaseTransport, policy: FetchPolicy, trace: Trace
    ) -> httpx.Response:
        """Send the request and read the response head; the caller must aclose() the response."""
        timeouts = {
            "connect": policy.connect_timeout_s,
            "read": policy.read_timeout_s,
            "write": policy.read_timeout_s,
            "pool": None,
        }
        request = httpx.Request(
            "GET",
            self.url,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers],
            extensions={"timeout": timeouts, "trace": trace},
        )
        response = await transport.handle_async_request(request)
        self.status = response.status_code
        self.response_headers = [(_text(k), _text(v)) for k, v in response.headers.raw]
        self.reason = _text(response.extensions.get("reason_phrase", b""))
        self.http_version = _text(response.extensions.get("http_version", b"HTTP/1.1"))
        return response

    def header(self, name: str) -> str | None:
        return header(self.response_headers, name)

    async def read(self, response: httpx.Response, limit: int, *, truncate: bool) -> Body:
        """The body, bounded by `limit` (BodyTooLarge past it unless `truncate`)."""
        declared = (self.header("content-length") or "").strip()
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(f"Content-Length {declared} > max_bytes={limit}")
        self.reader = BodyReader(self.header("content-encoding"), limit, truncate=truncate)
        self.body = await read_body(response.aiter_raw(), self.reader)
        return self.body

    def record(self, error: str | None = None) -> Exchange:
        """This exchange as it stands: complete, or cut short by `error`."""
        if self.body is not None and error is None:
            raw, body, truncated = self.body.raw, self.body.decoded, self.body.truncated
        else:  # a failed read keeps only the start of what came, for the archive
            raw = self.reader.raw_prefix() if self.reader is not None else b""
            body, truncated = b"", self.status is not None
        return Exchange(
            url=str(self.url),
            method="GET",
            request_headers=self.headers,
            started_at=self.started_at,
            status=self.status,
            reason=self.reason,
            http_version=self.http_version if self.status is not None else "",
            response_headers=self.response_headers,
            raw_body=raw,
            body=body,
            truncated=truncated,
            error=error,
            ip_address=self.ip_address,
        )

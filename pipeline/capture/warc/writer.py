"""Write what was fetched to WARC/1.1, so that a replay tool can reproduce the crawl.

Per file: a `warcinfo` record first (software, version, the sources file's hash, robots
policy). Per fetch, every exchange in order: a `request` record, then its `response` (redirect
hops, failed attempts such as a 503 before its retry, robots.txt, the final page), a `metadata`
record for an attempt that got no response (its error), and a `revisit` record for a 304 that
refers to the stored response it confirms. Local files are `resource` records whose target is
`file:<path relative to sources.yaml>`.

Payloads are stored as received: Content-Encoding is not undone (a gzip body stays gzip, with
its headers), so the digests that warcio computes verify with `warcio check` and replay gives
back what the server sent. The one change: the body is stored de-chunked (the HTTP client
removes the chunked framing), so a `Transfer-Encoding` header is dropped and the record says
`WARC-Pipeline-Transfer-Decoded: chunked`. A discarded body kept only in part (a failed
attempt's) is marked `WARC-Truncated: length`. HTTP header bytes are written back exactly
(Latin-1 round trip).
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import __version__
from pipeline.models import Capture, Exchange, FetchResult, header, stable_id

WARC_ROTATE_BYTES = 512 * 1024 * 1024
WARC_VERSION = "WARC/1.1"
TRANSFER_DECODED = "WARC-Pipeline-Transfer-Decoded"


def warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def guess_file_type(path: Path) -> str:
    """Content type for a local capture, from its extension; `.txt` dumps are text/plain."""
    suffix = path.suffix.lower()
    if suffix in {".txt", ".text"}:
        return "text/plain; charset=utf-8"
    if suffix in {".html", ".htm", ".xhtml"}:
        return "text/html"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _http_block(first_line: str, headers: list[tuple[str, str]],
                request: bool = False) -> StatusAndHeaders:
    """An HTTP head whose bytes are exactly the ones sent or received (Latin-1 both ways)."""
    block = StatusAndHeaders(first_line, list(headers), protocol="" if request else "",
                             is_http_request=request)
    text = first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    block.headers_buff = text.encode("latin-1", "replace")
    return block


class WarcWriter:
    """Appends records to `<dir>/<run_id>-NNNNN.warc.gz`, one gzip member per record.

    Each capture is flushed and fsynced before it is returned, so an index row in the
    warehouse never points at bytes that are not on disk.
    """

    def __init__(self, directory: Path, run_id: str, rotate_bytes: int = WARC_ROTATE_BYTES,
                 info: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.run_id = run_id
        self.rotate_bytes = rotate_bytes
        self.info = info or {}
        self._seq = 0
        self._fh: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _open(self) -> tuple[WARCWriter, io.BufferedWriter]:
        if self._fh is not None and self._fh.tell() >= self.rotate_bytes:
            self.close()
        if self._fh is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._seq += 1
            self._path = self.directory / f"{self.run_id}-{self._seq:05d}.warc.gz"
            self._fh = open(self._path, "ab")  # noqa: SIM115 - kept open across records
            self._writer = WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)
            if self._fh.tell() == 0:
                self._writer.write_record(self._writer.create_warcinfo_record(
                    self._path.name, self._warcinfo()))
                self._sync()
        assert self._writer is not None
        return self._writer, self._fh

    def _warcinfo(self) -> dict[str, str]:
        return {
            "software": f"pipeline/{__version__} (https://example.org/pipeline)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": self.run_id,
            **self.info,
        }

    @property
    def file_name(self) -> str:
        assert self._path is not None
        return self._path.name

    # -- fetched responses ------------------------------------------------------------------

    def write_response(self, result: FetchResult, kind: str = "article") -> Capture:
        """Every exchange of one fetch; the capture is the final response's record."""
        exchanges = result.exchanges or [_exchange_of(result)]
        for exchange in exchanges[:-1]:
            self._write_exchange(exchange, result, kind, role="intermediate")
        offset, length = self._write_exchange(exchanges[-1], result, kind, role="final")
        assert result.status is not None
        body = result.body  # decoded, for extraction; the record holds the bytes as received
        return Capture(
            id=stable_id(f"{self.file_name}:{offset}"),
            url=result.url,
            final_url=result.final_url or result.url,
            source=result.source,
            status=result.status,
            content_type=header(result.headers, "content-type") or "",
            body=body,
            fetched_at=result.fetched_at or exchanges[-1].started_at,
            sha256=hashlib.sha256(body).hexdigest(),
            warc_file=self.file_name,
            offset=offset,
            length=length,
            run_id=self.run_id,
            headers=result.headers,
            kind=kind,
        )

    def write_attempts(self, result: FetchResult, kind: str) -> None:
        """A fetch that stored nothing (it failed, or was cut short): its exchanges, for the record."""
        for exchange in result.exchanges:
            self._write_exchange(exchange, result, kind, role="intermediate")

    def write_revisit(self, result: FetchResult, kind: str, refers_to: dict[str, str]) -> None:
        """A 304: the exchanges that led to it, the last as a revisit of the stored response.

        `refers_to`: the stored record's WARC-Record-ID, WARC-Target-URI, WARC-Date and
        WARC-Payload-Digest.
        """
        for exchange in result.exchanges[:-1]:
            self._write_exchange(exchange, result, kind, role="intermediate")
        final = result.exchanges[-1] if result.exchanges else _exchange_of(result)
        writer, _ = self._open()
        response_id = self._request(writer, final, result, kind)
        headers = [(k, v) for k, v in final.response_headers if k.lower() != "transfer-encoding"]
        record = writer.create_revisit_record(
            final.url, refers_to.get("WARC-Payload-Digest") or "sha1:unknown",
            refers_to.get("WARC-Target-URI") or final.url, refers_to.get("WARC-Date") or "",
            http_headers=_http_block(f"{final.http_version or 'HTTP/1.1'} 304 {final.reason}",
                                     headers),
            warc_headers_dict=self._warc_headers(final, result, kind, "final", response_id),
        )
        if refers_to.get("WARC-Record-ID"):
            record.rec_headers.add_header("WARC-Refers-To", refers_to["WARC-Record-ID"])
        writer.write_record(record)
        self._sync()

    def _write_exchange(self, exchange: Exchange, result: FetchResult, kind: str,
                        role: str) -> tuple[int, int]:
        writer, fh = self._open()
        response_id = self._request(writer, exchange, result, kind)
        offset = fh.tell()
        if exchange.status is None:
            note = f"error: {exchange.error}\r\n".encode()
            record = writer.create_warc_record(
                exchange.url, "metadata", payload=io.BytesIO(note), length=len(note),
                warc_content_type="application/warc-fields",
                warc_headers_dict={**self._warc_headers(exchange, result, kind, role, None),
                                   "WARC-Concurrent-To": response_id},
            )
        else:
            record = self._response(writer, exchange, result, kind, role, response_id)
        writer.write_record(record)
        length = fh.tell() - offset
        self._sync()
        return offset, length

    def _request(self, writer: WARCWriter, exchange: Exchange, result: FetchResult,
                 kind: str) -> str:
        """Write the request record first (so a cut after a response never loses its request);
        returns the record id its response will carry."""
        response_id = f"<urn:uuid:{uuid.uuid4()}>"
        if not exchange.request_headers:
            return response_id
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=_http_block(f"{exchange.method} {_path_of(exchange.url)} HTTP/1.1",
                                     exchange.request_headers, request=True),
            warc_headers_dict={"WARC-Date": warc_date(exchange.started_at),
                               "WARC-Concurrent-To": response_id},
        )
        writer.write_record(request)
        return response_id

    def _response(self, writer: WARCWriter, exchange: Exchange, result: FetchResult, kind: str,
                  role: str, record_id: str) -> object:
        headers, dechunked = [], False
        for key, value in exchange.response_headers:
            if key.lower() == "transfer-encoding":
                dechunked = True
                continue
            headers.append((key, value))
        line = f"{exchange.http_version or 'HTTP/1.1'} {exchange.status} {exchange.reason}".rstrip()
        warc_headers = self._warc_headers(exchange, result, kind, role, record_id)
        if dechunked:
            warc_headers[TRANSFER_DECODED] = "chunked"
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = "length"
        return writer.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.raw_body),
            length=len(exchange.raw_body), http_headers=_http_block(line, headers),
            warc_headers_dict=warc_headers,
        )

    def _warc_headers(self, exchange: Exchange, result: FetchResult, kind: str, role: str,
                      record_id: str | None) -> dict[str, str]:
        out = {
            "WARC-Date": warc_date(exchange.started_at),
            "X-Pipeline-Source": result.source,
            "X-Pipeline-Kind": kind,
            "X-Pipeline-Role": role,
        }
        if record_id:
            out["WARC-Record-ID"] = record_id
        if exchange.ip_address:
            out["WARC-IP-Address"] = exchange.ip_address
        if role == "final" and result.url != exchange.url:
            out["X-Pipeline-Requested-URI"] = result.url
        return out

    # -- local files -----------------------------------------------------------------------

    def write_file(self, path: Path, body: bytes, source: str, content_type: str,
                   label: str) -> Capture:
        """Store a local file as a WARC `resource` record.

        `label` is the path as the user knows it (relative to sources.yaml when below it): the
        target URI is `file:<label>` and `X-Pipeline-Path` holds it, so no machine path is
        recorded and the article id (which derives from it) survives moving the project.
        """
        writer, fh = self._open()
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        uri = "file:" + quote(label)
        record = writer.create_warc_record(
            uri, "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type=content_type,
            warc_headers_dict={
                "WARC-Date": warc_date(fetched_at),
                "X-Pipeline-Source": source,
                "X-Pipeline-Kind": "file",
                "X-Pipeline-Path": label,
            },
        )
        offset = fh.tell()
        writer.write_record(record)
        length = fh.tell() - offset
        self._sync()
        return Capture(
            id=stable_id(f"{self.file_name}:{offset}"),
            url=uri, final_url=uri, source=source, status=200, content_type=content_type,
            body=body, fetched_at=fetched_at, sha256=hashlib.sha256(body).hexdigest(),
            warc_file=self.file_name, offset=offset, length=length, run_id=self.run_id,
            headers=[("Content-Type", content_type)], path=label, kind="file",
        )

    def _sync(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())


def _exchange_of(result: FetchResult) -> Exchange:
    """A fetch result that carries no exchanges (a record copied from another WARC)."""
    return Exchange(
        url=result.final_url or result.url, method="GET", request_headers=result.request_headers,
        started_at=result.fetched_at or datetime.now(UTC), status=result.status,
        reason="", http_version="HTTP/1.1",
        response_headers=[(k, v) for k, v in result.headers
                          if k.lower() not in ("content-encoding", "content-length")],
        raw_body=result.body, body=result.body, error=result.error,
    )


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def truncate_to(warc_path: Path, size: int) -> bool:
    """Cut a WARC file back to `size` bytes (drop a torn tail left by a killed run)."""
    if warc_path.exists() and warc_path.stat().st_size > size:
        with open(warc_path, "r+b") as fh:
            fh.truncate(size)
        return True
    return False


def new_run_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]

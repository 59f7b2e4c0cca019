"""Write raw responses and local files to WARC (request + response / resource records); read them back.

Bodies are stored decoded (after Content-Encoding), so the stored `Content-Encoding` and
`Content-Length` headers are rewritten to match and the originals kept as
`X-Pipeline-Orig-Content-Encoding` / `X-Pipeline-Orig-Content-Length`.
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

from pipeline.models import Capture, FetchResult, header, stable_id

WARC_ROTATE_BYTES = 512 * 1024 * 1024
_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found"}


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def guess_file_type(path: Path) -> str:
    """Content type for a local capture, from its extension; `.txt` dumps are text/plain."""
    suffix = path.suffix.lower()
    if suffix in {".txt", ".text"}:
        return "text/plain; charset=utf-8"
    if suffix in {".html", ".htm", ".xhtml"}:
        return "text/html"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class WarcWriter:
    """Appends records to `<dir>/<run_id>-NNNNN.warc.gz`, one gzip member per record.

    Each capture is flushed and fsynced before it is returned, so an index row in the
    warehouse never points at bytes that are not on disk.
    """

    def __init__(self, directory: Path, run_id: str, rotate_bytes: int = WARC_ROTATE_BYTES) -> None:
        self.directory = directory
        self.run_id = run_id
        self.rotate_bytes = rotate_bytes
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

    def _open(self) -> WARCWriter:
        if self._fh is not None and self._fh.tell() >= self.rotate_bytes:
            self.close()
        if self._fh is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._seq += 1
            self._path = self.directory / f"{self.run_id}-{self._seq:05d}.warc.gz"
            self._fh = open(self._path, "ab")
            self._writer = WARCWriter(self._fh, gzip=True)
        assert self._writer is not None
        return self._writer

    def _relative(self) -> str:
        assert self._path is not None
        return self._path.name

    def write_response(self, result: FetchResult, kind: str = "article") -> Capture:
        """Store a request and a response record for one HTTP response; return its capture."""
        writer = self._open()
        assert self._fh is not None and result.status is not None
        fetched_at = result.fetched_at or datetime.now(UTC)
        target = result.final_url or result.url
        headers = [(k, v) for k, v in result.headers if k.lower() not in _HOP_HEADERS]
        for key, value in result.headers:
            if key.lower() in {"content-encoding", "content-length"}:
                headers.append((f"X-Pipeline-Orig-{key}", value))
        headers.append(("Content-Length", str(len(result.body))))
        reason = _REASONS.get(result.status, "Response")
        http_headers = StatusAndHeaders(f"{result.status} {reason}", headers, protocol="HTTP/1.1")
        warc_headers = {
            "WARC-Date": _warc_date(fetched_at),
            "WARC-Payload-Digest": "sha256:" + hashlib.sha256(result.body).hexdigest(),
            "X-Pipeline-Source": result.source,
            "X-Pipeline-Kind": kind,
        }
        if result.final_url and result.final_url != result.url:
            warc_headers["X-Pipeline-Requested-URI"] = result.url
        response = writer.create_warc_record(
            target, "response", payload=io.BytesIO(result.body), length=len(result.body),
            http_headers=http_headers, warc_headers_dict=warc_headers,
        )
        if result.request_headers:
            # The request goes first: the response then ends the pair, so cutting a torn file
            # back to the end of its last indexed response never loses that response's request.
            request = writer.create_warc_record(
                target, "request", payload=io.BytesIO(b""), length=0,
                http_headers=StatusAndHeaders(
                    f"GET {_path_of(target)} HTTP/1.1", result.request_headers,
                    is_http_request=True,
                ),
                warc_headers_dict={
                    "WARC-Date": _warc_date(fetched_at),
                    "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            writer.write_record(request)
        offset = self._fh.tell()
        writer.write_record(response)
        length = self._fh.tell() - offset
        self._sync()
        return Capture(
            id=stable_id(f"{self._relative()}:{offset}"),
            url=result.url,
            final_url=target,
            source=result.source,
            status=result.status,
            content_type=header(result.headers, "content-type") or "",
            body=result.body,
            fetched_at=fetched_at,
            sha256=hashlib.sha256(result.body).hexdigest(),
            warc_file=self._relative(),
            offset=offset,
            length=length,
            run_id=self.run_id,
            headers=result.headers,
            kind=kind,
        )

    def write_file(self, path: Path, body: bytes, source: str, content_type: str,
                   label: str) -> Capture:
        """Store a local file as a WARC `resource` record.

        `label` is the path as the user knows it (relative to sources.yaml when below it): the
        target URI is `file:<label>` and `X-Pipeline-Path` holds it, so no machine path is
        recorded and the article id (which derives from it) survives moving the project.
        """
        writer = self._open()
        assert self._fh is not None
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        uri = "file:" + quote(label)
        record = writer.create_warc_record(
            uri, "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type=content_type,
            warc_headers_dict={
                "WARC-Date": _warc_date(fetched_at),
                "WARC-Payload-Digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                "X-Pipeline-Source": source,
                "X-Pipeline-Kind": "file",
                "X-Pipeline-Path": label,
            },
        )
        offset = self._fh.tell()
        writer.write_record(record)
        length = self._fh.tell() - offset
        self._sync()
        return Capture(
            id=stable_id(f"{self._relative()}:{offset}"),
            url=uri, final_url=uri, source=source, status=200, content_type=content_type,
            body=body, fetched_at=fetched_at, sha256=hashlib.sha256(body).hexdigest(),
            warc_file=self._relative(), offset=offset, length=length, run_id=self.run_id,
            headers=[("Content-Type", content_type)], path=label, kind="file",
        )

    def _sync(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())


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

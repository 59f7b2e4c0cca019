"""The one WARC reader: records of a WARC file (ours or Common Crawl's) with their payload decoded.

Two parsers give the same records: fastwarc (resiliparse, several times faster, optional) and
warcio (always installed). Either way the payload is de-chunked and its Content-Encoding undone
by the one bounded decoder (`pipeline.capture.fetch.decode`), so a 1 GiB record inside a small
`.warc.gz` costs at most `max_body_bytes` of memory (the record is then marked `too_large`).
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from pipeline.capture.fetch.decode import BoundedDecoder
from pipeline.errors import BodyTooLarge, CaptureError, DecodeFailed, TornArchive
from pipeline.models import Capture, Headers, header, stable_id

READERS = ("auto", "fastwarc", "warcio")
PAGE_TYPES = frozenset({"response", "resource"})
ALL_TYPES = frozenset({"response", "resource", "revisit", "request", "metadata", "warcinfo"})
MAX_BODY_BYTES = 16 * 1024 * 1024
_CHUNK = 1 << 16


@dataclass(slots=True)
class WarcRecord:
    """One record and where it sits in its file; `body` is the decoded payload."""

    offset: int  # of the record (its gzip member) in the file as stored
    record_id: str
    record_type: str  # response | resource | revisit | request | metadata | warcinfo
    target_uri: str
    status: int
    headers: Headers
    body: bytes
    warc_date: str
    warc_headers: Headers
    too_large: bool = False
    length: int = 0  # bytes of the record as stored (warcio reader only; 0 when unknown)

    def warc_header(self, name: str) -> str | None:
        return header(self.warc_headers, name)

    @property
    def is_capture(self) -> bool:
        """A page as finally answered: not a redirect hop or a failed attempt our writer kept
        for the archive (`X-Pipeline-Role: intermediate`); every record of other WARCs is."""
        return self.record_type in PAGE_TYPES and self.warc_header("X-Pipeline-Role") != "intermediate"


def have_fastwarc() -> bool:
    try:
        import fastwarc.warc  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_reader(reader: str) -> str:
    if reader not in READERS:
        raise ValueError(f"unknown WARC reader {reader!r} (one of {', '.join(READERS)})")
    if reader == "auto":
        return "fastwarc" if have_fastwarc() else "warcio"
    return reader


def iter_records(
    stream: BinaryIO,
    reader: str = "auto",
    types: frozenset[str] = PAGE_TYPES,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Iterator[WarcRecord]:
    """Every record of `types` in an open WARC stream (gzip or not), in file order."""
    if resolve_reader(reader) == "fastwarc":
        yield from _iter_fastwarc(stream, types, max_body_bytes)
    else:
        yield from _iter_warcio(stream, types, max_body_bytes)


def _iter_fastwarc(stream: BinaryIO, types: frozenset[str], cap: int) -> Iterator[WarcRecord]:
    from fastwarc.warc import ArchiveIterator

    # auto_decode would stop the whole file at one body whose Content-Encoding lies.
    for rec in ArchiveIterator(stream, parse_http=True, auto_decode="none"):
        kind = rec.headers.get("WARC-Type", "")
        if kind not in types:
            continue
        has_http = rec.http_headers is not None and kind in ("response", "revisit", "request")
        headers = [(k, v) for k, v in rec.http_headers.astuples()] if has_http else []
        status = (rec.http_headers.status_code or 0) if has_http else (200 if kind == "resource" else 0)
        if not has_http:
            headers = [("Content-Type", rec.headers.get("Content-Type") or "")]
        body, too_large = _payload(rec.reader, headers if has_http else [], cap)
        yield WarcRecord(
            offset=rec.stream_pos, record_id=rec.record_id or "", record_type=kind,
            target_uri=rec.headers.get("WARC-Target-URI") or "", status=status, headers=headers,
            body=body, warc_date=rec.headers.get("WARC-Date") or "",
            warc_headers=[(k, v) for k, v in rec.headers.astuples()], too_large=too_large,
        )


def _iter_warcio(stream: BinaryIO, types: frozenset[str], cap: int) -> Iterator[WarcRecord]:
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(stream, no_record_parse=False)
    for rec in records:
        if rec.rec_type not in types:
            continue
        has_http = rec.http_headers is not None and rec.rec_type in ("response", "revisit", "request")
        headers = list(rec.http_headers.headers) if has_http else []
        body, too_large = _payload(rec.raw_stream, headers, cap)
        status = 200 if rec.rec_type == "resource" else 0
        if has_http:
            try:
                status = int(rec.http_headers.get_statuscode() or 0)
            except ValueError:
                status = 0
        else:
            headers = [("Content-Type", rec.rec_headers.get_header("Content-Type") or "")]
        # warcio knows offset and length only once the record has been read to its end.
        records.read_to_end(rec)
        offset, length = records.get_record_offset(), records.get_record_length()
        get = rec.rec_headers.get_header
        yield WarcRecord(
            offset=offset, record_id=get("WARC-Record-ID") or "", record_type=rec.rec_type,
            target_uri=get("WARC-Target-URI") or "", status=status, headers=headers, body=body,
            warc_date=get("WARC-Date") or "", warc_headers=list(rec.rec_headers.headers),
            too_large=too_large, length=length,
        )


def _payload(raw: Any, http_headers: Headers, cap: int) -> tuple[bytes, bool]:
    """The payload de-chunked and content-decoded, reading and producing at most `cap` bytes.

    A Content-Encoding that does not decode (a server that lied) leaves the bytes as stored, as
    warcio's own reader does. Returns (body, too_large); a too-large body comes back empty.
    """
    if (header(http_headers, "transfer-encoding") or "").lower() == "chunked":
        from warcio.bufferedreaders import ChunkedDataReader

        raw = ChunkedDataReader(raw)
    try:
        decoder = BoundedDecoder(header(http_headers, "content-encoding"), cap)
    except DecodeFailed:
        decoder = BoundedDecoder(None, cap)
    stored = bytearray() if decoder.encoded else None  # the fallback when decoding fails
    failed = False
    while chunk := raw.read(_CHUNK):
        if stored is not None:
            stored += chunk
            if len(stored) > cap:
                return b"", True
        if not failed:
            try:
                decoder.feed(chunk)
            except BodyTooLarge:
                return b"", True
            except DecodeFailed:
                failed = True
    if not failed:
        try:
            return decoder.finish(), False
        except BodyTooLarge:
            return b"", True
        except DecodeFailed:
            pass
    return bytes(stored or b""), False


def iter_checked(
    stream: BinaryIO, reader: str = "auto", local_gz: str | None = None,
    types: frozenset[str] = PAGE_TYPES, max_body_bytes: int = MAX_BODY_BYTES,
) -> Iterator[WarcRecord]:
    """`iter_records`, but a record cut short at a torn end is never handed out.

    Both parsers stop quietly at a truncated gzip member (and may hand out its partial body),
    so for a local `.gz` file each record is held back until the next one arrives, and at the
    end the tail is checked member by member; TornArchive is raised after the whole records.
    """
    held: WarcRecord | None = None
    for record in iter_records(stream, reader, types, max_body_bytes):
        if held is not None:
            yield held
        held = record
    torn_at = torn_member(local_gz, held.offset if held else 0) if local_gz else None
    if held is not None and (torn_at is None or torn_at > held.offset):
        yield held
    if torn_at is not None:
        raise TornArchive(torn_at)


def torn_member(path: str, offset: int) -> int | None:
    """Offset of the first incomplete gzip member from `offset` to the end, or None if whole.

    Streams member by member (bounded memory, whatever a member decompresses to).
    """
    with open(path, "rb") as fh:
        fh.seek(offset)
        start, pending = offset, b""
        while True:
            data = pending or fh.read(_CHUNK)
            if not data:
                return None
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            fed = 0
            while True:
                try:
                    inflater.decompress(data, _CHUNK)
                except zlib.error:
                    return start
                fed += len(data) - len(inflater.unconsumed_tail)
                if inflater.eof:
                    break
                data = inflater.unconsumed_tail or fh.read(_CHUNK)
                if not data:
                    return start
            pending = inflater.unused_data
            start += fed - len(pending)


def complete_end(path: str) -> int:
    """The end of the last whole gzip member of a `.warc.gz` file (its size when nothing is torn)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, io.SEEK_END)
    torn = torn_member(path, 0)
    return size if torn is None else torn


def read_record(path: str, offset: int, length: int,
                max_body_bytes: int = MAX_BODY_BYTES) -> WarcRecord:
    """The one record stored at `offset` (any type)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        for record in iter_records(io.BytesIO(data), "warcio", ALL_TYPES, max_body_bytes):
            record.offset = offset
            return record
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        raise CaptureError(f"{path}@{offset}: cannot read WARC record: {exc}") from exc
    raise CaptureError(f"{path}@{offset}: no WARC record at this offset")



def to_capture(record: WarcRecord, warc_file: str, source: str, run_id: str = "") -> Capture:
    """The capture this record stands for (same url, status, type, body as when it was stored).

    Our own records name the local file they hold (`X-Pipeline-Path`, relative to sources.yaml)
    and their kind, so ids come out the same whether a page is read by `run`, `reextract` or
    `batch`.
    """
    return Capture(
        id=stable_id(f"{warc_file}:{record.offset}"),
        url=record.warc_header("X-Pipeline-Requested-URI") or record.target_uri,
        final_url=record.target_uri,
        source=source,
        status=record.status,
        content_type=header(record.headers, "content-type") or "",
        body=record.body,
        fetched_at=_parse_date(record.warc_date),
        sha256=hashlib.sha256(record.body).hexdigest(),
        warc_file=warc_file,
        offset=record.offset,
        run_id=run_id,
        length=record.length,
        headers=record.headers,
        path=record.warc_header("X-Pipeline-Path"),
        kind=record.warc_header("X-Pipeline-Kind") or "article",
    )


def _parse_date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)  # 3.11 reads the trailing Z
    except ValueError:
        return datetime.now(UTC)

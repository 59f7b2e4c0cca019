"""Stream the response and resource records of one WARC file (ours or Common Crawl's) as captures.

Two readers give the same records: fastwarc (resiliparse, several times faster, optional) and
warcio (always installed). Both hand back the payload decoded from chunked transfer and
Content-Encoding, as `pipeline run` stores it, so the extraction sees the same bytes either way.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from pipeline.capture.warc import content_type_of
from pipeline.models import Capture, stable_id

READERS = ("auto", "fastwarc", "warcio")


@dataclass(slots=True)
class WarcRecord:
    """One response/resource record and where it sits in its file."""

    offset: int  # of the record (its gzip member) in the file as stored
    record_id: str
    record_type: str  # response | resource
    target_uri: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    warc_date: str
    pipeline_source: str | None  # X-Pipeline-Source, set by our own WarcWriter


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


def iter_records(stream: BinaryIO, reader: str = "auto") -> Iterator[WarcRecord]:
    """Every response and resource record of an open WARC stream (gzip or not), in file order."""
    if resolve_reader(reader) == "fastwarc":
        yield from _iter_fastwarc(stream)
    else:
        yield from _iter_warcio(stream)


def _iter_fastwarc(stream: BinaryIO) -> Iterator[WarcRecord]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    wanted = WarcRecordType.response | WarcRecordType.resource
    # auto_decode would stop the whole file at one body whose Content-Encoding lies; decoding
    # here (as warcio does, falling back to the raw bytes) keeps both readers identical.
    for rec in ArchiveIterator(stream, record_types=wanted, parse_http=True, auto_decode="none"):
        is_response = rec.record_type == WarcRecordType.response
        if is_response and rec.http_headers is not None:
            headers = [(k, v) for k, v in rec.http_headers.astuples()]
            status = rec.http_headers.status_code or 0
        else:
            headers = [("Content-Type", rec.headers.get("Content-Type", ""))]
            status = 200 if not is_response else 0
        yield WarcRecord(
            offset=rec.stream_pos,
            record_id=rec.record_id or "",
            record_type="response" if is_response else "resource",
            target_uri=rec.headers.get("WARC-Target-URI", ""),
            status=status,
            headers=headers,
            body=_decoded(rec.reader.read(), headers) if is_response else rec.reader.read(),
            warc_date=rec.headers.get("WARC-Date", ""),
            pipeline_source=rec.headers.get("X-Pipeline-Source"),
        )


def _decoded(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    """The payload after Transfer-Encoding and Content-Encoding, exactly as warcio's
    `content_stream()` gives it (its readers, its fallbacks to the raw bytes)."""
    lower = {k.lower(): v for k, v in headers}
    encoding = (lower.get("content-encoding") or "").lower() or None
    chunked = lower.get("transfer-encoding") == "chunked"
    if not encoding and not chunked:
        return raw
    from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if chunked:
        return ChunkedDataReader(io.BytesIO(raw), decomp_type=encoding).read()
    if encoding:
        return BufferedReader(io.BytesIO(raw), decomp_type=encoding).read()
    return raw


def _iter_warcio(stream: BinaryIO) -> Iterator[WarcRecord]:
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(stream)
    for rec in records:
        if rec.rec_type not in {"response", "resource"}:
            continue
        body = rec.content_stream().read()
        # warcio only knows the offset once the record is read (asking earlier consumes it).
        offset = records.get_record_offset()
        if rec.rec_type == "resource" or rec.http_headers is None:
            headers = [("Content-Type", rec.rec_headers.get_header("Content-Type") or "")]
            status = 200 if rec.rec_type == "resource" else 0
        else:
            headers = list(rec.http_headers.headers)
            try:
                status = int(rec.http_headers.get_statuscode() or 0)
            except ValueError:
                status = 0
        get = rec.rec_headers.get_header
        yield WarcRecord(
            offset=offset,
            record_id=get("WARC-Record-ID") or "",
            record_type=rec.rec_type,
            target_uri=get("WARC-Target-URI") or "",
            status=status,
            headers=headers,
            body=body,
            warc_date=get("WARC-Date") or "",
            pipeline_source=get("X-Pipeline-Source"),
        )


class TornArchive(Exception):
    """The archive ends inside a gzip member (an interrupted download or write)."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"gzip member at offset {offset} is cut short")
        self.offset = offset


def iter_checked(
    stream: BinaryIO, reader: str = "auto", local_gz: str | None = None
) -> Iterator[WarcRecord]:
    """`iter_records`, but a record cut short at a torn end is never handed out.

    Both readers stop quietly at a truncated gzip member (and may hand out its partial body),
    so for a local `.gz` file each record is held back until the next one arrives, and at the
    end the tail is checked member by member; TornArchive is raised after the whole records.
    """
    held: WarcRecord | None = None
    for record in iter_records(stream, reader):
        if held is not None:
            yield held
        held = record
    torn_at = torn_member(local_gz, held.offset if held else 0) if local_gz else None
    if held is not None and (torn_at is None or torn_at > held.offset):
        yield held
    if torn_at is not None:
        raise TornArchive(torn_at)


def torn_member(path: str, offset: int) -> int | None:
    """Offset of the first incomplete gzip member from `offset` to the end, or None if whole."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()  # the tail from the last record on: one or a few records
    pos = 0
    while pos < len(data):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            inflater.decompress(data[pos:])
        except zlib.error:
            return offset + pos
        if not inflater.eof:
            return offset + pos
        pos = len(data) - len(inflater.unused_data)
    return None


def to_capture(record: WarcRecord, warc_path: str, source: str) -> Capture:
    """The capture `pipeline run` would build from this record (same url, status, type, body)."""
    return Capture(
        id=stable_id(f"{warc_path}:{record.offset}"),
        url=record.target_uri,
        final_url=record.target_uri,
        source=source,
        status=record.status,
        content_type=content_type_of(record.headers),
        body=record.body,
        fetched_at=_parse_date(record.warc_date),
        sha256=hashlib.sha256(record.body).hexdigest(),
        warc_file=warc_path,
        offset=record.offset,
        headers=record.headers,
    )


def _parse_date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)  # 3.11 reads the trailing Z
    except ValueError:
        return datetime.now(UTC)

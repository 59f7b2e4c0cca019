"""Stored captures, read back from the WARC files the index points at (for re-extraction)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pipeline.capture.warc import read_record
from pipeline.errors import CaptureError
from pipeline.models import Capture, Fetched, SourceNote

# (id, url, final_url, source, status, content_type, warc_file, offset, length, sha256,
#  fetched_at, run_id, path, kind) of an index row
IndexRow = tuple[str, str, str, str, int, str, str, int, int, str, datetime, str, str | None, str]


def stored_captures(rows: list[IndexRow], captures_dir: Path) -> Iterator[Fetched | SourceNote]:
    """Each indexed page capture with its bytes; an unreadable record becomes a problem note."""
    for (cid, url, final_url, source, status, ctype, warc_file, offset, length, sha, fetched_at,
         run_id, path, kind) in rows:
        try:
            record = read_record(str(captures_dir / warc_file), offset, length)
        except CaptureError as exc:
            yield SourceNote(source, failed=1, problem=f"capture {cid}: WARC record unreadable: {exc}")
            continue
        capture = Capture(
            id=cid, url=url, final_url=final_url, source=source, status=status,
            content_type=ctype or "", body=record.body, fetched_at=fetched_at, sha256=sha,
            warc_file=warc_file, offset=offset, length=length, run_id=run_id,
            headers=record.headers, path=path, kind=kind,
        )
        yield Fetched(source, kind, capture=capture, extract=True)

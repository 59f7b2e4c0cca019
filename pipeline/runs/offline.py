"""`pipeline extract`: local files in, one JSON-ready record per input (or per WARC record) out.

Each input becomes a capture (no warehouse, no WARC written) and goes through the same
extraction front door as every other driver.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.capture.files import WARC_SUFFIXES, read_bounded
from pipeline.capture.warc import iter_checked, to_capture
from pipeline.models import Article, Capture, ExtractResult
from pipeline.stages.extract import ExtractLimits, extract_capture

_TYPES = {"text": "text/plain; charset=utf-8", "html": "text/html"}
_SUFFIX_KIND = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".xhtml": "html"}


def to_record(path: str, url: str | None, result: ExtractResult) -> dict[str, Any]:
    record: dict[str, Any] = {"path": path, "url": url}
    if isinstance(result, Article):
        data = asdict(result)
        data["published"] = result.published.isoformat() if result.published else None
        record.update(data)
    else:
        record["drop"] = result.reason
    return record


def page_capture(body: bytes, name: str, url: str | None, content_type: str) -> Capture:
    """A capture of bytes that were not fetched (a local file, stdin)."""
    return Capture(id="", url=url or "", final_url=url or "", source="", status=200,
                   content_type=content_type, body=body, fetched_at=datetime.now(UTC),
                   sha256=hashlib.sha256(body).hexdigest(), path=name)


def extract_paths(paths: tuple[Path, ...] | list[Path], kind: str | None = None,
                  limits: ExtractLimits = ExtractLimits()) -> list[dict[str, Any]]:
    return [record for path in paths for record in _extract_path(path, kind, limits)]


def _extract_path(path: Path, kind: str | None, limits: ExtractLimits) -> Iterator[dict[str, Any]]:
    if path.name.lower().endswith(WARC_SUFFIXES):
        yield from _extract_warc(path, limits)
        return
    try:
        content = read_bounded(path, limits.max_bytes)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        yield {"path": str(path), "url": None, "drop": f"unreadable: {reason or exc}"}
        return
    kind = kind or _SUFFIX_KIND.get(path.suffix.lower())
    capture = page_capture(content, str(path), None, _TYPES.get(kind or "", ""))
    yield to_record(str(path), None, extract_capture(capture, limits))


def _extract_warc(path: Path, limits: ExtractLimits) -> Iterator[dict[str, Any]]:
    local_gz = str(path) if path.name.lower().endswith(".gz") else None
    try:
        with open(path, "rb") as fh:
            for record in iter_checked(fh, local_gz=local_gz, max_body_bytes=limits.max_bytes):
                capture = to_capture(record, str(path), "")
                label = f"{path}#{capture.url}"
                if record.too_large:
                    yield {"path": label, "url": capture.url, "drop": "too-large"}
                    continue
                yield to_record(label, capture.url, extract_capture(capture, limits))
    except Exception as exc:  # noqa: BLE001 - a torn or broken archive ends its own records only
        yield {"path": str(path), "url": None, "drop": f"unreadable-warc: {type(exc).__name__}: {exc}"}

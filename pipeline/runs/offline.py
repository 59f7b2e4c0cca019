"""`pipeline extract`: URLs, files or stdin in, one JSON-ready record per page out.

Each input becomes a capture (no warehouse, no WARC written) and goes through the same
extraction front door as every other driver. URLs are fetched by the same fetcher as the cron
job, politely (robots.txt, per-host pacing, retries, size and time limits).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.capture.fetch import Fetcher, FetchPolicy
from pipeline.capture.files import WARC_SUFFIXES, read_bounded
from pipeline.capture.warc import iter_checked, to_capture
from pipeline.models import Article, Capture, ExtractResult, FetchResult, header
from pipeline.stages.extract import DEFAULT_LIMITS, ExtractLimits, extract_capture

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
                  limits: ExtractLimits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    return [record for path in paths for record in _extract_path(path, kind, limits)]


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def extract_inputs(inputs: list[str], kind: str | None = None,
                   policy: FetchPolicy | None = None,
                   stdin: BinaryIO | None = None) -> Iterator[dict[str, Any]]:
    """One record per page, in the order given: URLs (fetched together), `-` (stdin), paths."""
    policy = policy or FetchPolicy()
    limits = ExtractLimits(max_bytes=policy.max_bytes)
    urls = [i for i in inputs if is_url(i)]
    fetched = dict(zip(urls, asyncio.run(_fetch(urls, policy)), strict=True)) if urls else {}
    for item in inputs:
        if item in fetched:
            yield _from_fetch(fetched[item], kind, limits)
        elif item == "-":
            data = (stdin or sys.stdin.buffer).read(limits.max_bytes + 1)
            if len(data) > limits.max_bytes:
                yield {"path": "-", "url": None, "drop": f"too-large: over {limits.max_bytes} bytes"}
                continue
            capture = page_capture(data, "-", None, _TYPES.get(kind or "", ""))
            yield to_record("-", None, extract_capture(capture, limits))
        else:
            yield from _extract_path(Path(item), kind, limits)


async def _fetch(urls: list[str], policy: FetchPolicy) -> list[FetchResult]:
    async with Fetcher() as fetcher:
        return list(await asyncio.gather(*(fetcher.fetch(u, source="extract", policy=policy,
                                                         allow_private=True)
                                           for u in urls)))


def _from_fetch(result: FetchResult, kind: str | None, limits: ExtractLimits) -> dict[str, Any]:
    url = result.final_url or result.url
    if result.error is not None or result.status is None:
        return {"path": result.url, "url": url, "drop": f"fetch: {result.error}"}
    ctype = _TYPES[kind] if kind else (header(result.headers, "content-type") or "")
    capture = Capture(id="", url=result.url, final_url=url, source="extract",
                      status=result.status, content_type=ctype, body=result.body,
                      fetched_at=result.fetched_at or datetime.now(UTC),
                      sha256=hashlib.sha256(result.body).hexdigest(), headers=result.headers)
    return to_record(result.url, url, extract_capture(capture, limits))


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
                if not record.is_capture:
                    continue
                capture = to_capture(record, str(path), "")
                label = f"{path}#{capture.url}"
                if record.too_large:
                    yield {"path": label, "url": capture.url, "drop": "too-large"}
                    continue
                yield to_record(label, capture.url, extract_capture(capture, limits))
    except Exception as exc:  # noqa: BLE001 - a torn or broken archive ends its own records only
        yield {"path": str(path), "url": None, "drop": f"unreadable-warc: {type(exc).__name__}: {exc}"}

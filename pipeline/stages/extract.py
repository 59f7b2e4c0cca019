"""The extraction stage: a capture in, an `Article` or a `Drop` out; parallel over batches.

Pure with respect to the outside world (no network, no database), so `run`, `reextract` and
`batch` share it.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor

from pipeline.extract import EXTRACTOR_VERSION, decode_html, extract
from pipeline.capture.fetch.policy import EXTRACTABLE_TYPES
from pipeline.models import Capture, Drop, ExtractResult

_PARALLEL_FROM = 16  # below this, a process pool costs more than it saves


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def extract_capture(capture: Capture) -> ExtractResult:
    """Extract one capture; non-2xx and non-text content types are dropped with a reason."""
    if not 200 <= capture.status < 300:
        return Drop(f"http-status: {capture.status}")
    mtype = media_type(capture.content_type)
    if mtype and mtype not in EXTRACTABLE_TYPES:
        return Drop(f"unsupported-content-type: {mtype}")
    if not capture.body:
        return Drop("empty")
    kind = "text" if mtype == "text/plain" else ("html" if mtype else None)
    try:
        text = decode_html(capture.body, capture.content_type or None)
    except Exception as exc:  # noqa: BLE001 - decoding must never stop a run
        return Drop(f"undecodable: {type(exc).__name__}: {exc}")
    if "\x00" in text[:4096] or _mostly_binary(text):
        return Drop("binary: content is not text")
    return extract(text, url=capture.final_url or capture.url, kind=kind)


def _mostly_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    odd = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t\f"))
    return odd / len(sample) > 0.1


class ExtractionPool:
    """A process pool kept for a whole run (workers import the extractor once), started lazily
    and only for batches big enough to pay for it. `spawn`, not `fork`: the parent runs an
    event loop and threads, which must not be forked."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: Executor | None = None

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, captures: list[Capture]) -> list[ExtractResult]:
        """Extract in order."""
        if len(captures) < _PARALLEL_FROM or self.workers == 1:
            return [extract_capture(capture) for capture in captures]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return list(self._pool.map(extract_capture, captures, chunksize=8))


def version() -> str:
    return EXTRACTOR_VERSION


__all__ = ["ExtractionPool", "extract_capture", "media_type", "version"]

"""Local captures: `files:` sources (.txt, .html, .warc, .warc.gz) become WARC captures."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.capture.warc import WarcWriter, guess_file_type, iter_warc_responses
from pipeline.config import Config, SourceSpec
from pipeline.models import FetchResult
from pipeline.runs.sink import Sink
from pipeline.store.state import KnownState

log = logging.getLogger(__name__)


def collect_files(config: Config, spec: SourceSpec, warc: WarcWriter, sink: Sink,
                  known: KnownState) -> None:
    """Capture every file the source's globs match; unchanged files already stored are skipped."""
    tally = sink.tally(spec.name)
    paths = config.resolve_files(spec)
    if not paths:
        sink.problem(spec.name, f"{config.path}: source {spec.name!r}: files {spec.files!r} matched no file")
        return
    if spec.max_items:
        paths = paths[: spec.max_items]
    for path in paths:
        tally.discovered += 1
        try:
            body = path.read_bytes()
        except OSError as exc:
            tally.failed += 1
            sink.problem(spec.name, f"{path}: cannot read: {exc.strerror or exc}")
            continue
        name = path.name.lower()
        if name.endswith((".warc", ".warc.gz")):
            _collect_warc(path, spec, warc, sink, known)
            continue
        label = _label(path, config.path.parent)
        key = (label, hashlib.sha256(body).hexdigest())
        if key in known.file_digests:
            tally.skipped_known += 1
            continue
        capture = warc.write_file(path, body, spec.name, guess_file_type(path), label=label)
        known.file_digests.add(key)
        sink.add_capture(capture, "file")


def _collect_warc(path: Path, spec: SourceSpec, warc: WarcWriter, sink: Sink, known: KnownState) -> None:
    """Copy each HTML/text response of a WARC (ours or Common Crawl's) into our captures."""
    tally = sink.tally(spec.name)
    try:
        for url, status, headers, body, _date in iter_warc_responses(path):
            key = (url, hashlib.sha256(body).hexdigest())
            if key in known.file_digests:
                tally.skipped_known += 1
                continue
            result = FetchResult(
                url=url, source=spec.name, final_url=url, status=status, headers=headers,
                body=body, fetched_at=datetime.now(UTC),
            )
            capture = warc.write_response(result, kind="file")
            known.file_digests.add(key)
            sink.add_capture(capture, "file")
    except Exception as exc:  # noqa: BLE001 - a damaged archive must not stop the run
        tally.failed += 1
        sink.problem(spec.name, f"{path}: unreadable WARC: {type(exc).__name__}: {exc}")


def _label(path: Path, base: Path) -> str:
    """The path relative to the sources file when it lies below it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())

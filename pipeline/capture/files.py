"""Local captures: a `files:` source's pages (.txt, .html) and archives (.warc, .warc.gz) -> captures.

Globs are expanded without following symlinked directories (`**` over two symlink loops never
returns with `glob.glob`), and every file is read with a size bound, so a hostile path
(`/dev/zero`, a 1 GiB record in a small `.warc.gz`) costs at most `max_bytes`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.capture.warc import WarcWriter, guess_file_type, iter_checked, to_capture
from pipeline.models import Fetched, FetchResult, KnownState, SourceNote

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_MATCHES = 100_000  # files one source may name in one run
_MAGIC = set("*?[")


def expand(patterns: list[str], base: Path, limit: int = MAX_MATCHES) -> tuple[list[Path], bool]:
    """Files matching the globs (relative to `base`), sorted, deduplicated; and whether the limit cut.

    `**` does not descend into symlinked directories, so symlink loops cannot make it endless.
    """
    found: set[Path] = set()
    for pattern in patterns:
        anchor, rest = _split(Path(pattern) if Path(pattern).is_absolute() else base / pattern)
        matches = [anchor] if not rest else anchor.glob(rest) if anchor.is_dir() else []
        for path in matches:
            if path.is_file():
                found.add(path)
                if len(found) >= limit:
                    return sorted(found), True
    return sorted(found), False


def _split(path: Path) -> tuple[Path, str]:
    """The longest leading part without glob characters, and the pattern after it."""
    parts = path.parts
    for i, part in enumerate(parts):
        if _MAGIC & set(part):
            return Path(*parts[:i]), "/".join(parts[i:])
    return path, ""


def label(path: Path, base: Path) -> str:
    """The path as the user knows it: relative to the sources file when below it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; OSError, or ValueError past `max_bytes` (never reads more than that)."""
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than max_bytes={max_bytes}")
    return data


def file_captures(
    source: str, paths: list[Path], base: Path, warc: WarcWriter, known: KnownState,
    max_bytes: int,
) -> Iterator[Fetched | SourceNote]:
    """Capture each file (unchanged ones already stored are counted as known)."""
    for path in paths:
        if path.name.lower().endswith(WARC_SUFFIXES):
            yield from _warc_captures(source, path, warc, known, max_bytes)
            continue
        try:
            body = read_bounded(path, max_bytes)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            yield SourceNote(source, failed=1, problem=f"{path}: cannot read: {reason or exc}")
            continue
        name = label(path, base)
        key = (name, hashlib.sha256(body).hexdigest())
        if key in known.file_digests:
            yield SourceNote(source, known=1)
            continue
        capture = warc.write_file(path, body, source, guess_file_type(path), label=name)
        known.file_digests.add(key)
        yield Fetched(source, "file", capture=capture, extract=True)


def _warc_captures(source: str, path: Path, warc: WarcWriter, known: KnownState,
                   max_bytes: int) -> Iterator[Fetched | SourceNote]:
    """Copy each page record of a WARC (ours or Common Crawl's) into our captures."""
    local_gz = str(path) if path.name.lower().endswith(".gz") else None
    try:
        with open(path, "rb") as fh:
            for record in iter_checked(fh, local_gz=local_gz, max_body_bytes=max_bytes):
                if not record.is_capture:
                    continue
                if record.too_large:
                    yield SourceNote(source, failed=1, problem=(
                        f"{path}@{record.offset}: record larger than max_bytes={max_bytes}"))
                    continue
                capture = to_capture(record, str(path), source)
                key = (capture.url, capture.sha256)
                if key in known.file_digests:
                    yield SourceNote(source, known=1)
                    continue
                result = FetchResult(
                    url=capture.url, source=source, final_url=capture.final_url,
                    status=capture.status, headers=capture.headers, body=capture.body,
                    fetched_at=datetime.now(UTC),
                )
                stored = warc.write_response(result, kind="file")
                known.file_digests.add(key)
                yield Fetched(source, "file", capture=stored, extract=True)
    except Exception as exc:  # noqa: BLE001 - a damaged archive must not stop the run
        yield SourceNote(source, failed=1,
                         problem=f"{path}: unreadable WARC: {type(exc).__name__}: {exc}")


def collect_files(source: str, patterns: list[str], base: Path, warc: WarcWriter,
                  known: KnownState, max_bytes: int,
                  max_items: int | None = None) -> Iterator[Fetched | SourceNote]:
    """A `files:` source: its globs expanded (relative to sources.yaml), every match captured."""
    paths, cut = expand(patterns, base)
    if cut:
        yield SourceNote(source, problem=(
            f"files {patterns!r} match more than {MAX_MATCHES} files; only the first are taken"))
    if not paths:
        yield SourceNote(source, problem=f"files {patterns!r} matched no file (relative to {base})")
        return
    if max_items:
        paths = paths[:max_items]
    yield SourceNote(source, discovered=len(paths))
    yield from file_captures(source, paths, base, warc, known, max_bytes)

"""Turn one WARC file into its articles and rejects shards: the unit of work every engine runs.

Every response/resource record goes through `pipeline.stages.extract.extract_capture`, the same code the
cron job runs. A record that drops, or whose extraction raises, becomes a rejects row; a torn
archive tail becomes one `unreadable-warc` rejects row. Neither fails the file. Shards are
written under temporary names and renamed into place, and the completion marker comes last.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.runs.batch.layout import Layout, canonical_input, filesystem, shard_name
from pipeline.runs.batch.warcread import TornArchive, WarcRecord, iter_checked, to_capture
from pipeline.models import Article, Capture, Drop, stable_id
from pipeline.stages.extract import extract_capture, version
from pipeline.store import rows as R

PROVENANCE = [
    ("warc_path", pa.string()),
    ("warc_offset", pa.int64()),
    ("warc_record_id", pa.string()),
    ("warc_target_uri", pa.string()),
]
ARTICLE_SHARD_SCHEMA = pa.schema(list(R.ARTICLE_SCHEMA) + [pa.field(n, t) for n, t in PROVENANCE])
REJECT_SHARD_SCHEMA = pa.schema(list(R.REJECT_SCHEMA) + [pa.field(n, t) for n, t in PROVENANCE])
DEFAULT_SOURCE = "batch"


@dataclass(slots=True, frozen=True)
class ShardOptions:
    """What every worker needs besides the input; small and picklable (sent with each task)."""

    batch_id: str
    source: str | None = None  # None: the record's X-Pipeline-Source, else "batch"
    reader: str = "auto"
    max_body_bytes: int = 8 * 1024 * 1024
    record_timeout_s: float = 60.0  # a page that takes longer is rejected (`timeout`), 0: none
    row_group_rows: int = 1000
    expected_version: str | None = None  # refuse to run on a worker with another extractor


@dataclass(slots=True)
class ShardResult:
    """What one input gave, and what it cost the worker that ran it."""

    input: str
    name: str
    records: int = 0
    articles: int = 0
    rejects: int = 0
    errors: int = 0  # records whose extraction raised (they are in the rejects too)
    torn: bool = False  # the archive ended in an unreadable record
    seconds: float = 0.0
    cpu_s: float = 0.0  # CPU time of the task (user + system): throughput under contention
    worker: str = ""  # host:pid
    peak_rss_mb: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)


_UNSTORABLE = (pa.ArrowException, UnicodeError, OverflowError, TypeError, ValueError)


class _ShardWriter:
    """Row-group-sized buffers in front of a ParquetWriter on a temporary file.

    A row Arrow refuses (a lone surrogate in a string, a date out of range) goes to `on_bad_row`
    instead of failing the row group, and with it the file.
    """

    def __init__(
        self,
        layout: Layout,
        final: str,
        schema: pa.Schema,
        rows_per_group: int,
        on_bad_row: Callable[[dict[str, Any], Exception], None],
    ) -> None:
        self.layout, self.final, self.schema = layout, final, schema
        self.tmp = Layout.tmp(final, f"{os.getpid()}-{uuid.uuid4().hex[:6]}")
        self.rows_per_group = rows_per_group
        self.on_bad_row = on_bad_row
        self.buffer: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(self.tmp, schema, filesystem=layout.fs, compression="zstd")

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows_per_group:
            self._flush()

    def _flush(self) -> None:
        rows, self.buffer = self.buffer, []
        if not rows:
            return
        try:
            table = pa.Table.from_pylist(rows, schema=self.schema)
        except _UNSTORABLE:
            good = []
            for row in rows:  # rare: find the culprits one by one
                try:
                    pa.Table.from_pylist([row], schema=self.schema)
                    good.append(row)
                except _UNSTORABLE as exc:
                    self.on_bad_row(row, exc)
            table = pa.Table.from_pylist(good, schema=self.schema)
        self.writer.write_table(table)

    def commit(self) -> None:
        while self.buffer:  # a scrubbed row may come back into the buffer while flushing
            self._flush()
        self.writer.close()
        if self.layout.is_local:
            fd = os.open(self.tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self.layout.fs.move(self.tmp, self.final)

    def abort(self) -> None:
        try:
            self.writer.close()
            self.layout.fs.delete_file(self.tmp)
        except Exception:  # noqa: S110  best effort; the next run removes stale temporaries
            pass


def process_input(location: str, out: str, options: ShardOptions) -> ShardResult:
    """Extract one WARC file into OUT; raises only when the file cannot be opened at all."""
    started, cpu_started = time.monotonic(), _cpu_s()
    if options.expected_version and version() != options.expected_version:
        raise RuntimeError(
            f"worker has extractor {version()}, the driver {options.expected_version}: "
            "install the same pipeline version on every node"
        )
    layout = Layout.of(out)
    name = shard_name(location)
    warc_path = canonical_input(location)
    result = ShardResult(input=warc_path, name=name)
    rejects = _ShardWriter(
        layout,
        layout.rejects(name),
        REJECT_SHARD_SCHEMA,
        options.row_group_rows,
        _scrubbed_into(lambda: rejects, result),
    )
    articles = _ShardWriter(
        layout,
        layout.articles(name),
        ARTICLE_SHARD_SCHEMA,
        options.row_group_rows,
        _rejected_into(rejects, options, result),
    )
    try:
        _extract_file(location, warc_path, options, articles, rejects, result)
        articles.commit()
        rejects.commit()
    except BaseException:
        articles.abort()
        rejects.abort()
        raise
    layout.mark_done(name)
    result.seconds = time.monotonic() - started
    result.cpu_s = _cpu_s() - cpu_started
    result.worker = f"{os.uname().nodename}:{os.getpid()}"
    result.peak_rss_mb = peak_rss_mb()
    return result


def _extract_file(
    location: str,
    warc_path: str,
    options: ShardOptions,
    articles: _ShardWriter,
    rejects: _ShardWriter,
    result: ShardResult,
) -> None:
    fs, path = filesystem(location)
    now = datetime.now(UTC)
    last_offset = 0
    local_gz = path if _is_local(fs) and path.endswith(".gz") else None
    with _open(fs, path) as stream:
        records = iter_checked(stream, options.reader, local_gz)
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except Exception as exc:  # a torn or corrupt tail: keep what was read
                result.torn = True
                at = exc.offset if isinstance(exc, TornArchive) else last_offset
                rejects.add(_torn_row(warc_path, at, options, exc, now))
                _count(result, "unreadable-warc")
                break
            last_offset = record.offset
            result.records += 1
            capture = to_capture(record, warc_path, _source(record, options))
            outcome = _extract(capture, options, result)
            if isinstance(outcome, Article):
                try:
                    row = R.article_row(capture, outcome, version(), now)
                except Exception as exc:  # e.g. a lone surrogate the body hash cannot encode
                    result.errors += 1
                    outcome = Drop(
                        f"error: unstorable article: {type(exc).__name__}: {str(exc)[:200]}"
                    )
                else:
                    articles.add(_with_provenance(row, warc_path, record))
                    result.articles += 1
                    continue
            row = R.reject_row(capture, outcome, version(), options.batch_id, now)
            rejects.add(_with_provenance(row, warc_path, record))
            result.rejects += 1
            _count(result, outcome.reason.split(":", 1)[0])


def _rejected_into(rejects: _ShardWriter, options: ShardOptions, result: ShardResult):
    """An article row Arrow cannot store becomes a rejects row (the rejects flush after it)."""

    def on_bad_row(row: dict[str, Any], exc: Exception) -> None:
        result.articles -= 1
        result.rejects += 1
        result.errors += 1
        _count(result, "error")
        rejects.add(
            {
                "capture_id": row["capture_id"],
                "url": row["url"],
                "source": row["source"],
                "reason": f"error: unstorable article: {type(exc).__name__}: {str(exc)[:200]}",
                "extractor_version": row["extractor_version"],
                "run_id": options.batch_id,
                "rejected_at": row["extracted_at"],
                **{name: row[name] for name, _ in PROVENANCE},
            }
        )

    return on_bad_row


def _scrubbed_into(writer: Callable[[], _ShardWriter], result: ShardResult):
    """A rejects row Arrow cannot store is kept with its strings made valid UTF-8."""

    def on_bad_row(row: dict[str, Any], exc: Exception) -> None:
        clean = {
            k: v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v
            for k, v in row.items()
        }
        try:
            pa.Table.from_pylist([clean], schema=REJECT_SHARD_SCHEMA)
        except _UNSTORABLE:
            result.errors += 1  # nothing left to keep
            return
        writer().buffer.append(clean)

    return on_bad_row


def _is_local(fs: Any) -> bool:
    import pyarrow.fs as pafs

    return isinstance(fs, pafs.LocalFileSystem)


def _open(fs: Any, path: str) -> Any:
    if _is_local(fs):
        return open(path, "rb", buffering=1 << 20)
    # compression=None: the readers need the raw gzip members (offsets are into the stored file).
    return fs.open_input_stream(path, compression=None)


class RecordTimeout(BaseException):
    """Raised by SIGALRM inside a slow extraction; a BaseException so that the extractor's own
    `except Exception` cannot swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise RecordTimeout


def _extract(capture: Capture, options: ShardOptions, result: ShardResult) -> Article | Drop:
    if len(capture.body) > options.max_body_bytes:
        return Drop(f"too-large: {len(capture.body)} bytes")
    # One pathological page (a regex that backtracks for minutes) must not stall the file.
    timed = options.record_timeout_s > 0 and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, _on_alarm) if timed else None
    try:
        try:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, options.record_timeout_s)
            return extract_capture(capture)
        finally:  # an alarm landing in here is still caught below
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except RecordTimeout:
        result.errors += 1
        return Drop(f"timeout: extraction took over {options.record_timeout_s:g}s")
    except Exception as exc:  # one bad page must never fail the file
        result.errors += 1
        return Drop(f"error: {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        if timed:
            signal.signal(signal.SIGALRM, previous)


def _source(record: WarcRecord, options: ShardOptions) -> str:
    return options.source or record.pipeline_source or DEFAULT_SOURCE


def _with_provenance(row: dict[str, Any], warc_path: str, record: WarcRecord) -> dict[str, Any]:
    row["warc_path"] = warc_path
    row["warc_offset"] = record.offset
    row["warc_record_id"] = record.record_id
    row["warc_target_uri"] = record.target_uri
    return row


def _torn_row(
    warc_path: str, offset: int, options: ShardOptions, exc: Exception, now: datetime
) -> dict[str, Any]:
    return {
        "capture_id": stable_id(f"{warc_path}:torn:{offset}"),
        "url": warc_path,
        "source": options.source or DEFAULT_SOURCE,
        "reason": f"unreadable-warc: at offset {offset}: {type(exc).__name__}: {str(exc)[:300]}",
        "extractor_version": version(),
        "run_id": options.batch_id,
        "rejected_at": now,
        "warc_path": warc_path,
        "warc_offset": offset,
        "warc_record_id": None,
        "warc_target_uri": None,
    }


def _count(result: ShardResult, reason: str) -> None:
    result.reasons[reason] = result.reasons.get(reason, 0) + 1


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024

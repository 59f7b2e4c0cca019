"""Turn one WARC file into its articles and rejects shards: the unit of work every engine runs.

Every response/resource record goes through the extraction front door and the row stage
(`pipeline.stages.extract`, `pipeline.stages.rows`), the same code the cron job runs, so a page
gives the same article, under the same id, here and there. A record that drops becomes a
rejects row; a torn archive tail becomes one `unreadable-warc` rejects row. Neither fails the
file. Shards are written under temporary names and renamed into place, and the completion
marker comes last.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.capture.warc import TornArchive, WarcRecord, iter_checked, to_capture
from pipeline.models import Drop, Extracted, Fetched, stable_id
from pipeline.runs.batch.layout import Layout, canonical_input, filesystem, shard_name
from pipeline.stages.extract import ExtractLimits, extract_capture, version
from pipeline.stages.rows import RowStage
from pipeline.stages.stats import Stats
from pipeline.store import schema as S

PROVENANCE = [
    ("warc_path", pa.string()),
    ("warc_offset", pa.int64()),
    ("warc_record_id", pa.string()),
    ("warc_target_uri", pa.string()),
]
ARTICLE_SHARD_SCHEMA = pa.schema(list(S.ARTICLE_SCHEMA) + [pa.field(n, t) for n, t in PROVENANCE])
REJECT_SHARD_SCHEMA = pa.schema(list(S.REJECT_SCHEMA) + [pa.field(n, t) for n, t in PROVENANCE])
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
    """What one input gave (its Stats: records, articles, rejects, errors, torn, reasons), and
    what it cost the worker that ran it."""

    input: str
    name: str
    stats: Stats = field(default_factory=Stats)
    seconds: float = 0.0
    cpu_s: float = 0.0  # CPU time of the task (user + system): throughput under contention
    worker: str = ""  # host:pid
    peak_rss_mb: float = 0.0


class _ShardWriter:
    """Row-group-sized buffers in front of a ParquetWriter on a temporary file."""

    def __init__(self, layout: Layout, final: str, schema: pa.Schema, rows_per_group: int) -> None:
        self.layout, self.final, self.schema = layout, final, schema
        self.tmp = Layout.tmp(final, f"{os.getpid()}-{uuid.uuid4().hex[:6]}")
        self.rows_per_group = rows_per_group
        self.buffer: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(self.tmp, schema, filesystem=layout.fs, compression="zstd")

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows_per_group:
            self._flush()

    def _flush(self) -> None:
        rows, self.buffer = self.buffer, []
        if rows:
            self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def commit(self) -> None:
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
        except Exception:  # noqa: S110, BLE001 - best effort; the next run removes stale temporaries
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
    result = ShardResult(input=canonical_input(location), name=name)
    articles = _ShardWriter(layout, layout.articles(name), ARTICLE_SHARD_SCHEMA,
                            options.row_group_rows)
    rejects = _ShardWriter(layout, layout.rejects(name), REJECT_SHARD_SCHEMA,
                           options.row_group_rows)
    progress = _Progress(layout, name)
    try:
        _extract_file(location, options, articles, rejects, result.stats, progress)
        articles.commit()
        rejects.commit()
    except BaseException:
        articles.abort()
        rejects.abort()
        raise
    finally:
        progress.clear()
    layout.mark_done(name)
    result.seconds = time.monotonic() - started
    result.cpu_s = _cpu_s() - cpu_started
    result.worker = f"{os.uname().nodename}:{os.getpid()}"
    result.peak_rss_mb = peak_rss_mb()
    return result


class _Progress:
    """Records read so far, in a small file the driver sums for its progress bar (local only)."""

    EVERY = 10  # a write of a few bytes per 10 records: nothing beside ~10 ms per record

    def __init__(self, layout: Layout, name: str) -> None:
        self.path = Path(layout.progress_file(name)) if layout.is_local else None

    def records(self, n: int) -> None:
        if self.path is not None and n % self.EVERY == 0:
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(str(n))
            os.replace(tmp, self.path)

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _extract_file(location: str, options: ShardOptions, articles: _ShardWriter,
                  rejects: _ShardWriter, stats: Stats, progress: _Progress) -> None:
    warc_path = canonical_input(location)
    fs, path = filesystem(location)
    limits = ExtractLimits(max_bytes=options.max_body_bytes, timeout_s=options.record_timeout_s)
    rows = RowStage(options.batch_id, version())
    last_offset = 0
    local_gz = path if _is_local(fs) and path.endswith(".gz") else None
    with _open(fs, path) as stream:
        records = iter_checked(stream, options.reader, local_gz, max_body_bytes=limits.max_bytes)
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except Exception as exc:  # a torn or corrupt tail: keep what was read
                stats.add("torn")
                at = exc.offset if isinstance(exc, TornArchive) else last_offset
                rejects.add(_torn_row(warc_path, at, options, exc))
                stats.reason("unreadable-warc")
                break
            last_offset = record.offset
            if not record.is_capture:
                continue  # a redirect hop or failed attempt our writer archived
            stats.add("records")
            progress.records(stats["records"])
            capture = to_capture(record, warc_path, _source(record, options))
            result = (Drop(f"too-large: record over {limits.max_bytes} bytes") if record.too_large
                      else extract_capture(capture, limits))
            done = rows.rows(Extracted(Fetched(capture.source, capture.kind, capture=capture,
                                               extract=True), result))
            if done.article is not None:
                articles.add(_with_provenance(asdict(done.article), warc_path, record))
                stats.add("articles")
            elif done.reject is not None:
                rejects.add(_with_provenance(asdict(done.reject), warc_path, record))
                stats.add("rejects")
                stats.reason(done.reject.reason)
                if done.reject.reason.startswith(("error", "timeout")):
                    stats.add("errors")
            if done.collision is not None:
                stats.add("collisions")


def _is_local(fs: Any) -> bool:
    import pyarrow.fs as pafs

    return isinstance(fs, pafs.LocalFileSystem)


def _open(fs: Any, path: str) -> Any:
    if _is_local(fs):
        return open(path, "rb", buffering=1 << 20)
    # compression=None: the readers need the raw gzip members (offsets are into the stored file).
    return fs.open_input_stream(path, compression=None)


def _source(record: WarcRecord, options: ShardOptions) -> str:
    return options.source or record.warc_header("X-Pipeline-Source") or DEFAULT_SOURCE


def _with_provenance(row: dict[str, Any], warc_path: str, record: WarcRecord) -> dict[str, Any]:
    row["warc_path"] = warc_path
    row["warc_offset"] = record.offset
    row["warc_record_id"] = record.record_id
    row["warc_target_uri"] = record.target_uri
    return row


def _torn_row(warc_path: str, offset: int, options: ShardOptions, exc: Exception) -> dict[str, Any]:
    return {
        "capture_id": stable_id(f"{warc_path}:torn:{offset}"),
        "url": warc_path,
        "source": options.source or DEFAULT_SOURCE,
        "reason": f"unreadable-warc: at offset {offset}: {type(exc).__name__}: {str(exc)[:300]}",
        "extractor_version": version(),
        "run_id": options.batch_id,
        "rejected_at": datetime.now(UTC),
        "warc_path": warc_path,
        "warc_offset": offset,
        "warc_record_id": None,
        "warc_target_uri": None,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024

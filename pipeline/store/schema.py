"""The Arrow schemas of the warehouse tables, and typed rows -> Arrow tables (one per batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import pyarrow as pa

from pipeline.stages.rows import ArticleRow, CaptureRow, CollisionRow, FetchRow, RejectRow

_TS = pa.timestamp("us", tz="UTC")

ARTICLE_SCHEMA = pa.schema([
    ("id", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()),
    ("source", pa.string()), ("title", pa.string()), ("author", pa.string()),
    ("published", pa.timestamp("us")), ("language", pa.string()), ("description", pa.string()),
    ("site_name", pa.string()), ("body", pa.string()), ("word_count", pa.int32()),
    ("content_hash", pa.string()), ("capture_id", pa.string()),
    ("extractor_version", pa.string()), ("extracted_at", _TS), ("removed", pa.string()),
    ("page_type", pa.string()),
])
# What lands in `articles`: the row plus its story cluster (set by the store while loading).
STORED_ARTICLE_SCHEMA = ARTICLE_SCHEMA.append(pa.field("cluster_id", pa.string()))
CAPTURE_SCHEMA = pa.schema([
    ("id", pa.string()), ("url", pa.string()), ("final_url", pa.string()), ("status", pa.int32()),
    ("content_type", pa.string()), ("warc_file", pa.string()), ("warc_offset", pa.int64()),
    ("warc_length", pa.int64()), ("sha256", pa.string()), ("fetched_at", _TS),
    ("source", pa.string()), ("run_id", pa.string()), ("kind", pa.string()),
    ("etag", pa.string()), ("last_modified", pa.string()), ("path", pa.string()),
])
FETCH_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("url", pa.string()), ("source", pa.string()), ("kind", pa.string()),
    ("status", pa.int32()), ("error", pa.string()), ("duration_s", pa.float64()),
    ("attempts", pa.int32()), ("fetched_at", _TS), ("capture_id", pa.string()),
    ("redirects", pa.string()), ("bytes", pa.int64()),
])
REJECT_SCHEMA = pa.schema([
    ("capture_id", pa.string()), ("url", pa.string()), ("source", pa.string()),
    ("reason", pa.string()), ("extractor_version", pa.string()), ("run_id", pa.string()),
    ("rejected_at", _TS),
])
COLLISION_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("id", pa.string()), ("assigned_id", pa.string()),
    ("capture_id", pa.string()), ("url", pa.string()), ("other_capture_id", pa.string()),
    ("other_url", pa.string()), ("collided_at", _TS),
])

SCHEMAS: dict[type, pa.Schema] = {
    ArticleRow: ARTICLE_SCHEMA, CaptureRow: CAPTURE_SCHEMA, FetchRow: FETCH_SCHEMA,
    RejectRow: REJECT_SCHEMA, CollisionRow: COLLISION_SCHEMA,
}


def to_table(rows: Sequence[Any], schema: pa.Schema, extra: dict[str, list[Any]] | None = None) -> pa.Table:
    """Typed rows (all of one dataclass) -> an Arrow table, column by column."""
    names = [f.name for f in fields(rows[0])] if rows else list(schema.names)
    columns = {name: [getattr(r, name) for r in rows] for name in names}
    columns.update(extra or {})
    return pa.table({name: columns[name] for name in schema.names}, schema=schema)


def from_record(row_type: type, record: dict[str, Any]) -> Any:
    """A typed row from a mapping with (at least) its fields, e.g. a Parquet shard's record."""
    return row_type(**{f.name: record.get(f.name) for f in fields(row_type)})

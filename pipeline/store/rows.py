"""Turn captures, fetch results and extraction results into warehouse rows (Arrow tables)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from pipeline.models import Article, Capture, Drop, FetchResult, stable_id
from pipeline.urls import canonicalize_url

ARTICLE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("source", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published", pa.timestamp("us")),
        ("language", pa.string()),
        ("description", pa.string()),
        ("site_name", pa.string()),
        ("body", pa.string()),
        ("word_count", pa.int32()),
        ("content_hash", pa.string()),
        ("capture_id", pa.string()),
        ("extractor_version", pa.string()),
        ("extracted_at", pa.timestamp("us", tz="UTC")),
        ("removed", pa.string()),
    ]
)
ARTICLE_KEY_SCHEMA = pa.schema([("id", pa.string()), ("capture_id", pa.string())])
CAPTURE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("url", pa.string()),
        ("final_url", pa.string()),
        ("status", pa.int32()),
        ("content_type", pa.string()),
        ("warc_file", pa.string()),
        ("warc_offset", pa.int64()),
        ("warc_length", pa.int64()),
        ("sha256", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("run_id", pa.string()),
        ("kind", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("path", pa.string()),
    ]
)
FETCH_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("status", pa.int32()),
        ("error", pa.string()),
        ("duration_s", pa.float64()),
        ("attempts", pa.int32()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("capture_id", pa.string()),
        ("redirects", pa.string()),
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("capture_id", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("extractor_version", pa.string()),
        ("run_id", pa.string()),
        ("rejected_at", pa.timestamp("us", tz="UTC")),
    ]
)

_SPACE = re.compile(r"\s+")


def normalised_body_hash(body: str) -> str:
    """sha256 of the body with case and whitespace folded: equal for exact reprints."""
    return hashlib.sha256(_SPACE.sub(" ", body).strip().lower().encode("utf-8")).hexdigest()


def article_id(capture: Capture, article: Article | None = None) -> str:
    """Stable id: the file path for local files, else the canonical URL of the page."""
    if capture.path is not None:
        return stable_id("file:" + capture.path)
    canonical = article.canonical_url if article and article.canonical_url else None
    return stable_id(canonicalize_url(canonical or capture.final_url or capture.url))


def _timestamp(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def article_row(capture: Capture, article: Article, version: str, now: datetime) -> dict[str, Any]:
    canonical = article.canonical_url or (None if capture.path else canonicalize_url(capture.final_url))
    return {
        "id": article_id(capture, article),
        "url": capture.final_url or capture.url,
        "canonical_url": canonical,
        "source": capture.source,
        "title": article.title,
        "author": article.author,
        "published": _timestamp(article.published),
        "language": article.language,
        "description": article.description,
        "site_name": article.site_name,
        "body": article.body,
        "word_count": len(article.body.split()),
        "content_hash": normalised_body_hash(article.body),
        "capture_id": capture.id,
        "extractor_version": version,
        "extracted_at": now,
        "removed": json.dumps(
            [{"text": r.text, "reason": r.reason} for r in article.removed], ensure_ascii=False
        ),
    }


def reject_row(capture: Capture, drop: Drop, version: str, run_id: str, now: datetime) -> dict[str, Any]:
    return {
        "capture_id": capture.id,
        "url": capture.final_url or capture.url,
        "source": capture.source,
        "reason": drop.reason,
        "extractor_version": version,
        "run_id": run_id,
        "rejected_at": now,
    }


def capture_row(capture: Capture, kind: str) -> dict[str, Any]:
    return {
        "id": capture.id,
        "url": capture.url,
        "final_url": capture.final_url,
        "status": capture.status,
        "content_type": capture.content_type,
        "warc_file": capture.warc_file,
        "warc_offset": capture.offset,
        "warc_length": capture.length,
        "sha256": capture.sha256,
        "fetched_at": capture.fetched_at,
        "source": capture.source,
        "run_id": capture.run_id,
        "kind": kind,
        "etag": _header(capture.headers, "etag"),
        "last_modified": _header(capture.headers, "last-modified"),
        "path": capture.path,
    }


def fetch_row(result: FetchResult, run_id: str, kind: str, capture_id: str | None) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "url": result.url,
        "source": result.source,
        "kind": kind,
        "status": result.status,
        "error": result.error,
        "duration_s": result.duration_s,
        "attempts": result.attempts,
        "fetched_at": result.fetched_at or datetime.now(UTC),
        "capture_id": capture_id,
        "redirects": json.dumps(result.redirects) if result.redirects else None,
    }


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)

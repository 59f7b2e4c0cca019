"""Extracted -> Rows: the typed warehouse rows of one capture-stage step, ids and guards included.

One place decides what lands: the article id (`pipeline.stages.ids`), a second capture claiming
an id already taken in this run by another page (both kept: the second gets a suffixed id and a
`collisions` row), and values the warehouse cannot hold (lone surrogates are replaced, dates out
of range become NULL with a note). A row that still cannot be built becomes a reject with the
reason, never an exception that stops the run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pipeline.models import Article, Capture, Drop, Extracted, FetchResult, Removed, header
from pipeline.stages.dedup import Signed
from pipeline.stages.ids import article_id, canonical_for, collision_id
from pipeline.urls import canonicalize_url

_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True, frozen=True)
class CaptureRow:
    id: str
    url: str
    final_url: str
    status: int
    content_type: str
    warc_file: str
    warc_offset: int
    warc_length: int
    sha256: str
    fetched_at: datetime
    source: str
    run_id: str
    kind: str
    etag: str | None
    last_modified: str | None
    path: str | None


@dataclass(slots=True, frozen=True)
class FetchRow:
    run_id: str
    url: str
    source: str
    kind: str
    status: int | None
    error: str | None
    duration_s: float
    attempts: int
    fetched_at: datetime
    capture_id: str | None
    redirects: str | None  # JSON list of the URLs that answered with a redirect
    bytes: int  # body bytes received (0 without a response)


@dataclass(slots=True, frozen=True)
class ArticleRow:
    id: str
    url: str
    canonical_url: str | None
    source: str
    title: str | None
    author: str | None
    published: datetime | None  # naive UTC
    language: str | None
    description: str | None
    site_name: str | None
    body: str
    word_count: int
    content_hash: str
    capture_id: str
    extractor_version: str
    extracted_at: datetime
    removed: str  # JSON list of {text, reason, position}
    page_type: str


@dataclass(slots=True, frozen=True)
class RejectRow:
    capture_id: str
    url: str
    source: str
    reason: str
    extractor_version: str
    run_id: str
    rejected_at: datetime


@dataclass(slots=True, frozen=True)
class CollisionRow:
    run_id: str
    id: str  # the id both captures claimed
    assigned_id: str  # the id the later capture got instead
    capture_id: str
    url: str
    other_capture_id: str
    other_url: str
    collided_at: datetime


@dataclass(slots=True)
class Rows:
    """Everything one step of the capture stage lands, and its source (for counting)."""

    source: str
    capture: CaptureRow | None = None
    fetch: FetchRow | None = None
    article: ArticleRow | None = None
    reject: RejectRow | None = None
    collision: CollisionRow | None = None
    signature: Signed | None = None  # set by DedupStage for articles


def normalised_body_hash(body: str) -> str:
    """sha256 of the body with case and whitespace folded: equal for exact reprints."""
    return hashlib.sha256(_SPACE.sub(" ", body).strip().lower().encode("utf-8")).hexdigest()


def storable(text: str | None) -> str | None:
    """Text DuckDB and Arrow accept: lone surrogates become U+FFFD, NULs are removed."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text.replace("\x00", "") if "\x00" in text else text


def naive_utc(value: date | datetime | None) -> datetime | None:
    """A TIMESTAMP value (naive UTC); raises OverflowError/ValueError past year 1 or 9999."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def capture_row(capture: Capture) -> CaptureRow:
    return CaptureRow(
        id=capture.id, url=storable(capture.url) or "", final_url=storable(capture.final_url) or "",
        status=capture.status, content_type=storable(capture.content_type) or "",
        warc_file=capture.warc_file, warc_offset=capture.offset, warc_length=capture.length,
        sha256=capture.sha256, fetched_at=capture.fetched_at, source=capture.source,
        run_id=capture.run_id, kind=capture.kind,
        etag=storable(header(capture.headers, "etag")),
        last_modified=storable(header(capture.headers, "last-modified")), path=capture.path,
    )


def fetch_row(result: FetchResult, run_id: str, kind: str, capture_id: str | None) -> FetchRow:
    return FetchRow(
        run_id=run_id, url=storable(result.url) or "", source=result.source, kind=kind,
        status=result.status, error=storable(result.error), duration_s=result.duration_s,
        attempts=result.attempts, fetched_at=result.fetched_at or datetime.now(UTC),
        capture_id=capture_id,
        redirects=json.dumps(result.redirects) if result.redirects else None,
        bytes=len(result.body),
    )


def reject_row(capture: Capture, reason: str, version: str, run_id: str, now: datetime) -> RejectRow:
    return RejectRow(capture_id=capture.id, url=storable(capture.final_url or capture.url) or "",
                     source=capture.source, reason=storable(reason) or "", extractor_version=version,
                     run_id=run_id, rejected_at=now)


def article_row(capture: Capture, article: Article, version: str, now: datetime,
                row_id: str | None = None, aliases: frozenset[str] = frozenset()) -> ArticleRow:
    """The row for an article; a published date the warehouse cannot hold becomes NULL (noted)."""
    removed = list(article.removed)
    try:
        published = naive_utc(article.published)
    except (OverflowError, ValueError):
        published = None
        removed.append(Removed(f"published: {article.published!r}", "unstorable-date"))
    body = storable(article.body) or ""
    return ArticleRow(
        id=row_id or article_id(capture, article, aliases),
        url=storable(capture.final_url or capture.url) or "",
        canonical_url=canonical_for(capture, article, aliases), source=capture.source,
        title=storable(article.title), author=storable(article.author), published=published,
        language=article.language, description=storable(article.description),
        site_name=storable(article.site_name), body=body, word_count=len(body.split()),
        content_hash=normalised_body_hash(body), capture_id=capture.id,
        extractor_version=version, extracted_at=now,
        removed=json.dumps(
            [{"text": storable(r.text), "reason": r.reason, "position": r.position} for r in removed],
            ensure_ascii=False,
        ),
        page_type=article.page_type,
    )


class RowStage:
    """Extracted -> Rows, for one run (its collisions are tracked across the whole run).

    A page that is not an article (a listing, a forum, a product page ...) becomes a reject
    `not-article: <type>`, unless its source keeps that type (`keep_pages`, by source name;
    `"*"` for every source). `aliases` (by source name) are the other registered domains a
    source's pages may name as their canonical.
    """

    def __init__(self, run_id: str, version: str,
                 keep_pages: Mapping[str, Collection[str]] | None = None,
                 aliases: Mapping[str, Collection[str]] | None = None) -> None:
        self.run_id = run_id
        self.version = version
        self.keep_pages = keep_pages or {}
        self.aliases = {name: frozenset(a) for name, a in (aliases or {}).items()}
        self._claimed: dict[str, tuple[str, str, str]] = {}  # id -> (url key, body hash, capture)

    def run(self, items: Iterable[object]) -> Iterator[object]:
        for item in items:
            yield self.rows(item) if isinstance(item, Extracted) else item

    def rows(self, done: Extracted) -> Rows:
        item, now = done.item, datetime.now(UTC)
        rows = Rows(source=item.source)
        capture = item.capture
        if capture is not None:
            rows.capture = capture_row(capture)
        if item.fetch is not None:
            rows.fetch = fetch_row(item.fetch, self.run_id, item.kind, capture.id if capture else None)
        if capture is None or done.result is None:
            return rows
        if isinstance(done.result, Drop):
            rows.reject = reject_row(capture, done.result.reason, self.version, self.run_id, now)
            return rows
        page_type = done.result.page_type
        if page_type != "article" and page_type not in self._kept(item.source):
            rows.reject = reject_row(capture, f"not-article: {page_type}", self.version,
                                     self.run_id, now)
            return rows
        try:
            rows.article = self._article(capture, done.result, now, rows)
        except Exception as exc:  # noqa: BLE001 - one unstorable page becomes its own reject
            reason = f"error: unstorable article: {type(exc).__name__}: {str(exc)[:200]}"
            rows.reject = reject_row(capture, reason, self.version, self.run_id, now)
        return rows

    def _kept(self, source: str) -> Collection[str]:
        return self.keep_pages.get(source) or self.keep_pages.get("*") or ()

    def _article(self, capture: Capture, article: Article, now: datetime, rows: Rows) -> ArticleRow:
        aliases = self.aliases.get(capture.source, frozenset())
        row = article_row(capture, article, self.version, now, aliases=aliases)
        url_key = canonicalize_url(capture.final_url or capture.url) if capture.path is None else capture.path
        claimed = self._claimed.get(row.id)
        if claimed is not None and claimed[0] != url_key and claimed[1] != row.content_hash:
            # Two pages of this run claim one id (e.g. one canonical URL) with different bodies:
            # both stay, the later one under its own id, and the collision is recorded.
            new_id = collision_id(row.id, url_key)
            rows.collision = CollisionRow(
                run_id=self.run_id, id=row.id, assigned_id=new_id, capture_id=capture.id,
                url=row.url, other_capture_id=claimed[2], other_url=claimed[0], collided_at=now,
            )
            row = article_row(capture, article, self.version, now, row_id=new_id, aliases=aliases)
        self._claimed.setdefault(row.id, (url_key, row.content_hash, capture.id))
        return row

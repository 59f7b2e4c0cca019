"""What earlier runs already hold: so a run fetches only what is new, due, or changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.store.warehouse import Warehouse
from pipeline.urls import canonicalize_url


@dataclass(slots=True)
class IndexCapture:
    """The latest stored 2xx capture of a feed, sitemap or section page, for conditional GETs."""

    etag: str | None
    last_modified: str | None
    warc_file: str
    offset: int
    length: int
    content_type: str


@dataclass(slots=True)
class KnownState:
    article_fetched_at: dict[str, datetime] = field(default_factory=dict)  # canonical URL -> latest
    article_validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    canonical_known: set[str] = field(default_factory=set)  # <link rel=canonical> of stored articles
    index_captures: dict[str, IndexCapture] = field(default_factory=dict)
    file_digests: set[tuple[str, str]] = field(default_factory=set)  # (path or url, sha256)

    @classmethod
    def load(cls, warehouse: Warehouse) -> KnownState:
        state = cls()
        with warehouse.connect() as con:
            rows = con.execute(
                """
                SELECT url, final_url, fetched_at, etag, last_modified FROM captures
                WHERE kind = 'article' AND status BETWEEN 200 AND 299
                ORDER BY fetched_at
                """
            ).fetchall()
            for url, final_url, fetched_at, etag, last_modified in rows:
                for key in {canonicalize_url(url), canonicalize_url(final_url)}:
                    state.article_fetched_at[key] = fetched_at
                    state.article_validators[key] = (etag, last_modified)
            for (canonical,) in con.execute(
                "SELECT canonical_url FROM articles WHERE canonical_url IS NOT NULL"
            ).fetchall():
                state.canonical_known.add(canonicalize_url(canonical))
            for row in con.execute(
                """
                SELECT url, etag, last_modified, warc_file, warc_offset, warc_length, content_type
                FROM captures WHERE kind IN ('feed', 'sitemap', 'links')
                  AND status BETWEEN 200 AND 299
                ORDER BY fetched_at
                """
            ).fetchall():
                state.index_captures[row[0]] = IndexCapture(*row[1:])
            for key, sha in con.execute(
                "SELECT coalesce(path, url), sha256 FROM captures WHERE kind = 'file'"
            ).fetchall():
                state.file_digests.add((key, sha))
        return state

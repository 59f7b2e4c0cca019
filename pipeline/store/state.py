"""What earlier runs already hold, read from the warehouse: so a run fetches only what is new."""

from __future__ import annotations

from pipeline.models import IndexCapture, KnownState
from pipeline.store.warehouse import Warehouse
from pipeline.urls import canonicalize_url


def load_known(warehouse: Warehouse, read_only: bool = False) -> KnownState:
    """Read what earlier runs stored: captured article URLs, validators, index captures, files."""
    state = KnownState()
    with warehouse.connect(read_only=read_only) as con:
        rows = con.execute(
            """
            SELECT url, final_url, fetched_at, etag, last_modified, warc_file, warc_offset,
                   warc_length, content_type
            FROM captures WHERE kind = 'article' AND status BETWEEN 200 AND 299
            ORDER BY fetched_at
            """
        ).fetchall()
        for url, final_url, fetched_at, *stored in rows:
            for key in (canonicalize_url(url), canonicalize_url(final_url)):
                state.article_fetched_at[key] = fetched_at
                state.article_captures[key] = IndexCapture(*stored)
        for (canonical,) in con.execute(
            "SELECT canonical_url FROM articles WHERE canonical_url IS NOT NULL"
        ).fetchall():
            state.canonical_known.add(canonicalize_url(canonical))
        for row in con.execute(
            """
            SELECT url, etag, last_modified, warc_file, warc_offset, warc_length, content_type
            FROM captures WHERE kind IN ('feed', 'sitemap', 'links', 'site')
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

"""Named, ordered schema migrations; each is applied once and recorded in `_migrations`."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pipeline.store import views
from pipeline.store.sql import transaction


def _rebuild_without_indexes(*tables: str) -> str:
    return "".join(
        f"""
        CREATE TABLE _{t}_rebuilt AS SELECT * FROM {t};
        DROP TABLE {t};
        ALTER TABLE _{t}_rebuilt RENAME TO {t};
        """
        for t in tables
    )


MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_core_tables",
        """
        CREATE TABLE runs (
            id VARCHAR PRIMARY KEY,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR NOT NULL,          -- running | ok | failed | killed
            sources_file VARCHAR,
            counts JSON
        );
        CREATE TABLE captures (
            id VARCHAR PRIMARY KEY,
            url VARCHAR NOT NULL,
            final_url VARCHAR NOT NULL,
            status INTEGER NOT NULL,
            content_type VARCHAR,
            warc_file VARCHAR NOT NULL,       -- relative to <warehouse>/captures/
            warc_offset BIGINT NOT NULL,
            warc_length BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL,
            fetched_at TIMESTAMPTZ NOT NULL,
            source VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,            -- article | feed | sitemap | links | file
            etag VARCHAR,
            last_modified VARCHAR,
            path VARCHAR                      -- local files: the path as found
        );
        CREATE TABLE fetches (
            run_id VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            status INTEGER,
            error VARCHAR,
            duration_s DOUBLE,
            attempts INTEGER,
            fetched_at TIMESTAMPTZ,
            capture_id VARCHAR
        );
        CREATE TABLE articles (
            id VARCHAR PRIMARY KEY,           -- hash of canonical URL, or of the file path
            url VARCHAR NOT NULL,
            canonical_url VARCHAR,
            source VARCHAR NOT NULL,
            title VARCHAR,
            author VARCHAR,
            published TIMESTAMP,
            language VARCHAR,
            description VARCHAR,
            site_name VARCHAR,
            body VARCHAR NOT NULL,
            word_count INTEGER NOT NULL,
            content_hash VARCHAR NOT NULL,
            capture_id VARCHAR NOT NULL,
            extractor_version VARCHAR NOT NULL,
            extracted_at TIMESTAMPTZ NOT NULL,
            removed JSON                      -- [{text, reason}] of the blocks cut
        );
        CREATE TABLE rejects (
            capture_id VARCHAR PRIMARY KEY,
            url VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            extractor_version VARCHAR NOT NULL,
            run_id VARCHAR,
            rejected_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    (
        "0002_lookup_indexes",
        """
        CREATE INDEX captures_url ON captures (url);
        CREATE INDEX captures_source ON captures (source);
        CREATE INDEX articles_source ON articles (source);
        """,
    ),
    ("0003_corpus_clusters_and_state", views.CORPUS_TABLES_V1),
    ("0004_corpus_views", views.VIEWS_V1),
    (
        "0005_fetch_redirects",
        # Every hop a fetch passed through, in order (JSON list of URLs).
        "ALTER TABLE fetches ADD COLUMN redirects JSON;",
    ),
    (
        "0006_keys_kept_by_the_loader",
        # DuckDB rewrites a table's ART indexes (primary keys included) at every checkpoint, and
        # the job checkpoints after each batch (it closes its write connection so readers can
        # get in). At 100,000 articles that made a 1,000-row upsert ~0.55 s instead of ~0.05 s,
        # growing with the corpus. The keys stay unique: Warehouse.load deletes then inserts
        # by key inside one transaction, and is the only writer. Columns and types are kept.
        _rebuild_without_indexes("articles", "captures", "rejects") + views.VIEWS_V1,
    ),
    (
        "0007_page_types_collisions_recovery",
        """
        -- What kind of page an article came from (article, listing, forum, product, ...).
        ALTER TABLE articles ADD COLUMN page_type VARCHAR;
        -- Two pages of one run that claimed one article id with different bodies: both are
        -- kept, the later one under `assigned_id`.
        CREATE TABLE collisions (
            run_id VARCHAR NOT NULL,
            id VARCHAR NOT NULL,
            assigned_id VARCHAR NOT NULL,
            capture_id VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            other_capture_id VARCHAR NOT NULL,
            other_url VARCHAR NOT NULL,
            collided_at TIMESTAMPTZ NOT NULL
        );
        -- When the complete records a killed or failed run left in its WARC files were indexed.
        ALTER TABLE runs ADD COLUMN recovered_at TIMESTAMPTZ;
        """,
    ),
    (
        "0008_fetch_bytes",
        # Body bytes each fetch received (run stats: bytes per source and run).
        "ALTER TABLE fetches ADD COLUMN bytes BIGINT;",
    ),
    ("0009_views_robots_4xx_is_no_failure", views.VIEWS_V2),
]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)"
    )
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, datetime.now(UTC)])
        applied.append(name)
    return applied

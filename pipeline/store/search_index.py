"""Keep the BM25 index current: a full build with the fts PRAGMA, then incremental updates.

`PRAGMA create_fts_index` rebuilds from every body (minutes at 100,000 articles), so after the
first build only the articles added, changed or removed since are (re)indexed, writing the same
tables the PRAGMA writes (docs, terms, dict with df, stats) with the same tokenizer, stemmer and
stopwords. `fts_main_articles.indexed` remembers which version of each article is indexed. A
test checks that the incremental index scores exactly like a fresh build.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import duckdb

from pipeline.store.fts import INDEX_SCHEMA as S
from pipeline.store.fts import index_exists, load_fts
from pipeline.store.sql import rollback, scalar

log = logging.getLogger(__name__)

# Letters and digits make tokens, so "S-400" is searchable as "s" + "400" (the default drops digits).
CREATE = (
    "PRAGMA create_fts_index('articles', 'id', 'title', 'body', stemmer = 'porter', "
    "stopwords = 'english', ignore = '(\\.|[^a-z0-9])+', strip_accents = 1, lower = 1, "
    "overwrite = 1)"
)
VERSION = "hash(a.content_hash, a.title)"  # what a document's index entry depends on
FULL_REBUILD_SHARE = 0.3  # past this share of changed documents, rebuilding is cheaper


@dataclass(slots=True)
class IndexRefresh:
    mode: str       # "full" | "incremental" | "current"
    added: int
    removed: int
    documents: int
    seconds: float

    @property
    def rebuilt(self) -> bool:
        return self.mode != "current"


def refresh_index(con: duckdb.DuckDBPyConnection, force: bool = False) -> IndexRefresh:
    """Bring the index up to date with `articles` (needs the write connection)."""
    load_fts(con)
    started = time.perf_counter()
    if force or not _tracked(con):
        documents = _full(con)
        return IndexRefresh("full", documents, 0, documents, time.perf_counter() - started)
    con.execute("BEGIN TRANSACTION")
    try:
        stale, fresh = _diff(con)
        documents = scalar(con, f"SELECT count(*) FROM {S}.docs")
        if not stale and not fresh:
            con.execute("ROLLBACK")
            return IndexRefresh("current", 0, 0, documents, time.perf_counter() - started)
        if max(stale, fresh) > FULL_REBUILD_SHARE * max(documents, 1):
            con.execute("ROLLBACK")
            documents = _full(con)
            return IndexRefresh("full", documents, stale, documents, time.perf_counter() - started)
        _remove_stale(con)
        _add_fresh(con)
        _finish(con)
        documents = scalar(con, f"SELECT count(*) FROM {S}.docs")
        con.execute("COMMIT")
    except Exception:
        rollback(con)
        raise
    seconds = time.perf_counter() - started
    log.info("search index: +%d -%d documents in %.2fs", fresh, stale, seconds)
    return IndexRefresh("incremental", fresh, stale, documents, seconds)


def _tracked(con: duckdb.DuckDBPyConnection) -> bool:
    return index_exists(con) and bool(scalar(con,
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'indexed'",
        [S]))


def _full(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(CREATE)
        # postings in term order: a query reads the few row groups of its terms, not all of them
        con.execute(f"CREATE OR REPLACE TABLE {S}.terms AS "
                    f"SELECT * FROM {S}.terms ORDER BY termid, docid")
        con.execute(f"CREATE TABLE {S}.indexed AS SELECT a.id AS name, {VERSION} AS version "
                    "FROM articles a")
        documents = scalar(con, f"SELECT count(*) FROM {S}.docs")
        con.execute("COMMIT")
    except Exception:
        rollback(con)
        raise
    log.info("search index built over %d articles", documents)
    return documents


def _diff(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Temp tables of index entries to drop and articles to (re)index; returns their sizes."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _fts_stale AS
        SELECT d.docid, d.name FROM {S}.docs d
        JOIN {S}.indexed i ON i.name = d.name
        LEFT JOIN articles a ON a.id = d.name
        WHERE a.id IS NULL OR {VERSION} <> i.version
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _fts_fresh AS
        SELECT (SELECT coalesce(max(docid), -1) FROM {S}.docs) + row_number() OVER (ORDER BY a.id)
                   AS docid,
               a.id AS name, a.title, a.body, {VERSION} AS version
        FROM articles a LEFT JOIN {S}.indexed i ON i.name = a.id
        WHERE i.name IS NULL OR i.version <> {VERSION}
    """)
    return (scalar(con, "SELECT count(*) FROM _fts_stale"),
            scalar(con, "SELECT count(*) FROM _fts_fresh"))


def _remove_stale(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _fts_touched AS
        SELECT DISTINCT termid FROM {S}.terms WHERE docid IN (SELECT docid FROM _fts_stale)
    """)
    con.execute(f"DELETE FROM {S}.terms WHERE docid IN (SELECT docid FROM _fts_stale)")
    con.execute(f"DELETE FROM {S}.docs WHERE docid IN (SELECT docid FROM _fts_stale)")
    con.execute(f"DELETE FROM {S}.indexed WHERE name IN (SELECT name FROM _fts_stale)")


def _add_fresh(con: duckdb.DuckDBPyConnection) -> None:
    # the same tokenizer, stemmer, stopwords and field numbers as the PRAGMA's build
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _fts_tokens AS
        WITH tokenized AS (
            SELECT unnest({S}.tokenize(f.title)) AS w, f.docid,
                   (SELECT fieldid FROM {S}.fields WHERE field = 'title') AS fieldid
            FROM _fts_fresh f
            UNION ALL
            SELECT unnest({S}.tokenize(f.body)) AS w, f.docid,
                   (SELECT fieldid FROM {S}.fields WHERE field = 'body') AS fieldid
            FROM _fts_fresh f
        )
        SELECT stem(t.w, 'porter') AS term, t.docid, t.fieldid FROM tokenized t
        WHERE t.w NOT NULL AND len(t.w) > 0 AND t.w NOT IN (SELECT sw FROM {S}.stopwords)
    """)
    con.execute(f"""
        INSERT INTO {S}.dict
        SELECT (SELECT coalesce(max(termid), -1) FROM {S}.dict) + row_number() OVER (ORDER BY term),
               term, 0
        FROM (SELECT DISTINCT term FROM _fts_tokens
              WHERE term NOT IN (SELECT term FROM {S}.dict))
    """)
    con.execute(f"""
        INSERT INTO {S}.terms (docid, fieldid, termid)
        SELECT t.docid, t.fieldid, d.termid FROM _fts_tokens t JOIN {S}.dict d ON d.term = t.term
    """)
    con.execute(f"""
        INSERT INTO {S}.docs (docid, name, len)
        SELECT f.docid, f.name, count(t.term) FROM _fts_fresh f
        LEFT JOIN _fts_tokens t ON t.docid = f.docid GROUP BY f.docid, f.name
    """)
    con.execute(f"""
        INSERT INTO _fts_touched
        SELECT DISTINCT d.termid FROM _fts_tokens t JOIN {S}.dict d ON d.term = t.term
    """)
    con.execute(f"INSERT INTO {S}.indexed SELECT name, version FROM _fts_fresh")


def _finish(con: duckdb.DuckDBPyConnection) -> None:
    """Document frequencies of every touched term, and the collection statistics."""
    con.execute(f"""
        UPDATE {S}.dict AS d SET df = coalesce(c.df, 0)
        FROM (SELECT u.termid, n.df FROM (SELECT DISTINCT termid FROM _fts_touched) u
              LEFT JOIN (SELECT termid, count(DISTINCT docid) AS df FROM {S}.terms
                         WHERE termid IN (SELECT termid FROM _fts_touched) GROUP BY termid) n
              USING (termid)) c
        WHERE d.termid = c.termid
    """)
    con.execute(f"DELETE FROM {S}.stats")
    con.execute(f"INSERT INTO {S}.stats SELECT count(docid), sum(len) / count(len) FROM {S}.docs")
    for table in ("_fts_stale", "_fts_fresh", "_fts_tokens", "_fts_touched"):
        con.execute(f"DROP TABLE IF EXISTS {table}")

"""Full-text search: BM25 over article title + body (DuckDB `fts`), ranked, with snippets.

The index is kept current by `pipeline.store.search_index`; the extension comes from
`pipeline.store.fts`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import SearchUnavailableError
from pipeline.store.fts import INDEX_SCHEMA, index_exists, load_fts
from pipeline.store.readonly import check_warehouse, guarded
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # BM25 parameters, as in the fts extension's match_bm25


@dataclass(slots=True)
class Hit:
    id: str
    score: float
    title: str | None
    source: str
    url: str
    published: datetime | None
    cluster_id: str | None
    snippet: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# BM25 straight from the index tables (the formula of the extension's match_bm25): only the
# documents holding a query term are scored, then filtered and joined to their articles.
_SEARCH = f"""
    WITH tokens AS (
        SELECT DISTINCT stem(unnest({INDEX_SCHEMA}.tokenize($query)), 'porter') AS term
    ),
    qterms AS (SELECT d.termid, d.df FROM {INDEX_SCHEMA}.dict d JOIN tokens USING (term)),
    tf AS (
        SELECT docid, termid, count(*) AS tf FROM {INDEX_SCHEMA}.terms
        WHERE termid IN (SELECT termid FROM qterms) GROUP BY docid, termid
    ),
    stats AS (SELECT num_docs, avgdl FROM {INDEX_SCHEMA}.stats),
    scores AS (
        SELECT docs.name AS id,
               sum(log((stats.num_docs - q.df + 0.5) / (q.df + 0.5) + 1)
                   * (tf.tf * ({K1} + 1))
                   / (tf.tf + {K1} * (1 - {B} + {B} * docs.len / stats.avgdl))) AS score
        FROM tf JOIN qterms q USING (termid) JOIN {INDEX_SCHEMA}.docs docs USING (docid), stats
        GROUP BY docs.name
    )
    SELECT a.id, s.score, a.title, a.source, a.url, a.published, a.cluster_id, a.body
    FROM scores s JOIN articles a USING (id)
    WHERE ($source IS NULL OR a.source = $source)
      AND ($since IS NULL OR coalesce(a.published, a.extracted_at::TIMESTAMP) >= $since)
    ORDER BY s.score DESC, a.id
    LIMIT $limit
"""


def search(con: duckdb.DuckDBPyConnection, query: str, source: str | None = None,
           since: date | None = None, limit: int = 10) -> list[Hit]:
    """Articles ranked by BM25 over title + body, each with a snippet where the terms cluster."""
    load_fts(con)
    if not index_exists(con):
        raise SearchUnavailableError(
            "no search index yet: it is built at the end of `pipeline run` "
            "(or run `pipeline search --reindex`)")
    params = {"query": query, "source": source, "limit": limit,
              "since": datetime(since.year, since.month, since.day) if since else None}
    rows = con.execute(_SEARCH, params).fetchall()
    terms = query_terms(query)
    return [Hit(i, float(score), title, src, url, published, cluster, snippet(body, terms))
            for i, score, title, src, url, published, cluster, body in rows]


def query_terms(query: str) -> list[str]:
    """Words to highlight: each query word as typed ("s-400") plus its parts of 3+ characters."""
    terms: list[str] = []
    for word in query.lower().split():
        word = word.strip(".,;:!?\"'()[]")
        parts = [p for p in re.split(r"[^\w]+", word) if len(p) >= 3 or p.isdigit()]
        for term in ([word] if len(word) >= 2 else []) + parts:
            if term not in terms:
                terms.append(term)
    return terms


def snippet(body: str, terms: list[str], width: int = 200) -> str:
    """About `width` characters of the body around the densest cluster of query terms."""
    flat = " ".join(body.split())
    if not terms:
        return flat[:width]
    # a crude stem: "deliveries" highlights "delivery" too
    stems = [t if len(t) <= 5 or not t.isalpha() else t[:len(t) - 3] for t in terms]
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in stems) + r")", re.IGNORECASE)
    starts = [m.start() for m in pattern.finditer(flat)]
    if not starts:
        return flat[:width] + ("…" if len(flat) > width else "")
    best = densest_window(starts, width)
    begin = max(0, best - width // 4)
    begin = flat.rfind(" ", 0, begin) + 1 if begin else 0
    text = flat[begin:begin + width]
    return ("…" if begin else "") + text + ("…" if begin + width < len(flat) else "")


def densest_window(starts: list[int], width: int) -> int:
    """The first start s holding the most starts in [s, s + width): one pass, two pointers
    (linear in the number of hits; `starts` is sorted, as finditer yields them)."""
    best, best_count, end = starts[0], 0, 0
    for i, start in enumerate(starts):
        end = max(end, i)
        while end < len(starts) and starts[end] < start + width:
            end += 1
        if end - i > best_count:
            best, best_count = start, end - i
    return best


def search_db(db_path: Path, query: str, source: str | None = None, since: date | None = None,
              limit: int = 10, reindex: bool = False) -> list[Hit]:
    """Search the warehouse file (read-only; `reindex` first rebuilds the index, taking the writer)."""
    check_warehouse(db_path)  # --reindex must not create a warehouse where there is none
    if reindex:
        warehouse = Warehouse(db_path)
        warehouse.migrate()
        with warehouse.connect() as con:
            refresh_index(con, force=True)
    with guarded(db_path) as con:
        return search(con, query, source=source, since=since, limit=limit)

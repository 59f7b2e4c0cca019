"""Story clusters, the SQL half of near-duplicate detection: band keys matched inside DuckDB.

Each article gets a `cluster_id` when it is loaded. Candidates come from two places, both
already stored in the warehouse, so nothing is rebuilt from all bodies on each batch:

* the same normalised body hash (`content_hash`): an exact reprint;
* a shared LSH band key in `minhash_bands` (one row per article and band): a near-duplicate
  candidate, confirmed exactly on the two bodies' shingle sets (Jaccard, or containment of the
  shorter in the longer). Candidates are few, so their bodies are read back instead of storing
  whole signatures.

The signatures come from `pipeline.stages.dedup` (pure CPU, computed before the write
connection is opened); `assign_clusters` runs inside the load transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipeline.models import stable_id
from pipeline.stages.dedup import DedupOptions, Signed, shingles, sign, similarity
from pipeline.store.sql import scalar

log = logging.getLogger(__name__)

KEY_SCHEMA = pa.schema([("id", pa.string()), ("key", pa.int64())])
BATCH_SCHEMA = pa.schema([("id", pa.string()), ("content_hash", pa.string())])
CLUSTER_SCHEMA = pa.schema([("id", pa.string()), ("cluster_id", pa.string())])


@dataclass(slots=True)
class ClusterStats:
    unchanged: int = 0
    new_clusters: int = 0
    exact: int = 0
    near: int = 0
    merged: int = 0


class _Match:
    __slots__ = ("cluster", "score")

    def __init__(self, cluster: str, score: float) -> None:
        self.cluster, self.score = cluster, score


def assign_clusters(con: duckdb.DuckDBPyConnection, signed: list[Signed],
                    options: DedupOptions) -> dict[str, str]:
    """Each signed article's cluster id, its band keys stored; call inside the transaction.

    Must run before the rows replace their stored versions: an unchanged body keeps its stored
    cluster without any work.
    """
    ensure_banded(con, options)
    stats = ClusterStats()
    con.register("_dd_batch", pa.Table.from_pylist(
        [{"id": s.id, "content_hash": s.content_hash} for s in signed], BATCH_SCHEMA))
    stored = {i: (h, c) for i, h, c in con.execute(
        "SELECT a.id, a.content_hash, a.cluster_id FROM articles a JOIN _dd_batch b USING (id)"
    ).fetchall()}
    todo: list[Signed] = []
    assigned: dict[str, str] = {}
    for s in signed:
        old = stored.get(s.id)
        if old and old[0] == s.content_hash and old[1] is not None:
            assigned[s.id] = old[1]
            stats.unchanged += 1
        else:
            todo.append(s)
    if todo:
        _Clusterer(con, todo, assigned, stats, options).run()
    con.unregister("_dd_batch")
    log.debug("clusters: %s", stats)
    return assigned


class _Clusterer:
    """Cluster the batch's new or changed articles, in order, against stored and earlier ones."""

    def __init__(self, con: duckdb.DuckDBPyConnection, todo: list[Signed],
                 assigned: dict[str, str], stats: ClusterStats, options: DedupOptions) -> None:
        self.con, self.todo, self.assigned = con, todo, assigned
        self.stats, self.options = stats, options
        self.merges: dict[str, str] = {}
        self.batch_keys: dict[int, list[Signed]] = {}  # in-memory band index of earlier todo
        self.batch_hashes: dict[str, Signed] = {}

    def run(self) -> None:
        con = self.con
        con.register("_dd_todo", pa.Table.from_pylist(
            [{"id": s.id, "content_hash": s.content_hash} for s in self.todo], BATCH_SCHEMA))
        con.register("_dd_keys", pa.Table.from_pylist(
            [{"id": s.id, "key": k} for s in self.todo for k in s.keys], KEY_SCHEMA))
        con.execute("DELETE FROM minhash_bands WHERE article_id IN (SELECT id FROM _dd_todo)")
        exact, near = self._stored_candidates()
        taken = self._taken_ids()
        for s in self.todo:
            cluster = self._best(s, exact.get(s.id, []), near.get(s.id, []))
            if cluster is None:
                # an article that left its story (edited body) must not reuse the story's id
                cluster = stable_id(f"cluster:{s.id}:{s.content_hash}") if s.id in taken else s.id
                self.stats.new_clusters += 1
            self.assigned[s.id] = cluster
            for key in s.keys:
                self.batch_keys.setdefault(key, []).append(s)
            self.batch_hashes.setdefault(s.content_hash, s)
        for old, new in self.merges.items():
            con.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id = ? "
                        "AND id NOT IN (SELECT id FROM _dd_batch)", [self._resolve(new), old])
        for article, cluster in list(self.assigned.items()):
            self.assigned[article] = self._resolve(cluster)
        con.execute("INSERT INTO minhash_bands SELECT key, id AS article_id FROM _dd_keys")
        con.unregister("_dd_keys")
        con.unregister("_dd_todo")

    def _stored_candidates(self) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str]]]]:
        """Stored articles (other than those re-clustered now) with the same hash or a shared band."""
        exact: dict[str, list[str]] = {}
        for new_id, cluster in self.con.execute(
            """SELECT t.id, a.cluster_id FROM _dd_todo t JOIN articles a
               ON a.content_hash = t.content_hash AND a.id <> t.id
               WHERE a.cluster_id IS NOT NULL AND a.id NOT IN (SELECT id FROM _dd_todo)"""
        ).fetchall():
            exact.setdefault(new_id, []).append(cluster)
        near: dict[str, list[tuple[str, str]]] = {}
        for new_id, cluster, body in self.con.execute(
            """SELECT DISTINCT k.id, a.cluster_id, a.body
               FROM _dd_keys k JOIN minhash_bands m ON m.key = k.key
               JOIN articles a ON a.id = m.article_id
               WHERE a.id <> k.id AND a.cluster_id IS NOT NULL
                 AND a.id NOT IN (SELECT id FROM _dd_todo)"""
        ).fetchall():
            near.setdefault(new_id, []).append((cluster, body))
        return exact, near

    def _taken_ids(self) -> set[str]:
        """Ids of re-clustered articles still naming a stored story (they founded it)."""
        return {r[0] for r in self.con.execute(
            "SELECT DISTINCT cluster_id FROM articles WHERE cluster_id IN (SELECT id FROM _dd_todo) "
            "AND id NOT IN (SELECT id FROM _dd_todo)").fetchall()}

    def _best(self, s: Signed, exact: list[str], near: list[tuple[str, str]]) -> str | None:
        """The cluster s joins (merging every other cluster it matches into it), or None."""
        matches = [_Match(c, 1.0) for c in exact]
        if s.content_hash in self.batch_hashes:
            matches.append(_Match(self.assigned[self.batch_hashes[s.content_hash].id], 1.0))
        if matches:
            self.stats.exact += 1
        else:
            matches = self._near_matches(s, near)
            self.stats.near += bool(matches)
        if not matches:
            return None
        best = self._resolve(max(matches, key=lambda m: m.score).cluster)
        for other in {self._resolve(m.cluster) for m in matches} - {best}:
            self.merges[other] = best
            self.stats.merged += 1
        return best

    def _near_matches(self, s: Signed, near: list[tuple[str, str]]) -> list[_Match]:
        k = self.options.shingle_words
        matches = []
        for cluster, body in near:
            score = similarity(s.shingles, shingles(body, k), self.options)
            if score > 0:
                matches.append(_Match(cluster, score))
        seen: set[str] = set()
        for key in s.keys:
            for other in self.batch_keys.get(key, ()):
                if other.id not in seen:
                    seen.add(other.id)
                    score = similarity(s.shingles, other.shingles, self.options)
                    if score > 0:
                        matches.append(_Match(self.assigned[other.id], score))
        return matches

    def _resolve(self, cluster: str) -> str:
        while cluster in self.merges:
            cluster = self.merges[cluster]
        return cluster


# --- keeping the stored bands consistent with the options ---------------------------------------

STATE_KEY = "dedup"


def ensure_banded(con: duckdb.DuckDBPyConnection, options: DedupOptions) -> bool:
    """Re-cluster the whole stored corpus once if it was banded with other options (or never)."""
    row = con.execute("SELECT value FROM corpus_state WHERE key = ?", [STATE_KEY]).fetchone()
    if row and row[0] == options.fingerprint():
        return False
    total = scalar(con, "SELECT count(*) FROM articles")
    if total:
        log.warning("dedup options changed (or first use): re-clustering %d stored articles", total)
    con.execute("DELETE FROM minhash_bands")
    con.execute("UPDATE articles SET cluster_id = NULL")
    con.execute("INSERT OR REPLACE INTO corpus_state VALUES (?, ?, now())",
                [STATE_KEY, options.fingerprint()])
    ids = [r[0] for r in con.execute("SELECT id FROM articles ORDER BY extracted_at, id").fetchall()]
    for start in range(0, len(ids), 2000):  # oldest first: earlier copies found the stories
        rows = con.execute(
            "SELECT id, content_hash, body FROM articles WHERE id IN (SELECT UNNEST(?)) "
            "ORDER BY extracted_at, id", [ids[start:start + 2000]]).fetchall()
        assigned = assign_clusters(con, sign(rows, options), options)
        con.register("_dd_set", pa.Table.from_pylist(
            [{"id": i, "cluster_id": c} for i, c in assigned.items()], CLUSTER_SCHEMA))
        con.execute("UPDATE articles SET cluster_id = s.cluster_id FROM _dd_set s "
                    "WHERE articles.id = s.id")
        con.unregister("_dd_set")
    return True


def prune_bands(con: duckdb.DuckDBPyConnection) -> int:
    """Drop band keys of articles that no longer exist (became rejects, or changed id)."""
    return scalar(con,
        "DELETE FROM minhash_bands WHERE article_id NOT IN (SELECT id FROM articles)"
    )

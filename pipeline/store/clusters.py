"""Exact and near-duplicate detection: MinHash over word shingles, LSH band keys kept in DuckDB.

Each article gets a `cluster_id` when it is loaded. Candidates come from two places, both
already stored in the warehouse, so nothing is rebuilt from all bodies on each batch:

* the same normalised body hash (`content_hash`): an exact reprint;
* a shared LSH band key in `minhash_bands` (one row per article and band): a near-duplicate
  candidate, confirmed exactly on the two bodies' shingle sets (Jaccard, or containment of the
  shorter in the longer). Candidates are few, so their bodies are read back instead of storing
  whole signatures.

The signature work (`sign`) is pure CPU and runs before the write connection is opened;
`assign_clusters` runs inside the load transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.models import stable_id
from pipeline.store import rows as R

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"  # datasketch >= 2.0; older releases only have "legacy" (see _minhash)
KEY_SCHEMA = pa.schema([("id", pa.string()), ("key", pa.int64())])
BATCH_SCHEMA = pa.schema([("id", pa.string()), ("content_hash", pa.string())])
CLUSTER_SCHEMA = pa.schema([("id", pa.string()), ("cluster_id", pa.string())])
# What Warehouse.load inserts into `articles`: the extraction row plus its cluster.
ARTICLE_SCHEMA = R.ARTICLE_SCHEMA.append(pa.field("cluster_id", pa.string()))


def _identity(value: int) -> int:
    return value


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Near-duplicate settings. Changing the shingling or LSH ones re-bands the stored corpus once.

    Two bodies are one story when the Jaccard similarity of their word-shingle sets reaches
    `threshold`, or when the shorter one is at least `containment` contained in the longer one
    (a reprint inside a page that kept clutter around it). LSH is tuned for `lsh_threshold`, below
    `threshold`, so pairs diluted by clutter still become candidates; candidates are verified
    exactly, so a lower value costs time, never precision.
    """

    threshold: float = 0.5      # Jaccard of 3-word shingle sets: light edits stay well above it
    containment: float = 0.8    # share of the shorter body's shingles found in the longer one
    min_shingles: int = 50      # shorter bodies are judged by Jaccard only
    shingle_words: int = 3      # words per shingle: 3 tolerates light edits; 5 is stricter
    lsh_threshold: float = 0.3  # Jaccard at which a pair becomes a candidate with ~50% odds
    num_perm: int = 128         # MinHash permutations
    seed: int = 1

    @classmethod
    def from_env(cls) -> "DedupOptions":
        """Defaults, overridden by PIPELINE_DEDUP_THRESHOLD / _CONTAINMENT / _SHINGLE_WORDS."""
        values: dict[str, Any] = {}
        for name, cast in (("threshold", float), ("containment", float), ("shingle_words", int)):
            raw = os.environ.get(f"PIPELINE_DEDUP_{name.upper()}")
            if raw:
                values[name] = cast(raw)
        return cls(**values)

    def bands_rows(self) -> tuple[int, int]:
        return _bands_rows(min(self.lsh_threshold, self.threshold), self.num_perm)

    def fingerprint(self) -> str:
        bands, rows = self.bands_rows()
        return (f"minhash-{_scheme_in_use()}:perm={self.num_perm}:seed={self.seed}:k={self.shingle_words}"
                f":b={bands}:r={rows}")


_PARAMS: dict[tuple[float, int], tuple[int, int]] = {}


def _bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH (bands, rows) minimising false positives + negatives around the threshold."""
    if (threshold, num_perm) not in _PARAMS:
        from datasketch.lsh import _optimal_param

        _PARAMS[(threshold, num_perm)] = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return _PARAMS[(threshold, num_perm)]


def shingles(body: str, k: int) -> np.ndarray:
    """Unique 32-bit hashes of the body's k-word shingles (case-folded words, punctuation ignored)."""
    words = _WORD.findall(body.lower())
    if not words:
        return np.zeros(0, dtype=np.uint32)
    hashed = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64,
                         count=len(words))
    if len(hashed) < k:
        k = len(hashed)
    acc = np.zeros(len(hashed) - k + 1, dtype=np.uint64)
    for offset in range(k):  # polynomial roll over the k words, kept in 64 bits then folded
        acc = (acc * np.uint64(1_000_003) + hashed[offset:len(hashed) - k + 1 + offset]) \
            & np.uint64(0xFFFFFFFFFFFFFFFF)
    folded = (acc ^ (acc >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return np.unique(folded.astype(np.uint32))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def similarity(a: np.ndarray, b: np.ndarray, options: DedupOptions) -> float:
    """Jaccard if the pair is one story by either rule (Jaccard or containment), else 0."""
    if not len(a) or not len(b):
        return float(len(a) == len(b))
    inter = len(np.intersect1d(a, b, assume_unique=True))
    score = inter / (len(a) + len(b) - inter)
    if score >= options.threshold:
        return score
    smaller = min(len(a), len(b))
    if smaller >= options.min_shingles and inter / smaller >= options.containment:
        return score
    return 0.0


@dataclass(slots=True)
class Signed:
    """One article ready for clustering: its shingle set and LSH band keys."""

    id: str
    content_hash: str
    shingles: np.ndarray
    keys: list[int] = field(default_factory=list)


def _minhash(**kwargs: Any) -> Any:
    from datasketch import MinHash  # imported on first use: the package takes seconds to import

    try:
        return MinHash(scheme=_SCHEME, **kwargs)
    except TypeError:  # datasketch < 2.0: a single (legacy) scheme, no such argument
        return MinHash(**kwargs)


def _scheme_in_use() -> str:
    """Part of the bands' fingerprint: other hash values mean other band keys."""
    return getattr(_minhash(num_perm=1), "scheme", "legacy")


def band_keys(shingle_hashes: np.ndarray, options: DedupOptions, _cache: dict = {}) -> list[int]:
    """The article's LSH band keys: a signed 64-bit hash of (band number, band's MinHash values)."""
    perms = _cache.get((options.num_perm, options.seed))
    if perms is None:
        perms = _cache[(options.num_perm, options.seed)] = _minhash(
            num_perm=options.num_perm, seed=options.seed).permutations
    minhash = _minhash(num_perm=options.num_perm, seed=options.seed, hashfunc=_identity,
                       permutations=perms)
    if len(shingle_hashes):
        minhash.update_batch(shingle_hashes.tolist())
    values = np.asarray(minhash.hashvalues, dtype=np.uint64)
    bands, rows = options.bands_rows()
    keys = []
    for band in range(bands):
        digest = hashlib.blake2b(values[band * rows:(band + 1) * rows].tobytes(), digest_size=8,
                                 salt=band.to_bytes(16, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def sign(articles: Iterable[dict[str, Any]], options: DedupOptions) -> list[Signed]:
    """Shingle and MinHash each article row (pure CPU: call before opening the write connection)."""
    out = []
    for row in articles:
        sh = shingles(row["body"], options.shingle_words)
        out.append(Signed(row["id"], row["content_hash"], sh, band_keys(sh, options)))
    return out


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


def assign_clusters(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]],
                    signed: list[Signed], options: DedupOptions) -> ClusterStats:
    """Set `cluster_id` on each article row and store its band keys; call inside the transaction.

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
    for row in rows:
        row["cluster_id"] = assigned.get(row["id"])
    con.unregister("_dd_batch")
    return stats


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
        for key, value in list(self.assigned.items()):
            self.assigned[key] = self._resolve(value)
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
    total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    if total:
        log.warning("dedup options changed (or first use): re-clustering %d stored articles", total)
    con.execute("DELETE FROM minhash_bands")
    con.execute("UPDATE articles SET cluster_id = NULL")
    con.execute("INSERT OR REPLACE INTO corpus_state VALUES (?, ?, now())",
                [STATE_KEY, options.fingerprint()])
    ids = [r[0] for r in con.execute("SELECT id FROM articles ORDER BY extracted_at, id").fetchall()]
    for start in range(0, len(ids), 2000):  # oldest first: earlier copies found the stories
        rows = [{"id": i, "content_hash": h, "body": b} for i, h, b in con.execute(
            "SELECT id, content_hash, body FROM articles WHERE id IN (SELECT UNNEST(?)) "
            "ORDER BY extracted_at, id", [ids[start:start + 2000]]).fetchall()]
        assign_clusters(con, rows, sign(rows, options), options)
        con.register("_dd_set", pa.Table.from_pylist(
            [{"id": r["id"], "cluster_id": r["cluster_id"]} for r in rows], CLUSTER_SCHEMA))
        con.execute("UPDATE articles SET cluster_id = s.cluster_id FROM _dd_set s "
                    "WHERE articles.id = s.id")
        con.unregister("_dd_set")
    return True


def prune_bands(con: duckdb.DuckDBPyConnection) -> int:
    """Drop band keys of articles that no longer exist (became rejects, or changed id)."""
    return con.execute(
        "DELETE FROM minhash_bands WHERE article_id NOT IN (SELECT id FROM articles)"
    ).fetchone()[0]

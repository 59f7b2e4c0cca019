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
from functools import cached_property
from typing import Any, Iterable

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.models import stable_id
from pipeline.store import rows as R

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"
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
        return (f"minhash-{_SCHEME}:perm={self.num_perm}:seed={self.seed}:k={self.shingle_words}"
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


def band_keys(shingle_hashes: np.ndarray, options: DedupOptions, _cache: dict = {}) -> list[int]:
    """The article's LSH band keys: a signed 64-bit hash of (band number, band's MinHash values)."""
    from datasketch import MinHash  # imported on first use: the package takes seconds to import

    perms = _cache.get((options.num_perm, options.seed))
    if perms is None:
        perms = _cache[(options.num_perm, options.seed)] = MinHash(
            num_perm=options.num_perm, seed=options.seed, scheme=_SCHEME).permutations
    minhash = MinHash(num_perm=options.num_perm, seed=options.seed, hashfunc=_identity,
                      permutations=perms, scheme=_SCHEME)
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
    by_id = {s.id: s for s in signed}
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
        _cluster_new(con, todo, assigned, stats, options)
    for row in rows:
        row["cluster_id"] = assigned.get(row["id"])
    con.unregister("_dd_batch")
    return stats


def _cluster_new(con: duckdb.DuckDBPyConnection, todo: list[Signed], assigned: dict[str, str],
                 stats: ClusterStats, options: DedupOptions) -> None:
    con.register("_dd_keys", pa.Table.from_pylist(
        [{"id": s.id, "key": k} for s in todo for k in s.keys], KEY_SCHEMA))
    con.execute("DELETE FROM minhash_bands WHERE article_id IN (SELECT DISTINCT id FROM _dd_keys)")
    exact: dict[str, list[tuple[str, str]]] = {}
    for new_id, other, cluster in con.execute(
        """SELECT b.id, a.id, a.cluster_id FROM _dd_batch b JOIN articles a
           ON a.content_hash = b.content_hash AND a.id <> b.id
           WHERE a.cluster_id IS NOT NULL AND a.id NOT IN (SELECT id FROM _dd_batch)"""
    ).fetchall():
        exact.setdefault(new_id, []).append((other, cluster))
    near: dict[str, list[tuple[str, str, str]]] = {}
    for new_id, other, cluster, body in con.execute(
        """SELECT DISTINCT k.id, a.id, a.cluster_id, a.body
           FROM _dd_keys k JOIN minhash_bands m ON m.key = k.key
           JOIN articles a ON a.id = m.article_id
           WHERE a.id <> k.id AND a.cluster_id IS NOT NULL
             AND a.id NOT IN (SELECT id FROM _dd_batch)"""
    ).fetchall():
        near.setdefault(new_id, []).append((other, cluster, body))
    # Earlier articles of this batch are candidates too: a small in-memory band index.
    batch_keys: dict[int, list[Signed]] = {}
    batch_hashes: dict[str, Signed] = {}
    merges: dict[str, str] = {}
    for s in todo:
        matches = [_Match(c, 1.0) for _, c in exact.get(s.id, [])]
        if s.content_hash in batch_hashes:
            matches.append(_Match(assigned[batch_hashes[s.content_hash].id], 1.0))
        if not matches:
            for _, cluster, body in near.get(s.id, []):
                score = similarity(s.shingles, shingles(body, options.shingle_words), options)
                if score > 0:
                    matches.append(_Match(cluster, score))
            seen: set[str] = set()
            for key in s.keys:
                for other in batch_keys.get(key, ()):
                    if other.id in seen:
                        continue
                    seen.add(other.id)
                    score = similarity(s.shingles, other.shingles, options)
                    if score > 0:
                        matches.append(_Match(assigned[other.id], score))
            stats.near += bool(matches)
        else:
            stats.exact += 1
        clusters = {_resolve(m.cluster, merges) for m in matches}
        if clusters:
            best = _resolve(max(matches, key=lambda m: m.score).cluster, merges)
            for other in clusters - {best}:
                merges[other] = best
                stats.merged += 1
            assigned[s.id] = best
        else:
            assigned[s.id] = s.id
            stats.new_clusters += 1
        for key in s.keys:
            batch_keys.setdefault(key, []).append(s)
        batch_hashes.setdefault(s.content_hash, s)
    _fresh_singletons(con, todo, assigned)
    for old, new in merges.items():
        final = _resolve(new, merges)
        con.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id = ? "
                    "AND id NOT IN (SELECT id FROM _dd_batch)", [final, old])
    for key, value in list(assigned.items()):
        assigned[key] = _resolve(value, merges)
    con.execute("INSERT INTO minhash_bands SELECT key, id AS article_id FROM _dd_keys")
    con.unregister("_dd_keys")


def _resolve(cluster: str, merges: dict[str, str]) -> str:
    while cluster in merges:
        cluster = merges[cluster]
    return cluster


def _fresh_singletons(con: duckdb.DuckDBPyConnection, todo: list[Signed],
                      assigned: dict[str, str]) -> None:
    """An article that left its story (edited body) must not reuse the story's id as its own."""
    alone = [s for s in todo if assigned[s.id] == s.id]
    if not alone:
        return
    taken = {r[0] for r in con.execute(
        "SELECT DISTINCT cluster_id FROM articles WHERE cluster_id IN (SELECT UNNEST(?)) "
        "AND id NOT IN (SELECT id FROM _dd_batch)", [[s.id for s in alone]]).fetchall()}
    for s in alone:
        if s.id in taken:
            assigned[s.id] = stable_id(f"cluster:{s.id}:{s.content_hash}")


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

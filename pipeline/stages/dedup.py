"""Near-duplicate signatures (pure CPU): word shingles, MinHash and LSH band keys (datasketch).

Two bodies are one story when the Jaccard similarity of their word-shingle sets reaches a
threshold, or when the shorter is mostly contained in the longer (a reprint inside a page that
kept clutter). `pipeline.stages.signatures` signs each article of the stream before it reaches
the store, where `pipeline.store.clusters` matches the band keys against the stored corpus.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"  # datasketch >= 2.0; older releases only have "legacy" (see _minhash)


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
    def from_env(cls, base: DedupOptions | None = None) -> DedupOptions:
        """`base` (default: these defaults), overridden by PIPELINE_DEDUP_THRESHOLD,
        _CONTAINMENT and _SHINGLE_WORDS; raises ValueError for a value that is not a number."""
        values: dict[str, Any] = {}
        for name, cast in (("threshold", float), ("containment", float), ("shingle_words", int)):
            raw = os.environ.get(f"PIPELINE_DEDUP_{name.upper()}")
            if raw:
                try:
                    values[name] = cast(raw)
                except ValueError as exc:
                    raise ValueError(f"PIPELINE_DEDUP_{name.upper()}={raw!r}: {exc}") from exc
        return dataclasses.replace(base or cls(), **values)

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


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> Any:
    return _minhash(num_perm=num_perm, seed=seed).permutations


def band_keys(shingle_hashes: np.ndarray, options: DedupOptions) -> list[int]:
    """The article's LSH band keys: a signed 64-bit hash of (band number, band's MinHash values)."""
    perms = _permutations(options.num_perm, options.seed)
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


def sign_one(article_id: str, content_hash: str, body: str, options: DedupOptions) -> Signed:
    """Shingle and MinHash one body (pure CPU: done before the write connection is opened)."""
    sh = shingles(body, options.shingle_words)
    return Signed(article_id, content_hash, sh, band_keys(sh, options))


def sign(articles: Iterable[tuple[str, str, str]], options: DedupOptions) -> list[Signed]:
    """`sign_one` over (id, content_hash, body) triples."""
    return [sign_one(i, h, body, options) for i, h, body in articles]

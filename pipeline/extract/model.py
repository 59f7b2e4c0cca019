"""The block classifier: gradient-boosted trees trained by scripts/train_clutter.py, evaluated with numpy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("model.json")
# the same features without DOM context, trained on pages rendered as lines (for text dumps)
TEXT_MODEL_PATH = Path(__file__).with_name("model_text.json")


@dataclass(frozen=True, slots=True)
class TreeModel:
    """Trees padded to one width: node arrays of shape (trees, nodes); leaves point to themselves."""

    baseline: float
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int
    threshold_body: float = 0.5

    @classmethod
    def from_dict(cls, data: dict) -> TreeModel:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, dtype) -> np.ndarray:
            out = np.zeros((len(trees), width), dtype=dtype)
            for i, t in enumerate(trees):
                out[i, : len(t[key])] = t[key]
            return out

        return cls(
            baseline=float(data["baseline"]),
            feature=pad("feature", np.int32),
            threshold=pad("threshold", np.float64),
            left=pad("left", np.int32),
            right=pad("right", np.int32),
            value=pad("value", np.float64),
            depth=int(data["depth"]),
            threshold_body=float(data.get("threshold_body", 0.5)),
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability that each row is article body."""
        n = X.shape[0]
        if n == 0:
            return np.zeros(0)
        n_trees = self.feature.shape[0]
        tree_idx = np.arange(n_trees)[None, :]
        rows = np.arange(n)[:, None]
        node = np.zeros((n, n_trees), dtype=np.int32)
        for _ in range(self.depth):
            feat = self.feature[tree_idx, node]
            goes_left = X[rows, feat] <= self.threshold[tree_idx, node]
            nxt = np.where(goes_left, self.left[tree_idx, node], self.right[tree_idx, node])
            if np.array_equal(nxt, node):
                break
            node = nxt
        raw = self.baseline + self.value[tree_idx, node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


N_CONTEXT = 12


def context_features(ancestors: list[tuple[int, ...]], lengths: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Stage-two features: what the first stage thinks of a block's neighbours and siblings."""
    n = len(p)
    C = np.zeros((n, N_CONTEXT), dtype=np.float32)
    if n == 0:
        return C
    pad = np.concatenate([np.zeros(3), p, np.zeros(3)])
    C[:, 0] = p
    C[:, 1] = pad[2 : n + 2]  # previous
    C[:, 2] = pad[4 : n + 4]  # next
    C[:, 3] = pad[1 : n + 1]
    C[:, 4] = pad[5 : n + 5]
    window = np.stack([pad[k : n + k] for k in range(7)])
    C[:, 5] = window.max(axis=0)
    C[:, 6] = window.mean(axis=0)
    weighted = p * lengths
    for col, level in ((7, 1), (8, 2)):
        sums: dict[int, float] = {}
        chars: dict[int, float] = {}
        keys = [a[-level] if len(a) >= level else -1 for a in ancestors]
        for key, wv, ln in zip(keys, weighted, lengths):
            sums[key] = sums.get(key, 0.0) + wv
            chars[key] = chars.get(key, 0.0) + ln
        C[:, col] = [sums[k] / chars[k] if chars[k] else 0.0 for k in keys]
    body_chars = float(weighted.sum()) or 1.0
    C[:, 9] = np.cumsum(weighted) / body_chars  # share of body text before this block
    prev_max = np.maximum.accumulate(p)
    next_max = np.maximum.accumulate(p[::-1])[::-1]
    C[:, 10] = np.minimum(prev_max, next_max)  # between body blocks
    C[:, 11] = np.log1p(lengths) * p
    return C


@dataclass(frozen=True, slots=True)
class BlockClassifier:
    """Two stages: per-block trees, then trees that also see the first stage's view of the neighbours."""

    stage1: TreeModel
    stage2: TreeModel | None = None

    @classmethod
    def from_dict(cls, data: dict) -> BlockClassifier:
        stage2 = data.get("stage2")
        return cls(TreeModel.from_dict(data["stage1"]), TreeModel.from_dict(stage2) if stage2 else None)

    @property
    def threshold_body(self) -> float:
        return (self.stage2 or self.stage1).threshold_body

    def predict_proba(self, X: np.ndarray, ancestors: list[tuple[int, ...]], lengths: np.ndarray) -> np.ndarray:
        p = self.stage1.predict_proba(X)
        if self.stage2 is None:
            return p
        return self.stage2.predict_proba(np.hstack([X, context_features(ancestors, lengths, p)]))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> BlockClassifier:
    return BlockClassifier.from_dict(json.loads(path.read_text(encoding="utf-8")))

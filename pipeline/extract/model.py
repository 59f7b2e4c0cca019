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
    """All trees' nodes in flat arrays (children as global indexes; a leaf points to itself)."""

    baseline: float
    roots: np.ndarray  # index of each tree's root
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
        sizes = [len(t["feature"]) for t in trees]
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        def flat(key: str, dtype, shift: bool = False) -> np.ndarray:
            parts = [
                np.asarray(t[key], dtype=dtype) + (r if shift else 0) for t, r in zip(trees, roots, strict=False)
            ]
            return np.concatenate(parts)

        return cls(
            baseline=float(data["baseline"]),
            roots=roots,
            feature=flat("feature", np.int64),
            threshold=flat("threshold", np.float64),
            left=flat("left", np.int64, shift=True),
            right=flat("right", np.int64, shift=True),
            value=flat("value", np.float64),
            depth=int(data["depth"]),
            threshold_body=float(data.get("threshold_body", 0.5)),
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability that each row is article body."""
        n = X.shape[0]
        if n == 0:
            return np.zeros(0)
        rows = np.arange(n)[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots)))
        for _ in range(self.depth):
            goes_left = X[rows, self.feature[node]] <= self.threshold[node]
            nxt = np.where(goes_left, self.left[node], self.right[node])
            if np.array_equal(nxt, node):
                break
            node = nxt
        raw = self.baseline + self.value[node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TreeModel:
    return TreeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))

"""The block classifier: gradient-boosted trees trained by scripts/train_clutter.py, evaluated with numpy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("model.json")


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

    def to_dict(self) -> dict:
        raise NotImplementedError  # written by the training script

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
            node = np.where(goes_left, self.left[tree_idx, node], self.right[tree_idx, node])
        raw = self.baseline + self.value[tree_idx, node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TreeModel:
    return TreeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))

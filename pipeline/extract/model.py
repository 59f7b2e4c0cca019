"""The block classifier: gradient-boosted trees trained by scripts/train_clutter.py, evaluated with numpy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.extract.select import Decision

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
    decision: Decision = Decision()
    # both children of node i: 2i (right) and 2i + 1 (left), one gather per level
    children: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64), compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if len(self.children) != 2 * len(self.left):
            children = np.empty(2 * len(self.left), dtype=np.int64)
            children[0::2] = self.right
            children[1::2] = self.left
            object.__setattr__(self, "children", children)

    @property
    def threshold_body(self) -> float:
        return self.decision.threshold

    @classmethod
    def from_dict(cls, data: dict) -> TreeModel:
        trees = data["trees"]
        sizes = [len(t["feature"]) for t in trees]
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        def flat(key: str, dtype, shift: bool = False) -> np.ndarray:
            parts = [
                np.asarray(t[key], dtype=dtype) + (r if shift else 0)
                for t, r in zip(trees, roots, strict=True)
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
            decision=Decision.from_dict(
                data.get("decision") or {"threshold": float(data.get("threshold_body", 0.5))}
            ),
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability that each row is article body."""
        if X.shape[0] == 0:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.raw(X)))

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The trees' summed score (log-odds) of each row."""
        return self.baseline + self.leaves(X).sum(axis=1)

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """Each tree's leaf value for each row, (rows, trees) (a row goes left where its feature
        is <= the node's threshold; a leaf is its own child, so extra levels leave it there)."""
        n, width = X.shape
        flat = np.ascontiguousarray(X).ravel()
        row_start = (np.arange(n) * width)[:, None]
        children = self.children
        node = np.broadcast_to(self.roots, (n, len(self.roots)))
        for _ in range(self.depth):
            left = flat[row_start + self.feature[node]] <= self.threshold[node]
            node = children[2 * node + left]
        return self.value[node]


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TreeModel:
    return TreeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))

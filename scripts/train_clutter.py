"""Train the block classifier from ScrapingHub gold bodies (and fixtures), report k-fold CV, write model.json.

    uv run python scripts/train_clutter.py [--folds 5] [--no-write]

A block is labelled body when most of its 4-word shingles (or, for short blocks, its whole text)
occur in the page's gold body. Training is deterministic (fixed seeds, no early stopping).
Cross-validation splits by page: each page is scored by a model that never saw it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.extract import html as html_path
from pipeline.extract.blocks import Block
from pipeline.extract.core import decode_input
from pipeline.extract.evaluate import GoldPage, load_gold, shingles, tokenize
from pipeline.extract.features import label_kinds, page_features
from pipeline.extract.model import MODEL_PATH, TEXT_MODEL_PATH, TreeModel

SCRAPINGHUB = ROOT.parent / "shared" / "bench" / "scrapinghub"
PARAMS = dict(
    max_iter=100,
    learning_rate=0.15,
    max_leaf_nodes=15,
    max_depth=5,
    min_samples_leaf=20,
    l2_regularization=1.0,
    early_stopping=False,
    random_state=0,
)


@dataclass
class PageData:
    page: GoldPage
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray


def label_blocks(blocks, gold: str) -> np.ndarray:
    gold_shingles = shingles(gold)
    gold_tokens = " " + " ".join(tokenize(gold)).lower() + " "
    labels = np.zeros(len(blocks), dtype=np.int8)
    for i, b in enumerate(blocks):
        tokens = tokenize(b.text)
        if len(tokens) >= 4:
            s = shingles(b.text)
            labels[i] = sum((s & gold_shingles).values()) >= 0.5 * sum(s.values())
        elif tokens:
            labels[i] = (" " + " ".join(tokens).lower() + " ") in gold_tokens
    return labels


def page_data(page: GoldPage) -> PageData:
    text = decode_input(page.content)
    doc = html_path.prepare(text)
    y = label_blocks(doc.blocks, page.body)
    w = np.array([np.sqrt(len(tokenize(b.text)) + 1) for b in doc.blocks])
    data = PageData(page, doc.X, y, w)
    return data, as_text(data, doc.blocks)


def as_text(d: PageData, blocks) -> PageData:
    """The page as a text dump would show it: its blocks as lines, no DOM context."""
    lines = [Block(b.text, "line", index=i) for i, b in enumerate(blocks)]
    label_kinds(lines)
    return PageData(d.page, page_features(lines), d.y, d.w)


def _fit_trees(Xs: list[np.ndarray], data: list[PageData]) -> dict:
    clf = HistGradientBoostingClassifier(**PARAMS).fit(
        np.concatenate(Xs),
        np.concatenate([d.y for d in data]),
        sample_weight=np.concatenate([d.w for d in data]),
    )
    return export(clf)


def fit_dict(data: list[PageData]) -> dict:
    return _fit_trees([d.X for d in data], data)


def fit(data: list[PageData]) -> TreeModel:
    return TreeModel.from_dict(fit_dict(data))


def export(clf) -> dict:
    trees = []
    depth = 0
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        idx = np.arange(len(nodes))
        trees.append(
            {
                "feature": np.where(leaf, 0, nodes["feature_idx"]).tolist(),
                "threshold": [
                    float(t) if not lf else 0.0 for t, lf in zip(nodes["num_threshold"], leaf, strict=False)
                ],
                "left": np.where(leaf, idx, nodes["left"]).tolist(),
                "right": np.where(leaf, idx, nodes["right"]).tolist(),
                "value": [round(float(v), 6) if lf else 0.0 for v, lf in zip(nodes["value"], leaf, strict=False)],
            }
        )
        depth = max(depth, int(nodes["depth"].max()))
    return {
        "baseline": float(np.ravel(clf._baseline_prediction)[0]),
        "depth": depth,
        "trees": trees,
    }


DEFAULT_THRESHOLD = 0.5
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def cross_validate(data: list[PageData], folds: int) -> float:
    """Score every page with a model trained without it; returns the body threshold with the best F1."""
    from pipeline.extract.evaluate import Score, evaluate

    scored: dict[float, list] = {t: [] for t in THRESHOLDS}
    for fold in range(folds):
        train = [d for i, d in enumerate(data) if i % folds != fold]
        test = [d.page for i, d in enumerate(data) if i % folds == fold]
        model = fit(train)
        for t in THRESHOLDS:
            m = with_threshold(model, t)
            s = evaluate(
                test,
                lambda p, m=m: html_path.extract_html(decode_input(p.content), url=p.url, model=m),
            )
            scored[t].extend(s.pages)
            if t == DEFAULT_THRESHOLD:
                print(
                    f"fold {fold}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}", flush=True
                )
    cv = {t: Score(f"cv@{t}", pages) for t, pages in scored.items()}
    for t, s in cv.items():
        print(f"{folds}-fold CV, threshold {t}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")
    worst = sorted(cv[DEFAULT_THRESHOLD].pages, key=lambda p: min(p.precision, p.recall))[:12]
    print(
        "worst pages:", ", ".join(f"{p.id[:8]} P{p.precision:.2f} R{p.recall:.2f}" for p in worst)
    )
    return max(cv, key=lambda t: (round(cv[t].f1, 4), -abs(t - DEFAULT_THRESHOLD)))


def with_threshold(model: TreeModel, threshold: float) -> TreeModel:
    return dataclasses.replace(model, threshold_body=threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    pages = load_gold(SCRAPINGHUB)
    both = [page_data(p) for p in pages]
    data = [d for d, _ in both]
    text_data = [t for _, t in both]
    print(
        f"{len(pages)} pages, {sum(len(d.y) for d in data)} blocks, "
        f"{int(sum(d.y.sum() for d in data))} body",
        flush=True,
    )
    threshold = DEFAULT_THRESHOLD
    if args.folds > 1:
        threshold = cross_validate(data, args.folds)
    if not args.no_write:
        for path, pages_data in ((MODEL_PATH, data), (TEXT_MODEL_PATH, text_data)):
            model = fit_dict(pages_data)
            model["threshold_body"] = threshold
            path.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()

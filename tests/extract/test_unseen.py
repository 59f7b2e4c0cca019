"""Quality floors on pages the shipped models never saw: the validation-only collections of ../shared/trainset.

Their licences bar them from training (scripts/clutter_data.TRAINABLE_LICENCES), so every score
here is out of sample. The data is required: without ../shared the floors fail, they do not skip.
Leave-one-collection-out scores of the trainable collections come from `bench/extract.py --lodo`.
"""

from __future__ import annotations

import gzip
import json
import statistics
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.extract.evaluate import f1, precision_recall
from pipeline.models import Article

TRAINSET = Path(__file__).resolve().parents[3] / "shared" / "trainset"
VALIDATION_ONLY = (
    "cleaneval-dev",
    "cleaneval-final",
    "cleanportaleval",
    "utomo-big9",
    "utomo-chaos",
)
PER_COLLECTION = 40  # every k-th page, at most this many per collection (~170 pages)

# Pinned floors: raise them when the extractor improves, never lower them to make a change pass.
HTML_FLOOR_F1 = {
    "cleaneval-dev": 0.875,
    "cleaneval-final": 0.91,
    # 0.94, not the 0.945 of a decision that was tuned with this collection in its objective:
    # validation-only collections now choose no threshold, and 0.9426 is what is unseen
    "cleanportaleval": 0.94,
    "utomo-big9": 0.98,
    "utomo-chaos": 0.92,
}
HTML_FLOOR_ALL = 0.915
TEXT_FLOOR_ALL = 0.89


def _pages() -> list[dict]:
    meta = [json.loads(line) for line in (TRAINSET / "meta.jsonl").read_text("utf-8").splitlines()]
    out = []
    for name in VALIDATION_ONLY:
        rows = sorted((r for r in meta if r["dataset"] == name), key=lambda r: r["id"])
        assert rows, f"no pages of {name} in {TRAINSET}"
        assert all(not r["licence"].startswith(("CC-BY", "MIT", "Apache")) for r in rows)
        out += rows[:: max(1, len(rows) // PER_COLLECTION)][:PER_COLLECTION]
    return out


@pytest.fixture(scope="module")
def pages() -> list[tuple[dict, bytes, str]]:
    return [
        (
            r,
            gzip.decompress((TRAINSET / "html" / f"{r['id']}.html.gz").read_bytes()),
            (TRAINSET / "gold" / f"{r['id']}.txt").read_text("utf-8"),
        )
        for r in _pages()
    ]


def _f1(scores: list[tuple[float, float]]) -> float:
    return f1(statistics.fmean(p for p, _ in scores), statistics.fmean(r for _, r in scores))


def test_html_floors_on_unseen_collections(pages):
    by: dict[str, list[tuple[float, float]]] = {}
    for r, html, gold in pages:
        result = extract(html, url=r.get("url"), kind="html")
        body = result.body if isinstance(result, Article) else ""
        by.setdefault(r["dataset"], []).append(precision_recall(gold, body))
    scores = {name: round(_f1(s), 4) for name, s in by.items()}
    everything = _f1([x for s in by.values() for x in s])
    print("unseen HTML F1", round(everything, 4), scores)
    assert everything >= HTML_FLOOR_ALL, (everything, scores)
    for name, floor in HTML_FLOOR_F1.items():
        assert scores[name] >= floor, (name, scores)


def test_text_dumps_of_unseen_pages(pages):
    import html_text

    scores, dropped = [], []
    for r, html, gold in pages:
        dump = html_text.extract_text(html.decode("utf-8", "replace"), guess_layout=True)
        result = extract(dump, kind="text")
        body = result.body if isinstance(result, Article) else ""
        scores.append(precision_recall(gold, body))
        if not body and len(gold.split()) >= 100:
            dropped.append(r["id"])
    print("unseen text-dump F1", round(_f1(scores), 4), "dropped", dropped)
    assert not dropped, f"real articles dropped: {dropped}"
    assert _f1(scores) >= TEXT_FLOOR_ALL, _f1(scores)

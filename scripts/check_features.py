"""Check that the code computes what the models were trained on: every cached page's features, bit for bit.

    uv run --group train python scripts/check_features.py [--reference VERSION] [--save FILE | --against FILE]

Speed work on `prepare()` must not change what the models see (or the LODO table and the shipped
models would no longer match the code). This recomputes, with the current code, every page of
every collection (the HTML path's blocks, pruned elements, metadata and feature matrix, and each
cached text dump's feature matrix) and compares them with a reference:
- by default the page cache of a feature version (`.cache/clutter/<VERSION>/`, default: the
  newest one other than the current), as `scripts/clutter_data.py` built it;
- or a snapshot written by `--save FILE` (digests of the same data, the dumps rendered afresh),
  for a checkout without a cache.
Matrices are compared with `np.array_equal`; exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from clutter_data import CACHE, Sample, feature_version, load_samples  # noqa: E402


def doc_digest(doc) -> str:
    """Everything of a prepared page but its matrix: blocks, pruned elements, metadata (element
    ids are memory addresses: numbered in order of first appearance)."""
    ids: dict[int, int] = {}

    def number(x: int) -> int:
        return ids.setdefault(x, len(ids)) if x else 0

    h = hashlib.sha256()
    for b in doc.blocks:
        h.update(
            repr(
                (
                    b.text,
                    b.tag,
                    b.path,
                    sorted(b.names),
                    sorted(b.near_names),
                    tuple(number(a) for a in b.ancestors),
                    b.link_chars,
                    b.index,
                    number(b.table),
                    b.kind,
                )
            ).encode()
        )
    for r in doc.pruned:
        h.update(repr((r.text, r.reason, r.position)).encode())
    h.update(repr(doc.md).encode())
    return h.hexdigest()


def matrix_digest(X: np.ndarray) -> str:
    return hashlib.sha256(repr((X.shape, str(X.dtype))).encode() + X.tobytes()).hexdigest()


def compute(sample: Sample, dumps: list[str] | None) -> dict:
    """The current code's view of a page (dumps: the text renderings to featurise)."""
    from pipeline.extract.core import decode_input
    from pipeline.extract.prepare import prepare, prepare_text

    out: dict = {"html": None, "texts": []}
    text = decode_input(sample.content())
    assert isinstance(text, str)
    if sample.kind == "html":
        doc = prepare(text, sample.url)
        out["html"] = (doc, doc.X)
    if dumps is None:
        dumps = _renders(text) if sample.kind == "html" else [text]
    for dump in dumps:
        out["texts"].append(prepare_text(dump)[1])
    return out


def _renders(html: str) -> list[str]:
    """The text dumps clutter_data builds for a page (a renderer that fails gives none)."""
    from clutter_data import RENDERERS, render

    out = []
    for renderer in RENDERERS:
        try:
            out.append(render(html, renderer))
        except Exception:  # noqa: BLE001 - as clutter_data._build
            continue
    return out


def _reference_version() -> str:
    current = feature_version()
    versions = [p for p in CACHE.iterdir() if p.is_dir() and p.name != current]
    versions = [p for p in versions if any(p.glob("*/*.pkl"))]
    if not versions:
        raise SystemExit(f"no page cache under {CACHE} other than the current {current}")
    return max(versions, key=lambda p: p.stat().st_mtime).name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="", help="feature version of the cache to compare")
    parser.add_argument("--save", type=Path, help="write a snapshot (digests) to this file")
    parser.add_argument("--against", type=Path, help="compare with a snapshot from --save")
    parser.add_argument("--collections", default="", help="comma-separated subset")
    args = parser.parse_args()
    only = {c for c in args.collections.split(",") if c} or None
    samples = load_samples(only)
    snapshot: dict[str, dict] = {}
    reference = None
    if args.against:
        reference = json.loads(args.against.read_text())
    version = None if (args.save or args.against) else (args.reference or _reference_version())
    if version:
        print(f"reference: page cache {version}; current feature version {feature_version()}")
    bad = 0
    for n, s in enumerate(samples, 1):
        key = f"{s.collection}/{s.id}"
        cached = None
        if version:
            path = CACHE / version / s.collection / (s.id.replace("/", "_") + ".pkl")
            if not path.exists():
                print(f"MISSING {key}: not in the reference cache")
                bad += 1
                continue
            cached = pickle.loads(path.read_bytes())
        dumps = [t.text for t in cached.texts] if cached is not None and s.kind == "html" else None
        now = compute(s, dumps)
        problems = []
        if cached is not None:
            if (cached.html is None) != (now["html"] is None):
                problems.append("html path")
            elif cached.html is not None:
                doc, X = now["html"]
                if not np.array_equal(cached.html.doc.X, X) or cached.html.doc.X.dtype != X.dtype:
                    problems.append(f"X {cached.html.doc.X.shape} vs {X.shape}")
                if doc_digest(cached.html.doc) != doc_digest(doc):
                    problems.append("blocks/pruned/metadata")
            old_texts = [t.X for t in cached.texts]
            if len(old_texts) != len(now["texts"]):
                problems.append("number of dumps")
            for j, (a, b) in enumerate(zip(old_texts, now["texts"], strict=False)):
                if not np.array_equal(a, b) or a.dtype != b.dtype:
                    problems.append(f"dump {j} X")
        entry = {
            "html": None
            if now["html"] is None
            else [doc_digest(now["html"][0]), matrix_digest(now["html"][1])],
            "texts": [matrix_digest(X) for X in now["texts"]],
        }
        if reference is not None:
            ref = reference.get(key)
            if ref is None or ref["html"] != entry["html"] or ref["texts"] != entry["texts"]:
                problems.append("differs from the snapshot")
        if args.save:
            snapshot[key] = entry
        if problems:
            bad += 1
            print(f"DIFFERS {key}: {', '.join(problems)}", flush=True)
        if n % 250 == 0:
            print(f"  {n}/{len(samples)} pages, {bad} differ", flush=True)
    if args.save:
        args.save.write_text(json.dumps(snapshot))
    print(f"{len(samples)} pages checked, {bad} differ")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()

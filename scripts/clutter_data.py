"""Labelled pages for the block classifiers: collections, licences, gold labels, cached block features.

Collections: the ten of ../shared/trainset (by `dataset`), ScrapingHub and the fixtures. Only
pages whose licence allows it (CC-BY-4.0, MIT, Apache-2.0; ScrapingHub is MIT; the fixtures are
ours) may train the shipped model; the others are for validation only.
Parsed pages are cached under .cache/clutter/<hash of the feature code>/ (a speed-up only).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import re
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TRAINSET = SHARED / "trainset"
SCRAPINGHUB = SHARED / "bench" / "scrapinghub"
FIXTURES = ROOT / "fixtures"
CACHE = ROOT / ".cache" / "clutter"
TRAINABLE_LICENCES = re.compile(r"^(?:CC-BY-4\.0|MIT|Apache-2\.0)\b")
# the code that turns a page into blocks and features: the cache is keyed by its text
FEATURE_SOURCES = (
    "blocks.py",
    "features.py",
    "lang.py",
    "rules.py",
    "prepare.py",
    "metadata.py",
    "langid.py",
    "pagetype.py",
)
RENDERERS = ("layout", "html-text", "inscriptis")


@dataclass(slots=True)
class Sample:
    id: str
    collection: str
    trainable: bool
    path: Path
    gold: str
    url: str | None = None
    kind: str = "html"
    page_type: str | None = None
    language: str | None = None

    def content(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data

    @property
    def site(self) -> str:
        """The page's host without "www." (folds by site keep a site's pages together)."""
        return urlparse(self.url or "").netloc.lower().removeprefix("www.")


def site_fold(site: str, folds: int) -> int:
    """The fold of a site (deterministic in any process: crc32, not hash())."""
    return zlib.crc32(site.encode()) % folds


def trainset_samples() -> list[Sample]:
    out = []
    for line in (TRAINSET / "meta.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append(
            Sample(
                r["id"],
                r["dataset"],
                bool(TRAINABLE_LICENCES.match(r["licence"])),
                TRAINSET / "html" / f"{r['id']}.html.gz",
                (TRAINSET / "gold" / f"{r['id']}.txt").read_text(encoding="utf-8"),
                url=r.get("url"),
                page_type=r.get("page_type"),
                language=r.get("language"),
            )
        )
    return out


def scrapinghub_samples() -> list[Sample]:
    truth = json.loads((SCRAPINGHUB / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Sample(
            k,
            "scrapinghub",
            True,
            SCRAPINGHUB / "html" / f"{k}.html.gz",
            v["articleBody"],
            url=v.get("url"),
            page_type="article",
        )
        for k, v in sorted(truth.items())
        if (SCRAPINGHUB / "html" / f"{k}.html.gz").exists()
    ]


def fixture_samples() -> list[Sample]:
    from pipeline.extract.evaluate import load_fixtures

    out = []
    for page in load_fixtures(FIXTURES):
        path = FIXTURES / page.id
        out.append(
            Sample(
                "fixtures/" + page.id,
                "fixtures",
                True,
                path,
                page.body,
                url=page.url,
                kind=page.kind or "html",
                page_type="article",
            )
        )
    return out


def load_samples(collections: set[str] | None = None) -> list[Sample]:
    """Every labelled page, sorted by (collection, id). Missing data is an error, never a skip."""
    samples = trainset_samples() + scrapinghub_samples() + fixture_samples()
    if collections:
        samples = [s for s in samples if s.collection in collections]
    return sorted(samples, key=lambda s: (s.collection, s.id))


# ---------------------------------------------------------------- labels from gold
def _grams(toks: list[str], n: int = 3) -> set[str]:
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


class GoldIndex:
    """A gold text, ready to tell how much of a block it holds (tolerant of small gold edits)."""

    def __init__(self, gold: str) -> None:
        from pipeline.extract.lang import tokens

        self.tokens = tokens
        toks = [t.lower() for t in tokens(gold)]
        self.grams = _grams(toks)
        self.joined = " " + " ".join(toks) + " "

    def coverage(self, text: str) -> float:
        toks = [t.lower() for t in self.tokens(text)]
        if len(toks) >= 5:
            grams = _grams(toks)
            return len(grams & self.grams) / len(grams)
        if not toks:
            return 0.0
        return 1.0 if (" " + " ".join(toks) + " ") in self.joined else 0.0


def labels(texts: list[str], gold: str) -> tuple[np.ndarray, np.ndarray]:
    """Body labels (coverage >= 0.5) and a confidence per block (ambiguous coverage counts half)."""
    index = GoldIndex(gold)
    cov = np.array([index.coverage(t) for t in texts], dtype=np.float32)
    y = (cov >= 0.5).astype(np.int8)
    conf = np.where((cov >= 0.8) | (cov <= 0.2), 1.0, 0.5).astype(np.float32)
    return y, conf


# ---------------------------------------------------------------- cached pages
def feature_version() -> str:
    h = hashlib.sha1()
    for name in FEATURE_SOURCES:
        h.update((ROOT / "pipeline" / "extract" / name).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:12]


@dataclass(slots=True)
class HtmlPage:
    """A page as the HTML path prepares it, with block labels."""

    doc: object  # pipeline.extract.prepare.Prepared
    y: np.ndarray
    conf: np.ndarray
    ms: float  # time to prepare


@dataclass(slots=True)
class TextPage:
    """One rendering of a page as a text dump, its lines' features and labels."""

    renderer: str
    text: str
    X: np.ndarray
    y: np.ndarray
    conf: np.ndarray


@dataclass(slots=True)
class Cached:
    html: HtmlPage | None
    texts: list[TextPage]


def render(html: str, renderer: str) -> str:
    """The page as one text-dump maker would give it."""
    if renderer == "html-text":
        import html_text

        return html_text.extract_text(html, guess_layout=True)
    if renderer == "inscriptis":
        import inscriptis

        return inscriptis.get_text(html)
    from pipeline.extract.blocks import html_blocks

    page, _ = html_blocks(html, prune=False)  # a browser-like layout: one line per block
    return "\n".join(b.text for b in page.blocks)


def _build(sample: Sample) -> Cached:
    import time

    from pipeline.extract.core import decode_input
    from pipeline.extract.prepare import prepare, prepare_text

    text = decode_input(sample.content())
    assert isinstance(text, str)
    html_page = None
    renders: list[tuple[str, str]] = []
    if sample.kind == "html":
        start = time.perf_counter()
        doc = prepare(text, sample.url)
        ms = (time.perf_counter() - start) * 1000
        y, conf = labels([b.text for b in doc.blocks], sample.gold)
        html_page = HtmlPage(doc, y, conf, ms)
        for renderer in RENDERERS:
            try:
                renders.append((renderer, render(text, renderer)))
            except Exception:  # noqa: BLE001 - a renderer failing on a page gives no dump
                continue
    else:
        renders.append(("dump", text))
    texts = []
    for renderer, dump in renders:
        blocks, X = prepare_text(dump)
        y, conf = labels([b.text for b in blocks], sample.gold)
        texts.append(TextPage(renderer, dump, X, y, conf))
    return Cached(html_page, texts)


def _path(sample: Sample, version: str) -> Path:
    return CACHE / version / sample.collection / (sample.id.replace("/", "_") + ".pkl")


def _load_or_build(args: tuple[Sample, str]) -> Cached:
    sample, version = args
    path = _path(sample, version)
    if path.exists():
        return pickle.loads(path.read_bytes())
    cached = _build(sample)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(cached, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)
    return cached


def cached_pages(samples: list[Sample], workers: int = 2) -> list[Cached]:
    """Prepared pages for every sample, from the cache where it has them (built in parallel)."""
    version = feature_version()
    jobs = [(s, version) for s in samples]
    if workers <= 1:
        return [_load_or_build(j) for j in jobs]
    with ProcessPoolExecutor(workers, initializer=os.nice, initargs=(5,)) as pool:
        return list(pool.map(_load_or_build, jobs, chunksize=8))

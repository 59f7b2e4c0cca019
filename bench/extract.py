"""Benchmark: this project's extractor against open peers, on pages it never trained on, in one run.

    uv run python bench/extract.py [--gold ../shared/bench/scrapinghub] [--json]
    uv run python bench/extract.py --lodo [--sample N] [--collections a,b] [--text] [--json]
    uv run python bench/extract.py --speed [--rounds N] [--json]

Every extractor gets the same decoded HTML; extractors alternate page by page (a rotating order)
so that no one of them profits from warm caches or a quiet machine. Scores are the ScrapingHub
benchmark's (4-word shingle multisets; precision and recall averaged over pages; F1 of the
averages); time is the median milliseconds per page, single process.

Default: ScrapingHub with every peer, our model trained without ScrapingHub (left out) beside
the shipped one (in-sample there). `--lodo`: the leave-one-collection-out table: each trainable
collection scored by a model trained on the other ones (scripts/train_clutter.py), each
validation-only collection by the shipped model, with trafilatura and readability-lxml on the
same pages; then the page-type accuracy (scripts/train_pagetype.py, folds by site), WCXB by its
labelled page types (scored by the model without WCXB, and by models without the page's site that
learned from the rest of WCXB, as the shipped one did) and, with `--text`, text dumps of every
page (three renderers) through the text path. `--speed`: the shipped extractor and trafilatura
alone on the ScrapingHub pages, alternated, N rounds: median ms/doc of each and their ratio (the
speed target: ours at most 0.7x trafilatura's), the means beside them (every page's full cost,
the second opinion's included), and how often the trafilatura second opinion fires.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pipeline.extract.evaluate import Score, f1, load_gold, precision_recall, score_page  # noqa: E402
from pipeline.models import Article  # noqa: E402


def _text(body: str | None) -> Article:
    return Article(body=body or "")


def _readability(html: str, url: str | None) -> Article:
    import lxml.html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    root = lxml.html.fromstring(summary)
    for el in root.iter():
        if el.tag in (
            "p",
            "div",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "br",
            "tr",
            "blockquote",
            "pre",
        ):
            el.tail = "\n" + (el.tail or "")
    return _text(root.text_content())


def _trafilatura(**options):
    import trafilatura

    return lambda html, url: _text(trafilatura.extract(html, url=url, **options))


def peers(everyone: bool = True) -> dict:
    """The peers: trafilatura and readability-lxml always; jusText and resiliparse on request."""
    out = {
        "trafilatura, include_comments=False": _trafilatura(include_comments=False),
        "readability-lxml": _readability,
    }
    if not everyone:
        return out
    import justext
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    stoplist = justext.get_stoplist("English")

    def jus(html: str, url: str | None) -> Article:
        paragraphs = justext.justext(html.encode("utf-8"), stoplist)
        return _text("\n".join(p.text for p in paragraphs if not p.is_boilerplate))

    out.update(
        {
            "trafilatura, favor_precision": _trafilatura(favor_precision=True),
            "trafilatura, defaults": _trafilatura(),
            "jusText (English stoplist)": jus,
            "resiliparse, main_content": lambda html, url: _text(
                extract_plain_text(HTMLTree.parse(html), main_content=True)
            ),
        }
    )
    return out


def _timed(fn, html: str, url: str | None) -> tuple[Article, float]:
    start = time.perf_counter()
    try:
        result = fn(html, url)
    except Exception:  # noqa: BLE001 - a peer failing on a page scores zero there
        result = _text("")
    ms = (time.perf_counter() - start) * 1000
    return (result if isinstance(result, Article) else _text("")), ms


def run_scrapinghub(gold: Path) -> list[Score]:
    from train_clutter import load_corpus, trained

    from pipeline.extract import extract
    from pipeline.extract.core import decode_input
    from pipeline.extract.html import extract_html
    from pipeline.extract.model import TreeModel, load_model

    corpus = load_corpus(
        collections={
            "scrapinghub",
            "wcxb",
            "newspaper",
            "newspaper4k",
            "postlight-fixtures",
            "goose3",
            "fixtures",
        }
    )
    lodo = TreeModel.from_dict(
        {**trained(corpus, "html", "scrapinghub"), "decision": load_model().decision.as_dict()}
    )
    extractors = {
        "pipeline, ScrapingHub left out (unseen)": lambda h, u: extract_html(h, url=u, model=lodo),
        "pipeline, shipped model (trained on these pages: in-sample)": lambda h, u: extract(
            h, url=u, kind="html"
        ),
        **peers(),
    }
    names = list(extractors)
    scores = {n: Score(n) for n in names}
    for k, page in enumerate(load_gold(gold)):
        html = decode_input(page.content)
        for name in names[k % len(names) :] + names[: k % len(names)]:
            result, ms = _timed(extractors[name], html, page.url)
            scores[name].pages.append(score_page(page, result, ms))
    return sorted(scores.values(), key=lambda s: -s.f1)


def run_speed(gold: Path, rounds: int) -> dict:
    """Median ms/doc of the shipped extractor and of trafilatura on the same pages, alternated."""
    from pipeline.extract import extract
    from pipeline.extract.core import decode_input

    fns = {
        "ours": lambda h, u: extract(h, url=u, kind="html"),
        "trafilatura": peers(everyone=False)["trafilatura, include_comments=False"],
    }
    pages = [(decode_input(p.content), p.url) for p in load_gold(gold)]
    names = list(fns)
    ms: dict[str, list[float]] = {n: [] for n in names}
    fallbacks = 0
    for round_ in range(rounds):
        for k, (html, url) in enumerate(pages):
            for name in names[(k + round_) % 2 :] + names[: (k + round_) % 2]:
                result, t = _timed(fns[name], html, url)
                ms[name].append(t)
                if name == "ours" and round_ == 0:
                    fallbacks += any(r.reason.startswith("fallback") for r in result.removed)
    ours, traf = (statistics.median(ms[n]) for n in names)
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ms/doc ours": round(ours, 2),
        "ms/doc trafilatura": round(traf, 2),
        "ratio": round(ours / traf, 3),
        # the mean counts every page's full cost, the second opinion's included
        "mean ms ours": round(statistics.fmean(ms["ours"]), 2),
        "mean ms trafilatura": round(statistics.fmean(ms["trafilatura"]), 2),
        "fallback fired": f"{fallbacks} ({fallbacks / max(1, len(pages)):.1%})",
    }


# ---------------------------------------------------------------- leave one collection out
class Cell:
    def __init__(self) -> None:
        self.p: list[float] = []
        self.r: list[float] = []
        self.ms: list[float] = []

    def add(self, p: float, r: float, ms: float) -> None:
        self.p.append(p)
        self.r.append(r)
        self.ms.append(ms)

    def extend(self, other: Cell) -> None:
        self.p += other.p
        self.r += other.r
        self.ms += other.ms

    def summary(self) -> dict:
        p = statistics.fmean(self.p) if self.p else 0.0
        r = statistics.fmean(self.r) if self.r else 0.0
        ms = statistics.median(self.ms) if self.ms else 0.0
        return {"P": round(p, 4), "R": round(r, 4), "F1": round(f1(p, r), 4), "ms": round(ms, 1)}


def _pick(corpus, sample: int, collections: set[str] | None) -> list[int]:
    """Page indexes to score: all, or every k-th page of each collection (deterministic)."""
    by: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(corpus.samples):
        if s.collection != "fixtures" and (not collections or s.collection in collections):
            by[s.collection].append(i)
    out = []
    for idx in by.values():
        step = max(1, len(idx) // sample) if sample else 1
        out += idx[::step][: sample or None]
    return sorted(out)


def _rescues(html: str, url: str | None, model, kind: str) -> list[str]:
    """Which recall rescues change the body of a page (outside the timed call)."""
    from pipeline.extract.prepare import prepare
    from pipeline.extract.select import select

    doc = prepare(html, url)
    fired: list[str] = []
    if doc.blocks:
        d = model.decision.for_type(kind)
        select(doc.blocks, doc.X, model.predict_proba(doc.X), d, fired)
    return fired


def run_lodo(
    corpus, sample: int, collections: set[str] | None, kinds: dict[str, str]
) -> tuple[list[dict], dict]:
    """The LODO rows; `kinds`: each page's page type from a model that never saw its site
    (train_pagetype.heldout_kinds; it picks the decision's per-type overrides)."""
    from train_clutter import lodo_models

    from pipeline.extract.core import decode_input
    from pipeline.extract.html import extract_html
    from pipeline.extract.model import load_model

    decision = load_model().decision
    models = {
        c: m.__class__(
            **{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "decision": decision}
        )
        for c, m in lodo_models(corpus, "html").items()
    }
    names = ["ours", "trafilatura", "readability-lxml"]
    peer = peers(everyone=False)
    cells: dict[str, dict[str, Cell]] = defaultdict(lambda: {n: Cell() for n in names})
    fired: dict[str, int] = defaultdict(int)
    for k, i in enumerate(_pick(corpus, sample, collections)):
        s = corpus.samples[i]
        html = decode_input(s.content())
        kind = kinds.get(s.id, "article")
        fns = {
            "ours": lambda h, u, m=models[s.collection], k=kind: extract_html(
                h, url=u, model=m, kind=k
            ),
            "trafilatura": peer["trafilatura, include_comments=False"],
            "readability-lxml": peer["readability-lxml"],
        }
        groups = [s.collection, *_language_groups(s.language)]
        for name in names[k % 3 :] + names[: k % 3]:
            result, ms = _timed(fns[name], html, s.url)
            p, r = precision_recall(s.gold, result.body)
            for group in groups:
                cells[group][name].add(p, r, ms)
        for reason in set(_rescues(html, s.url, models[s.collection], kind)):
            fired[reason] += 1
        if kind != "article" and decision.for_type(kind).prefer_second_opinion:
            fired[f"trafilatura first ({kind})"] += 1
    rows = []
    total = {n: Cell() for n in names}
    collections_seen = sorted(c for c in cells if c not in LANGUAGE_GROUPS)
    for c in collections_seen:
        for n in names:
            total[n].extend(cells[c][n])
        rows.append(_row(c, cells[c], names, corpus))
    rows.append(_row("all unseen", total, names, corpus))
    rows += [_row(g, cells[g], names, corpus) for g in LANGUAGE_GROUPS if g in cells]
    return rows, dict(fired)


# rows over every collection by the page's language (trainset's meta.jsonl: py3langid on the
# gold), each page scored by the model that never saw its collection, as in its own row
LANGUAGE_GROUPS = ("all unseen, not English", "all unseen, zh / ja / th (no spaces)")


def _language_groups(language: str | None) -> list[str]:
    if language is None or language == "en":
        return []
    return [LANGUAGE_GROUPS[0], *([LANGUAGE_GROUPS[1]] if language in ("zh", "ja", "th") else [])]


def _row(collection: str, cell: dict[str, Cell], names: list[str], corpus) -> dict:
    trainable = collection in corpus.trainable()
    ours = cell["ours"].summary()
    return {
        "collection": collection
        + ("" if trainable or collection.startswith("all unseen") else " (validation only)"),
        "pages": len(cell["ours"].p),
        "ours P": ours["P"],
        "ours R": ours["R"],
        "ours F1": ours["F1"],
        "trafilatura F1": cell["trafilatura"].summary()["F1"],
        "readability-lxml F1": cell["readability-lxml"].summary()["F1"],
        "ms/doc ours": ours["ms"],
        "ms/doc trafilatura": cell["trafilatura"].summary()["ms"],
        "ms/doc readability": cell["readability-lxml"].summary()["ms"],
    }


def run_text(corpus, sample: int, collections: set[str] | None) -> list[dict]:
    """Text dumps (every renderer) of every page through the text path, LODO models."""
    from train_clutter import lodo_models

    from pipeline.extract.features import label_kinds
    from pipeline.extract.prepare import text_blocks
    from pipeline.extract.text import extract_lines

    models = lodo_models(corpus, "text", collections)
    cells: dict[str, Cell] = defaultdict(Cell)
    dropped: dict[str, int] = defaultdict(int)
    for i in _pick(corpus, sample, collections):
        s, c = corpus.samples[i], corpus.pages[i]
        for t in c.texts:
            start = time.perf_counter()
            blocks = text_blocks(t.text)[: len(t.y)]
            label_kinds(blocks)
            result = extract_lines(blocks, t.X, models[s.collection])
            ms = (time.perf_counter() - start) * 1000
            body = result.body if isinstance(result, Article) else ""
            dropped[s.collection] += not body and bool(s.gold.strip())
            cells[s.collection].add(*precision_recall(s.gold, body), ms)
    rows, total = [], Cell()
    for coll in sorted(cells):
        total.extend(cells[coll])
        rows.append(
            {
                "collection": coll,
                "dumps": len(cells[coll].p),
                **cells[coll].summary(),
                "dropped": dropped[coll],
            }
        )
    rows.append(
        {
            "collection": "all unseen",
            "dumps": len(total.p),
            **total.summary(),
            "dropped": sum(dropped.values()),
        }
    )
    return rows


def run_types(
    corpus, kinds: dict[str, str], collection: str = "wcxb", folds: int = 5
) -> list[dict]:
    """One collection by its labelled page types: ours scored by the model trained without the
    collection (its LODO row) and by models trained without the page's site (folds by site, the
    rest of the collection trained on: how the shipped model does on sites it never saw), with
    trafilatura's text (the fallback's cached second opinion) on the same pages. Scored on the
    prepared pages, as scripts/train_clutter.py scores its LODO rows."""
    from train_clutter import Row, _pr, lodo_models, opinions, page_body, site_fold_models

    from pipeline.extract.model import load_model

    decision = load_model().decision
    texts = opinions(corpus)
    left_out = lodo_models(corpus, "html", {collection})[collection]
    by_site = site_fold_models(corpus, collection, folds)
    names = ("collection left out", "sites left out", "trafilatura")
    rows: dict[str, dict[str, Row]] = defaultdict(lambda: {n: Row(n) for n in names})
    for s, c in zip(corpus.samples, corpus.pages, strict=True):
        if s.collection != collection or c.html is None:
            continue
        kind = kinds.get(s.id, "article")
        bodies = {
            names[0]: page_body(
                c.html.doc, left_out.predict_proba(c.html.doc.X), decision, texts[s.id], kind
            ),
            names[1]: page_body(
                c.html.doc, by_site[s.id].predict_proba(c.html.doc.X), decision, texts[s.id], kind
            ),
            names[2]: texts[s.id],
        }
        for group in (s.page_type or "unlabelled", "all"):
            for name, body in bodies.items():
                p, r = _pr(s, body)
                rows[group][name].precision.append(p)
                rows[group][name].recall.append(r)
    return [
        {
            "page type (gold)": group,
            "pages": len(cell[names[0]].precision),
            "ours F1, collection out": round(cell[names[0]].f1, 4),
            "ours P, sites out": round(cell[names[1]].p, 4),
            "ours R, sites out": round(cell[names[1]].r, 4),
            "ours F1, sites out": round(cell[names[1]].f1, 4),
            "trafilatura F1": round(cell[names[2]].f1, 4),
        }
        for group, cell in sorted(rows.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    ]


def _print(title: str, rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"title": title, "rows": rows}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in rows[0]:
        table.add_column(
            col, justify="left" if not isinstance(rows[0][col], float | int) else "right"
        )
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console(width=170).print(table)  # readable when piped to a file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold", type=Path, default=ROOT.parent / "shared" / "bench" / "scrapinghub"
    )
    parser.add_argument("--lodo", action="store_true", help="leave-one-collection-out table")
    parser.add_argument("--sample", type=int, default=0, help="at most N pages per collection")
    parser.add_argument("--collections", default="", help="comma-separated collections to score")
    parser.add_argument("--text", action="store_true", help="with --lodo: text dumps too")
    parser.add_argument("--speed", action="store_true", help="ours vs trafilatura, ms/doc")
    parser.add_argument("--rounds", type=int, default=3, help="with --speed: passes over the pages")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.speed:
        row = run_speed(args.gold, args.rounds)
        _print(f"Speed on ScrapingHub ({row['pages']} pages x {row['rounds']})", [row], args.json)
        return
    if not args.lodo:
        rows = [
            {
                "extractor": s.name,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
                "f1_clutter_md": round(s.f1_clutter_md, 4),
                "ms_median": round(s.median_ms, 2),
                "pages": len(s.pages),
            }
            for s in run_scrapinghub(args.gold)
        ]
        _print(
            f"ScrapingHub article extraction benchmark ({rows[0]['pages']} pages)", rows, args.json
        )
        return
    from train_clutter import load_corpus
    from train_pagetype import cross_validated, heldout_kinds

    only = {c for c in args.collections.split(",") if c} or None
    corpus = load_corpus()
    # the page type (which picks the decision's per-type overrides) from a model that never saw
    # the page's site (folds by site; the validation-only collections: the shipped page-type model)
    kinds = heldout_kinds(corpus)
    rows, fired = run_lodo(corpus, args.sample, only, kinds)
    _print("Leave one collection out: HTML (shingle P/R/F1, ScrapingHub method)", rows, args.json)
    pages = next(r["pages"] for r in rows if r["collection"] == "all unseen") or 1
    print(
        "rescues fired: "
        + (", ".join(f"{k} {v} ({v / pages:.1%})" for k, v in sorted(fired.items())) or "none")
    )
    print(cross_validated(corpus=corpus))
    if not only or "wcxb" in only:
        _print(
            "WCXB (modern pages of every type) by page type: collection left out vs sites left out",
            run_types(corpus, kinds, "wcxb"),
            args.json,
        )
    if args.text:
        _print(
            "Leave one collection out: text dumps (layout, html-text, inscriptis renderings)",
            run_text(corpus, args.sample, only),
            args.json,
        )


if __name__ == "__main__":
    main()

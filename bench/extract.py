"""Benchmark: this project's extractor against open peers on the 181 ScrapingHub pages, in one run.

    uv run python bench/extract.py [--gold ../shared/bench/scrapinghub] [--cv 5] [--json]

Every extractor gets the same decoded HTML; extractors alternate page by page (a rotating order)
so that no one of them profits from warm caches or a quiet machine. Scores are the ScrapingHub
benchmark's (4-word shingle multisets; precision and recall averaged over pages; F1 of the
averages); time is the median milliseconds per page, single process.

The shipped model was trained on these very pages, so its row is in-sample; `--cv K` adds the
honest row: each page extracted by a model trained (scripts/train_clutter.py) without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.extract.evaluate import Score, load_gold, score_page
from pipeline.models import Article


def _text(body: str | None) -> Article:
    return Article(body=body or "")


def peers() -> dict:
    import justext
    import lxml.html
    import trafilatura
    from readability import Document
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    from pipeline.extract import extract

    stoplist = justext.get_stoplist("English")
    block_tags = {
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
    }

    def readability(html: str, url: str | None) -> Article:
        summary = Document(html).summary(html_partial=True)
        root = lxml.html.fromstring(summary)
        for el in root.iter():
            if el.tag in block_tags:
                el.tail = "\n" + (el.tail or "")
        return _text(root.text_content())

    def jus(html: str, url: str | None) -> Article:
        paragraphs = justext.justext(html.encode("utf-8"), stoplist)
        return _text("\n".join(p.text for p in paragraphs if not p.is_boilerplate))

    return {
        "pipeline (this project)": lambda html, url: extract(html, url=url, kind="html"),
        "trafilatura, include_comments=False": lambda html, url: _text(
            trafilatura.extract(html, url=url, include_comments=False)
        ),
        "trafilatura, favor_precision": lambda html, url: _text(
            trafilatura.extract(html, url=url, favor_precision=True)
        ),
        "trafilatura, defaults": lambda html, url: _text(trafilatura.extract(html, url=url)),
        "readability-lxml": readability,
        "jusText (English stoplist)": jus,
        "resiliparse, main_content": lambda html, url: _text(
            extract_plain_text(HTMLTree.parse(html), main_content=True)
        ),
    }


def cv_extractors(pages, folds: int) -> dict[str, object]:
    """One extractor per held-out page: the model of the fold that did not train on it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from train_clutter import fit, page_data, with_threshold

    from pipeline.extract.html import extract_html
    from pipeline.extract.model import load_model

    threshold = load_model().threshold_body  # as shipped (chosen by cross-validation)
    data = [page_data(p)[0] for p in pages]
    models = [
        with_threshold(fit([d for i, d in enumerate(data) if i % folds != f]), threshold)
        for f in range(folds)
    ]
    by_id = {p.id: models[i % folds] for i, p in enumerate(pages)}
    return by_id, extract_html


def run(gold: Path, folds: int) -> list[Score]:
    from pipeline.extract.core import decode_input

    pages = load_gold(gold)
    extractors = peers()
    names = list(extractors)
    if folds > 1:
        by_id, extract_html = cv_extractors(pages, folds)
        name = f"pipeline, {folds}-fold cross-validated"
        names.insert(1, name)
        extractors[name] = lambda html, url, _id=None: (
            None
        )  # placeholder; called below with the page id
    scores = {n: Score(n) for n in names}
    for k, page in enumerate(pages):
        html = decode_input(page.content)
        order = names[k % len(names) :] + names[: k % len(names)]
        for name in order:
            start = time.perf_counter()
            if name.startswith("pipeline, ") and folds > 1:
                result = extract_html(html, url=page.url, model=by_id[page.id])
            else:
                try:
                    result = extractors[name](html, page.url)
                except Exception:  # noqa: BLE001 - a peer failing on a page scores zero there
                    result = _text("")
            ms = (time.perf_counter() - start) * 1000
            scores[name].pages.append(
                score_page(page, result if isinstance(result, Article) else _text(""), ms)
            )
    return sorted(scores.values(), key=lambda s: -s.f1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold", type=Path, default=ROOT.parent / "shared" / "bench" / "scrapinghub"
    )
    parser.add_argument(
        "--cv", type=int, default=5, help="folds for the cross-validated row (0: skip)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scores = run(args.gold, args.cv)
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
        for s in scores
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ScrapingHub article extraction benchmark ({rows[0]['pages']} pages)")
    for col in rows[0]:
        table.add_column(col, justify="left" if col == "extractor" else "right")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console(width=130).print(table)  # readable when piped to a file


if __name__ == "__main__":
    main()

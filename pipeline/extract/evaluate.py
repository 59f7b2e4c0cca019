"""Scoring extraction against gold bodies: ScrapingHub shingle P/R/F1, clutter lines left, body lines lost.

Gold comes in two layouts, both read by `load_gold`:
- the ScrapingHub article-extraction benchmark: `ground-truth.json` ({id: {articleBody, url}})
  beside `html/<id>.html.gz`;
- fixtures: any input file `NAME.{html,txt}` with `NAME.expected.json` beside it
  ({"title", "author", "body", "tolerated"?}; body paragraphs separated by blank lines; `tolerated`
  lists lines that may be kept or cut, as CLUTTER.md's judgement calls allow).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import Article, ExtractResult

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE_N = 4


# ---------------------------------------------------------------- shingle metric (ScrapingHub)
def tokenize(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_N) -> Counter[str]:
    """The multiset of overlapping n-token shingles; a text shorter than n is one shingle."""
    tokens = tokenize(text)
    grams = (" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def shingle_counts(gold: str, pred: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) over shingle multisets."""
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    return tp, sum(p.values()) - tp, sum(g.values()) - tp


def precision_recall(gold: str, pred: str) -> tuple[float, float]:
    """Per-page precision and recall; two empty texts agree perfectly, an empty side scores 0."""
    tp, fp, fn = shingle_counts(gold, pred)
    if fp == fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# ---------------------------------------------------------------- line metric (fixtures)
def _norm_line(line: str) -> str:
    return " ".join(tokenize(line)).lower()


def body_lines(text: str | None) -> list[str]:
    return [n for n in (_norm_line(line) for line in (text or "").splitlines()) if n]


def line_errors(gold_body: str, pred_body: str, tolerated: Iterable[str] = ()) -> tuple[int, int]:
    """(clutter lines left, body lines lost): predicted lines absent from gold, gold lines absent.

    `tolerated` lines (judgement calls such as an author's closing note) count neither way.
    """
    gold, pred = body_lines(gold_body), body_lines(pred_body)
    ok = {_norm_line(t) for t in tolerated}
    gold_set, pred_set = set(gold), set(pred)
    left = sum(1 for line in pred if line not in gold_set and line not in ok)
    return left, sum(1 for line in gold if line not in pred_set)


# ---------------------------------------------------------------- gold pages
# ---------------------------------------------------------------- gold as CLUTTER.md reads it
# The ScrapingHub gold keeps a few kinds of line that CLUTTER.md calls clutter. These patterns
# name them by their own wording (never by what any extractor kept), and only whole lines of
# the gold that match are set aside, so both readings of the same gold can be reported.
_CLUTTER_MD_LINES = re.compile(
    r"""^(?:
        (?:©|\(c\)\s)\s*[\w .,&'/-]{0,60}$                      # image credit: "© Reuters"
      | (?:image|photo|picture|photograph)(?:\s+(?:source|credit))?\s*:.{0,120}$
      | (?:related|read\s+more|also\s+read|see\s+also|recommended)\s*:.{0,200}$
      | .{0,200}\b(?:may\s+(?:earn|receive|get)\s+(?:a\s+)?(?:small\s+)?commission
                   |affiliate\s+links?|affiliate\s+commission)\b.{0,200}$
      | .{0,120}\b(?:copyright|all\s+rights\s+reserved)\b.{0,160}$
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def clutter_md_body(gold_body: str) -> str:
    """The gold body without the lines CLUTTER.md calls clutter (credits, affiliate and
    copyright notices, "Related:"/"Read more:" promotions)."""
    lines = gold_body.split("\n")
    return "\n".join(line for line in lines if not _CLUTTER_MD_LINES.match(line.strip()))


@dataclass(slots=True)
class GoldPage:
    id: str
    content: bytes
    body: str
    url: str | None = None
    kind: str | None = None
    title: str | None = None
    author: str | None = None
    line_labelled: bool = False
    tolerated: tuple[str, ...] = ()
    body_clutter_md: str | None = None  # the same gold read by CLUTTER.md, where it differs


@dataclass(slots=True)
class PageScore:
    id: str
    precision: float
    recall: float
    ms: float
    clutter_left: int = 0
    body_lost: int = 0
    title_ok: bool | None = None
    author_ok: bool | None = None
    precision_md: float | None = None  # against the gold read by CLUTTER.md
    recall_md: float | None = None


@dataclass(slots=True)
class Score:
    """Averages over pages, as the ScrapingHub benchmark defines them (F1 of the mean P and R)."""

    name: str
    pages: list[PageScore] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return statistics.fmean(p.precision for p in self.pages) if self.pages else 0.0

    @property
    def recall(self) -> float:
        return statistics.fmean(p.recall for p in self.pages) if self.pages else 0.0

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)

    @property
    def f1_clutter_md(self) -> float:
        """F1 against the gold read by CLUTTER.md (pages without a difference count as is)."""
        if not self.pages:
            return 0.0
        p = statistics.fmean(
            x.precision if x.precision_md is None else x.precision_md for x in self.pages
        )
        r = statistics.fmean(x.recall if x.recall_md is None else x.recall_md for x in self.pages)
        return f1(p, r)

    @property
    def median_ms(self) -> float:
        return statistics.median(p.ms for p in self.pages) if self.pages else 0.0

    @property
    def clutter_left(self) -> int:
        return sum(p.clutter_left for p in self.pages)

    @property
    def body_lost(self) -> int:
        return sum(p.body_lost for p in self.pages)


def load_scrapinghub(root: Path) -> Iterator[GoldPage]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        path = root / "html" / f"{page_id}.html.gz"
        if path.exists():
            item = truth[page_id]
            adjusted = clutter_md_body(item["articleBody"])
            yield GoldPage(
                page_id,
                gzip.decompress(path.read_bytes()),
                item["articleBody"],
                url=item.get("url"),
                kind="html",
                body_clutter_md=adjusted if adjusted != item["articleBody"] else None,
            )


def load_fixtures(root: Path) -> Iterator[GoldPage]:
    for expected in sorted(root.rglob("*.expected.json")):
        stem = expected.name[: -len(".expected.json")]
        inputs = [
            p for p in expected.parent.glob(stem + ".*") if p.suffix in (".html", ".htm", ".txt")
        ]
        if not inputs:
            continue
        gold = json.loads(expected.read_text(encoding="utf-8"))
        source = inputs[0]
        yield GoldPage(
            str(source.relative_to(root)),
            source.read_bytes(),
            gold["body"],
            url=gold.get("url"),
            kind="text" if source.suffix == ".txt" else "html",
            title=gold.get("title"),
            author=gold.get("author"),
            line_labelled=True,
            tolerated=tuple(gold.get("tolerated", ())),
        )


def load_gold(root: Path) -> list[GoldPage]:
    """Every gold page under `root`, in either layout."""
    if (root / "ground-truth.json").exists():
        return list(load_scrapinghub(root))
    return list(load_fixtures(root))


def _same(expected: str | None, got: str | None) -> bool:
    return _norm_line(expected or "") == _norm_line(got or "")


def score_page(page: GoldPage, result: ExtractResult, ms: float) -> PageScore:
    body = result.body if isinstance(result, Article) else ""
    precision, recall = precision_recall(page.body, body)
    score = PageScore(page.id, precision, recall, ms)
    if page.body_clutter_md is not None:
        score.precision_md, score.recall_md = precision_recall(page.body_clutter_md, body)
    if page.line_labelled:
        score.clutter_left, score.body_lost = line_errors(page.body, body, page.tolerated)
        score.title_ok = _same(page.title, getattr(result, "title", None))
        score.author_ok = _same(page.author, getattr(result, "author", None))
    return score


Extractor = Callable[[GoldPage], ExtractResult]


def pipeline_extractor(page: GoldPage) -> ExtractResult:
    from pipeline.extract import extract

    return extract(page.content, url=page.url, kind=page.kind)


def evaluate(
    pages: Iterable[GoldPage], extractor: Extractor = pipeline_extractor, name: str = "pipeline"
) -> Score:
    score = Score(name)
    for page in pages:
        start = time.perf_counter()
        result = extractor(page)
        score.pages.append(score_page(page, result, (time.perf_counter() - start) * 1000))
    return score

"""The HTML path: selectolax blocks (certain clutter pruned), the block classifier, page metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from htmldate import find_date

from pipeline.extract.blocks import Block, html_blocks
from pipeline.extract.features import LISTING_COLUMN, label_kinds, page_features
from pipeline.extract.langid import detect_language
from pipeline.extract.metadata import Metadata, html_metadata
from pipeline.extract.model import TreeModel, load_model
from pipeline.extract.repeats import repeated
from pipeline.extract.textmeta import byline_name, is_byline
from pipeline.models import Article, Drop, ExtractResult, Removed

_WORD = re.compile(r"\w+")
MIN_CHARS = 300
MAX_BLOCKS = 5000
FALLBACK_THRESHOLD = 0.2


@dataclass(slots=True)
class Prepared:
    blocks: list[Block]
    X: np.ndarray
    pruned: list[Removed] = field(default_factory=list)
    tree: object = None


def prepare(html: str) -> Prepared:
    page, tree = html_blocks(html)
    if len(page.blocks) > MAX_BLOCKS:  # no story is this long; keep the time per page bounded
        page.pruned.extend(Removed(b.text, "overflow") for b in page.blocks[MAX_BLOCKS:])
        del page.blocks[MAX_BLOCKS:]
    label_kinds(page.blocks)
    return Prepared(page.blocks, page_features(page.blocks), page.pruned, tree)


def _reason(block: Block, listed: bool = False) -> str:
    """The clutter kind to report for a cut block: its phrase, its container's name, its links."""
    if block.kind:
        return block.kind
    if listed:
        return "related"
    names = block.near_names
    for word, reason in (
        ("comment", "comments"),
        ("share", "share"),
        ("social", "share"),
        ("related", "related"),
        ("author", "author-bio"),
        ("bio", "author-bio"),
        ("newsletter", "newsletter"),
        ("footer", "legal"),
        ("nav", "nav"),
        ("menu", "nav"),
        ("caption", "caption"),
    ):
        if any(word in n for n in names):
            return reason
    if block.link_chars > 0.5 * len(block.text):
        return "nav"
    return "chrome"


# Kinds whose phrases settle the matter for short blocks, whatever the classifier says
# (on the ScrapingHub pages such blocks are in the gold body 1 time in 40; blocks under a listing
# header 22 times in 573, all single words).
CERTAIN_KINDS = frozenset(
    {"comments", "related", "share", "legal", "donation", "newsletter", "cross-promo"}
)
CERTAIN_MAX_CHARS = 120


def _certain_clutter(blocks: list[Block], X: np.ndarray) -> np.ndarray:
    """Short blocks naming their kind, and blocks under a listing header ("You may also like")."""
    named = np.array(
        [b.kind in CERTAIN_KINDS and len(b.text) <= CERTAIN_MAX_CHARS for b in blocks], dtype=bool
    )
    return named | (X[:, LISTING_COLUMN] > 0)


GAP_BLOCKS = 3  # a run this short between body blocks ...
GAP_PROBA = 0.25  # ... whose blocks the model half believes, is body too


def _smooth(
    keep: np.ndarray, proba: np.ndarray, blocks: list[Block], certain: np.ndarray
) -> np.ndarray:
    """Fill short gaps between body blocks, and tables that sit inside the story."""
    keep = keep.copy()
    kept = np.flatnonzero(keep)
    for a, b in zip(kept[:-1], kept[1:], strict=False):
        run = range(a + 1, b)
        if not run or certain[a + 1 : b].any():
            continue
        same_table = blocks[a + 1].table and all(
            blocks[i].table == blocks[a + 1].table for i in run
        )
        if same_table:
            links = sum(blocks[i].link_chars for i in run) / max(
                1, sum(len(blocks[i].text) for i in run)
            )
            if links < 0.5:
                keep[a + 1 : b] = True
        elif len(run) <= GAP_BLOCKS and (proba[a + 1 : b] >= GAP_PROBA).all():
            keep[a + 1 : b] = True
    return keep


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def markup_date(html: str, url: str | None) -> date | None:
    """htmldate's markup and URL heuristics, for pages whose JSON-LD, meta tags and <time> give
    no date (16% of the ScrapingHub pages; it dates 27 of those 29, ~2 ms each). Its slower
    free-text search is left off: it guesses more often than it finds."""
    try:
        found = find_date(html, url=url, extensive_search=False, original_date=True)
        return date.fromisoformat(found) if found else None
    except Exception:  # noqa: BLE001 - a date guess must never cost the article
        return None


def extract_html(
    html: str, *, url: str | None = None, model: TreeModel | None = None
) -> ExtractResult:
    doc = prepare(html)
    if not doc.blocks:
        return Drop("no-main-content")
    model = model or load_model()
    proba = model.predict_proba(doc.X)
    certain = _certain_clutter(doc.blocks, doc.X)
    proba = np.where(certain, 0.0, proba)
    keep = _smooth(proba >= model.threshold_body, proba, doc.blocks, certain)
    if sum(len(b.text) for b, k in zip(doc.blocks, keep, strict=False) if k) < MIN_CHARS and proba.max() > 0:
        # a short story the model is unsure of: take the likelier half, or at least the best block
        keep = proba >= min(FALLBACK_THRESHOLD, float(proba.max()))
    md = html_metadata(doc.tree, url) if doc.tree is not None else Metadata()
    if md.published is None:
        md.published = markup_date(html, url)
    title_key = _key(md.title) if md.title else None
    kept = [i for i, k in enumerate(keep) if k]
    again = {
        kept[j]
        for j in repeated(
            [doc.blocks[i].text for i in kept], [doc.blocks[i].ancestors for i in kept]
        )
    }
    body_parts: list[str] = []
    body_tags: list[str] = []
    cut: list[tuple[float, Removed]] = []  # (block index, block) in reading order
    kept_before: list[int] = []  # body paragraphs before each block, for the pruned ones' position
    for i, (block, is_body) in enumerate(zip(doc.blocks, keep, strict=False)):
        kept_before.append(len(body_parts))
        reason = None if is_body else _reason(block, listed=bool(doc.X[i, LISTING_COLUMN]))
        if is_body:
            if i in again:
                reason = "duplicate"
            elif title_key and _key(block.text) == title_key:
                reason = "title"
            elif is_byline(block.text):
                reason = "byline"
                md.author = md.author or byline_name(block.text)
        if reason is None:
            body_parts.append(block.text)
            body_tags.append(block.tag)
        else:
            cut.append((i, Removed(block.text, reason, len(body_parts))))
    kept_before.append(len(body_parts))
    for pruned in doc.pruned:  # pruned before block `at`: its position is the body count there
        at = min(pruned.position if pruned.position is not None else len(doc.blocks), len(doc.blocks))
        cut.append((at - 0.5, Removed(pruned.text, pruned.reason, kept_before[at])))
    cut.sort(key=lambda item: item[0])  # stable: pruned blocks keep their order
    removed = [r for _, r in cut]
    if not body_parts:
        return Drop("no-main-content")
    body = "\n\n".join(body_parts)
    return Article(
        body=body,
        title=md.title,
        author=md.author,
        published=md.published,
        language=detect_language(body) or md.language,
        description=md.description,
        site_name=md.site_name,
        canonical_url=md.canonical_url,
        removed=removed,
        tags=body_tags,
    )

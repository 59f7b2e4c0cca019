"""The HTML path: selectolax blocks (certain clutter pruned), the block classifier, page metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.extract.blocks import Block, html_blocks
from pipeline.extract.features import page_features
from pipeline.extract.langid import detect_language
from pipeline.extract.metadata import Metadata, html_metadata
from pipeline.extract.model import BlockClassifier, load_model
from pipeline.extract.repeats import repeated
from pipeline.extract.rules import clutter_kind
from pipeline.extract.textmeta import byline_name, is_byline
from pipeline.models import Article, Drop, ExtractResult, Removed


MIN_CHARS = 300
MAX_BLOCKS = 5000
FALLBACK_THRESHOLD = 0.2


@dataclass(slots=True)
class Prepared:
    blocks: list[Block]
    X: np.ndarray
    lengths: np.ndarray
    pruned: list[Removed] = field(default_factory=list)
    tree: object = None


def prepare(html: str) -> Prepared:
    page, tree = html_blocks(html)
    if len(page.blocks) > MAX_BLOCKS:  # no story is this long; keep the time per page bounded
        page.pruned.extend(Removed(b.text, "overflow") for b in page.blocks[MAX_BLOCKS:])
        del page.blocks[MAX_BLOCKS:]
    lengths = np.array([len(b.text) for b in page.blocks], dtype=np.float64)
    return Prepared(page.blocks, page_features(page.blocks), lengths, page.pruned, tree)


def _reason(block: Block) -> str:
    kind = clutter_kind(block.text) if len(block.text) < 500 else None
    if kind:
        return kind
    names = block.near_names
    for word, reason in (("comment", "comments"), ("share", "share"), ("social", "share"), ("related", "related"),
                         ("author", "author-bio"), ("bio", "author-bio"), ("newsletter", "newsletter"),
                         ("footer", "legal"), ("nav", "nav"), ("menu", "nav"), ("caption", "caption")):
        if any(word in n for n in names):
            return reason
    if block.link_chars > 0.5 * len(block.text):
        return "nav"
    return "chrome"


def extract_html(html: str, *, url: str | None = None, model: BlockClassifier | None = None) -> ExtractResult:
    doc = prepare(html)
    if not doc.blocks:
        return Drop("no-main-content")
    model = model or load_model()
    proba = model.predict_proba(doc.X, [b.ancestors for b in doc.blocks], doc.lengths)
    keep = proba >= model.threshold_body
    if sum(len(b.text) for b, k in zip(doc.blocks, keep) if k) < MIN_CHARS:
        # a short story the model is unsure of: take the likelier half, or at least the best block
        keep = proba >= min(FALLBACK_THRESHOLD, float(proba.max()))
    md = html_metadata(doc.tree, url) if doc.tree is not None else Metadata()
    kept = [i for i, k in enumerate(keep) if k]
    again = {kept[j] for j in repeated([doc.blocks[i].text for i in kept], [doc.blocks[i].ancestors for i in kept])}
    body_parts: list[str] = []
    removed = list(doc.pruned)
    for i, (block, is_body) in enumerate(zip(doc.blocks, keep)):
        reason = None if is_body else _reason(block)
        if is_body:
            if i in again:
                reason = "duplicate"
            elif md.title and block.text == md.title:
                reason = "title"
            elif is_byline(block.text):
                reason = "byline"
                md.author = md.author or byline_name(block.text)
        if reason is None:
            body_parts.append(block.text)
        else:
            removed.append(Removed(block.text, reason))
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
    )

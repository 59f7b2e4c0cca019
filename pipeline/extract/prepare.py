"""Pages to classified-ready blocks: HTML (with hidden <noscript>/<template> markup) and text dumps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.extract.blocks import Block, Page, hidden_html, html_blocks
from pipeline.extract.features import block_features, label_kinds
from pipeline.extract.metadata import Metadata, html_metadata
from pipeline.extract.pagetype import page_vector
from pipeline.models import Removed

MAX_BLOCKS = 5000
MAX_LINES = 5000
HIDDEN_MIN_PROSE = 500  # less visible prose than this: look inside <noscript> and templates
# py3langid this sure of the page's longest blocks: the article is taken to share their language
# (one detection a page, not two; on the 2,432 HTML pages of the corpus 95% of pages are this
# sure, and 2 of those get another language than a detection on their body would give)
SURE_LANGUAGE = 0.99


@dataclass(slots=True)
class Prepared:
    blocks: list[Block]
    X: np.ndarray
    pruned: list[Removed] = field(default_factory=list)
    md: Metadata = field(default_factory=Metadata)
    lengths: list[float] | None = None  # each block's length in words (lang.word_length)
    language: str | None = None  # the page's language when py3langid is sure of it


def _prose(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks if len(b.text) >= 80)


def _with_hidden(page: Page, tree) -> None:
    """Add the blocks of <noscript>/<template> markup when the visible page has little prose."""
    if _prose(page.blocks) >= HIDDEN_MIN_PROSE:
        return
    markup = hidden_html(tree)
    if not markup:
        return
    hidden, _ = html_blocks(f"<html><body>{markup}</body></html>")
    if _prose(hidden.blocks) > _prose(page.blocks):
        start = len(page.blocks)
        for i, b in enumerate(hidden.blocks, start=start):
            b.index = i
        page.blocks.extend(hidden.blocks)
        page.pruned.extend(
            Removed(r.text, r.reason, None if r.position is None else r.position + start)
            for r in hidden.pruned
        )


def prepare(html: str, url: str | None = None, spare: frozenset[str] = frozenset()) -> Prepared:
    """The page's blocks, features and metadata; `spare`: prune reasons not applied to names
    (blocks.html_blocks)."""
    page, tree = html_blocks(html, spare=spare)
    md = html_metadata(tree, url) if tree.root is not None else Metadata()
    _with_hidden(page, tree)
    if len(page.blocks) > MAX_BLOCKS:  # no story is this long; keep the time per page bounded
        page.pruned.extend(Removed(b.text, "overflow") for b in page.blocks[MAX_BLOCKS:])
        del page.blocks[MAX_BLOCKS:]
    label_kinds(page.blocks)
    features = block_features(page.blocks, md.article_body)
    sure = features.confidence >= SURE_LANGUAGE
    doc = Prepared(
        page.blocks, features.X, page.pruned, md, features.lengths, features.language if sure else None
    )
    doc.X = with_page_columns(doc, url)
    return doc


def with_page_columns(doc: Prepared, url: str | None = None) -> np.ndarray:
    """Block features plus the page's own (page-type) features on every row: what a block is
    depends on what kind of page holds it (a link list is a product grid's body, not a story's)."""
    vec = page_vector(doc, url)
    return np.hstack([doc.X, np.broadcast_to(vec, (len(doc.blocks), len(vec)))]).astype(np.float32)


def text_blocks(text: str) -> list[Block]:
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return [Block(line, "line", index=i) for i, line in enumerate(x for x in lines if x)]


def prepare_text(text: str) -> tuple[list[Block], np.ndarray]:
    """The dump's lines as blocks (at most MAX_LINES) and their features."""
    blocks = text_blocks(text)[:MAX_LINES]
    label_kinds(blocks)
    doc = Prepared(blocks, block_features(blocks).X)
    return blocks, with_page_columns(doc)

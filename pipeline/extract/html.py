"""The HTML path: selectolax blocks (certain clutter pruned), the block classifier, page metadata."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import numpy as np
from htmldate import find_date

from pipeline.extract.blocks import Block
from pipeline.extract.fallback import better, looks_unsure, second_opinion
from pipeline.extract.features import LISTING_COLUMN
from pipeline.extract.langid import detect_language
from pipeline.extract.model import TreeModel, load_model
from pipeline.extract.pagetype import page_type
from pipeline.extract.prepare import Prepared, prepare
from pipeline.extract.repeats import repeated
from pipeline.extract.select import select
from pipeline.extract.textmeta import byline_name, is_byline
from pipeline.models import Article, Drop, ExtractResult, Removed

_WORD = re.compile(r"\w+")


def _reason(block: Block, listed: bool = False) -> str:
    """The clutter kind to report for a cut block: its phrase, its container's name, its links."""
    if block.kind:
        return block.kind
    if listed:
        return "related"
    reason = _name_reason(block.near_names)
    if reason:
        return reason
    if block.link_chars > 0.5 * len(block.text):
        return "nav"
    return "chrome"


_NAME_REASONS = (
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
)


@lru_cache(maxsize=4096)
def _name_reason(names: frozenset[str]) -> str | None:
    """The first reason whose word is inside one of the class/id tokens (tokens are [a-z0-9]+,
    so a word found in the space-joined tokens is inside one of them)."""
    joined = " ".join(names)
    return next((reason for word, reason in _NAME_REASONS if word in joined), None)


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


def split_body(
    doc: Prepared, keep: np.ndarray
) -> tuple[list[str], list[Removed], str | None, list[str]]:
    """Body paragraphs, cut blocks with reasons, and a byline's author: duplicates, the headline
    and bylines go to `removed` even when the classifier kept them."""
    md = doc.md
    title_key = _key(md.title) if md.title else None
    kept = [i for i, k in enumerate(keep) if k]
    texts = [doc.blocks[i].text for i in kept]
    again = {kept[j] for j in repeated(texts, [doc.blocks[i].ancestors for i in kept])}
    body_parts: list[str] = []
    body_tags: list[str] = []  # the element each body paragraph came from
    cut: list[tuple[float, Removed]] = []  # (block index, block) in reading order
    kept_before: list[int] = []  # body paragraphs before each block, for the pruned ones' position
    author = md.author
    for i, (block, is_body) in enumerate(zip(doc.blocks, keep, strict=True)):
        kept_before.append(len(body_parts))
        reason = None if is_body else _reason(block, listed=bool(doc.X[i, LISTING_COLUMN]))
        if is_body:
            if i in again:
                reason = "duplicate"
            elif title_key and _key(block.text) == title_key:
                reason = "title"
            elif is_byline(block.text):
                reason = "byline"
                author = author or byline_name(block.text)
        if reason is None:
            body_parts.append(block.text)
            body_tags.append(block.tag)
        else:
            cut.append((i, Removed(block.text, reason, len(body_parts))))
    kept_before.append(len(body_parts))
    for pruned in doc.pruned:  # pruned before block `at`: its position is the body count there
        at = min(
            pruned.position if pruned.position is not None else len(doc.blocks), len(doc.blocks)
        )
        cut.append((at - 0.5, Removed(pruned.text, pruned.reason, kept_before[at])))
    cut.sort(key=lambda item: item[0])  # stable: pruned blocks keep their order
    return body_parts, [r for _, r in cut], author, body_tags


def assemble(doc: Prepared, keep: np.ndarray) -> Article | Drop:
    """The article from the body mask."""
    body_parts, removed, author, tags = split_body(doc, keep)
    if not body_parts:
        return Drop("no-main-content")
    body = "\n\n".join(body_parts)
    md = doc.md
    return Article(
        body=body,
        title=md.title,
        author=author,
        published=md.published,
        language=doc.language or detect_language(body) or md.language,
        description=md.description,
        site_name=md.site_name,
        canonical_url=md.canonical_url,
        removed=removed,
        tags=tags,
    )


def _with_second_opinion(
    result: Article | Drop, doc: Prepared, text: str, why: str = "result looked truncated"
) -> Article:
    """The article with trafilatura's body; our cut blocks that it kept leave `removed`."""
    if isinstance(result, Article):
        article = result
    else:
        md = doc.md
        article = Article(
            body="",
            title=md.title,
            author=md.author,
            published=md.published,
            description=md.description,
            site_name=md.site_name,
            canonical_url=md.canonical_url,
            removed=list(doc.pruned),
        )
    inside = set(text.split("\n\n"))
    article.removed = [r for r in article.removed if r.text not in inside]
    article.removed.append(Removed("", f"fallback: trafilatura ({why})", 0))
    article.body = text
    article.tags = []  # trafilatura's paragraphs: elements unknown
    article.language = detect_language(text) or doc.md.language
    return article


def extract_prepared(
    doc: Prepared,
    model: TreeModel,
    html: str | None = None,
    url: str | None = None,
    kind: str | None = None,
) -> Article | Drop:
    """Classify the blocks of a prepared page and assemble the article (no date guessing); with
    `html`, ask trafilatura for a second opinion when the result looks truncated (or always, where
    the decision for the page's type prefers it). `kind`: the page type, else predicted."""
    if not doc.blocks:
        return Drop("no-main-content")
    kind = kind or page_type(doc)
    d = model.decision.for_type(kind)
    proba = model.predict_proba(doc.X)
    keep = select(doc.blocks, doc.X, proba, d)
    result = assemble(doc, keep)
    body = result.body if isinstance(result, Article) else ""
    if html is not None and (
        d.prefer_second_opinion or looks_unsure(doc, keep, proba, len(body), d)
    ):
        text = second_opinion(html, url)
        if text and d.prefer_second_opinion:
            result = _with_second_opinion(result, doc, text, f"preferred on {kind} pages")
        elif better(body, text, d):
            result = _with_second_opinion(result, doc, text)
    if isinstance(result, Article):
        result.page_type = kind
    return result


# Prune reasons a forum is made of: its posts are marked up as comments (schema.org
# `itemprop="comment"`, `class="comment"`), so on a page typed forum they are the body.
FORUM_SPARED = frozenset({"comments"})


def _as_forum(
    doc: Prepared, html: str, url: str | None, kind: str | None
) -> tuple[Prepared, str | None]:
    """The page prepared again with its comment-named elements kept, when it is typed forum (a
    page where nothing else is left is typed by them). Measured on WCXB's 37 forum-typed pages
    that have such elements (page types from a model that never saw the page's site, blocks
    scored by the model trained without WCXB): F1 summed 25.55 -> 26.97; on
    forum.prestashop.com the body was the cookie banner, now it is the thread."""
    if kind is None and not doc.blocks:
        spared = prepare(html, url, spare=FORUM_SPARED)
        if spared.blocks and page_type(spared) == "forum":
            return spared, "forum"
        return doc, kind
    kind = kind or page_type(doc)
    if kind != "forum":
        return doc, kind
    return prepare(html, url, spare=FORUM_SPARED), kind


def extract_html(
    html: str, *, url: str | None = None, model: TreeModel | None = None, kind: str | None = None
) -> ExtractResult:
    """The article of an HTML page; `model` and `kind` (the page type) for validation runs."""
    doc = prepare(html, url)
    if any(r.reason in FORUM_SPARED for r in doc.pruned):
        doc, kind = _as_forum(doc, html, url, kind)
    result = extract_prepared(doc, model or load_model(), html, url, kind)
    if isinstance(result, Article) and result.published is None:
        result.published = markup_date(html, url)
    return result

"""Page type (article, listing, forum, product, documentation, other) from page-level features."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.extract.features import LENGTH_COLUMN
from pipeline.extract.model import TreeModel

PAGE_TYPES = ("article", "listing", "forum", "product", "documentation", "other")
MODEL_PATH = Path(__file__).with_name("model_pagetype.json")

_TYPE_WORDS = {
    "article": r"newsarticle|\barticle\b|blogposting|reportagenewsarticle|report|og:article|liveblog",
    "product": r"\bproduct\b|\boffer\b|aggregateoffer|productgroup|og:product",
    "forum": r"discussionforumposting|qapage|question|\banswer\b|\bcomment\b",
    "docs": r"techarticle|apireference|softwaresourcecode|howto|faqpage",
    "listing": r"itemlist|collectionpage|searchresultspage|breadcrumblist",
    "site": r"website|organization|localbusiness|service|og:website",
    "recipe": r"recipe",
}
_URL_WORDS = {
    "product": r"/products?/|/item/|/dp/|/p/|/shop/|/buy|\.html?$",
    "forum": r"/threads?/|/forums?/|/topics?/|/questions/|/t/|/community/|/discussion",
    "docs": r"/docs?/|/documentation/|/api/|/reference/|/guide|/manual|/wiki/|/learn/|/tutorial",
    "listing": r"/collections?/|/category/|/categories/|/tags?/|/search|/archive|/news/?$|/blog/?$|/page/\d",
    "article": r"/20\d\d/|/19\d\d/|/news/.+|/blog/.+|/article|/story|/posts?/.+|-\d{5,}",
    "home": r"^https?://[^/]+/?$",
}
_TEXT_WORDS = {
    "cart": r"add to (?:cart|bag|basket)|in den warenkorb|ajouter au panier|in stock|out of stock|free shipping|\bsku\b",
    "forum": r"\breply\b|\breplies\b|\bjoined\b|\bposts?:|\bquote\b|\bthread\b|\bupvote|\bmember\b|answered|asked",
    "docs": r"\bparameters?\b|\breturns?\b|\bsyntax\b|\bexample\b|\binstall|\bversion\b|\bfunction\b",
    "service": r"contact us|get a quote|book (?:a|an|now)|free consultation|our services|pricing",
    "listing": r"read more|continue reading|view all|load more|next page|»|previous",
}
_COMPILED = {
    group: {k: re.compile(v, re.IGNORECASE) for k, v in words.items()}
    for group, words in (("types", _TYPE_WORDS), ("url", _URL_WORDS), ("text", _TEXT_WORDS))
}


def fold(text: str) -> str:
    """`text` case-folded so that a lowercase ASCII pattern matches it exactly where the pattern
    with re.IGNORECASE matches `text` (one character for one: 'İ', 'ı', 'ſ' and 'K' are the only
    characters that re.IGNORECASE matches to an ASCII letter besides A-Z)."""
    return text.replace("İ", "i").lower().replace("ı", "i").replace("ſ", "s")


def _case_sensitive(pattern: str) -> re.Pattern[str]:
    """`pattern` (lowercase ASCII words) for folded text, each leading `\\b` moved behind the
    word's first letter as a look-behind: the same matches, but every branch starts with a
    literal, so the search skips ahead in C (re.IGNORECASE and a leading `\\b` both prevent it)."""
    return re.compile(re.sub(r"\\b([a-z])", r"\1(?<!\\w.)", pattern))


# the text patterns run over the whole page: folded once, matched case-sensitively (same counts)
_TEXT_FAST = {k: _case_sensitive(v) for k, v in _TEXT_WORDS.items()}
N_FEATURES = len(_TYPE_WORDS) + len(_URL_WORDS) + len(_TEXT_WORDS) + 14


def _page_vector(doc, url: str | None) -> list[float]:
    blocks = doc.blocks
    md = doc.md
    types = " ".join(md.types).lower()
    url = url or md.canonical_url or ""
    vec = [float(bool(p.search(types))) for p in _COMPILED["types"].values()]
    vec += [float(bool(p.search(url))) for p in _COMPILED["url"].values()]
    text = fold("\n".join(b.text for b in blocks[:1500]))
    vec += [math.log1p(len(p.findall(text))) for p in _TEXT_FAST.values()]
    n = len(blocks) or 1
    chars = np.array([len(b.text) for b in blocks], dtype=float) if blocks else np.zeros(1)
    total = chars.sum() or 1.0
    links = sum(b.link_chars for b in blocks)
    long = np.expm1(doc.X[:, LENGTH_COLUMN]) >= 30 if blocks else np.zeros(1, bool)
    tags = [b.tag for b in blocks]
    vec += [
        math.log1p(len(blocks)),
        math.log1p(total),
        links / total,
        float(long.sum()) / n,
        math.log1p(float(long.sum())),
        float(chars[long].sum() / total) if long.any() else 0.0,
        sum(t == "li" for t in tags) / n,
        sum(t in ("h2", "h3", "h4") for t in tags) / n,
        sum(t == "pre" for t in tags) / n,
        sum(t in ("td", "tr") for t in tags) / n,
        float(chars.max() / total),
        float(bool(md.article_body)),
        float(md.author is not None),
        float(md.published is not None),
    ]
    return vec


def page_vector(doc, url: str | None = None) -> np.ndarray:
    """The page-level features (the first N_FEATURES of doc.X's columns must be block features)."""
    return np.asarray(_page_vector(doc, url), dtype=np.float32)


@dataclass(frozen=True)
class TypeModel:
    """One tree model per page type (a softmax over their raw scores), evaluated as one forest:
    one pass over the trees of every type instead of one pass per type (median 0.28-0.30 -> 0.15
    ms a ScrapingHub page, the same probabilities bit for bit)."""

    forest: TreeModel  # every type's trees, type after type
    spans: tuple[tuple[int, int], ...]  # each type's trees in the forest
    baselines: tuple[float, ...]
    types: list[str]
    margin: float

    @classmethod
    def from_dict(cls, data: dict) -> TypeModel:
        classes = data["classes"]
        bounds = np.cumsum([0] + [len(m["trees"]) for m in classes]).tolist()
        forest = TreeModel.from_dict(
            {
                "baseline": 0.0,
                "trees": [t for m in classes for t in m["trees"]],
                "depth": max(int(m["depth"]) for m in classes),
            }
        )
        return cls(
            forest,
            tuple(zip(bounds[:-1], bounds[1:], strict=True)),
            tuple(float(m["baseline"]) for m in classes),
            data["types"],
            data["article_margin"],
        )

    def proba(self, vec: np.ndarray) -> np.ndarray:
        """Probability of each type for a page vector."""
        leaves = self.forest.leaves(vec[None, :])
        raw = np.array(
            [
                base + leaves[:, a:b].sum(axis=1)[0]
                for base, (a, b) in zip(self.baselines, self.spans, strict=True)
            ]
        )
        e = np.exp(raw - raw.max())
        return e / e.sum()


@lru_cache(maxsize=2)
def load_classes(path: Path = MODEL_PATH) -> TypeModel | None:
    """The page-type model, or None where none was trained."""
    if not path.exists():
        return None
    return TypeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def decide_type(proba: np.ndarray, types: list[str], margin: float) -> str:
    """The likeliest type; an article unless another type beats it by `margin` (recall first)."""
    best = int(np.argmax(proba))
    if types[best] == "article":
        return "article"
    article = proba[types.index("article")]
    return types[best] if proba[best] - article >= margin else "article"


def page_type(doc, url: str | None = None) -> str:
    model = load_classes()
    if model is None:
        return "article"
    # prepare() already put the page's vector on every row of doc.X (its last columns)
    vec = doc.X[0, -N_FEATURES:] if len(doc.blocks) and url is None else page_vector(doc, url)
    return decide_type(model.proba(np.asarray(vec, dtype=np.float32)), model.types, model.margin)

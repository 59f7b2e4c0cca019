"""Block features for the clutter classifier: text shape, links, DOM context, position, repetition."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from pipeline.extract.blocks import HEADINGS, Block
from pipeline.extract.rules import LISTING_HEADERS, clutter_kind

# The most frequent function words of the languages we expect most; density of these separates
# prose from navigation in any of them (Kohlschütter et al.; jusText).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "your",
        "not",
        "no",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "said",
        "says",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "how",
        "than",
        "then",
        "there",
        "here",
        "also",
        "after",
        "before",
        "into",
        "over",
        "about",
        "more",
        "der",
        "die",
        "das",
        "und",
        "oder",
        "ein",
        "eine",
        "ist",
        "sind",
        "war",
        "nicht",
        "mit",
        "von",
        "zu",
        "den",
        "dem",
        "des",
        "auf",
        "für",
        "im",
        "auch",
        "sich",
        "es",
        "sie",
        "er",
        "le",
        "la",
        "les",
        "et",
        "ou",
        "un",
        "une",
        "des",
        "du",
        "de",
        "est",
        "sont",
        "pas",
        "avec",
        "pour",
        "dans",
        "sur",
        "au",
        "aux",
        "qui",
        "que",
        "il",
        "elle",
        "ce",
        "cette",
        "el",
        "los",
        "las",
        "y",
        "o",
        "un",
        "una",
        "es",
        "son",
        "no",
        "con",
        "por",
        "para",
        "en",
        "del",
        "al",
        "que",
        "se",
        "su",
        "lo",
        "como",
        "il",
        "lo",
        "gli",
        "e",
        "o",
        "uno",
        "una",
        "è",
        "sono",
        "non",
        "con",
        "per",
        "nel",
        "della",
        "che",
        "di",
        "da",
        "o",
        "os",
        "as",
        "e",
        "um",
        "uma",
        "é",
        "são",
        "não",
        "com",
        "por",
        "para",
        "em",
        "do",
        "da",
        "que",
        "и",
        "в",
        "не",
        "на",
        "что",
        "с",
        "по",
        "как",
        "это",
        "он",
        "она",
        "они",
        "а",
        "но",
        "из",
        "за",
        "то",
        "к",
        "о",
        "от",
        "de",
        "het",
        "een",
        "en",
        "is",
        "zijn",
        "niet",
        "met",
        "voor",
        "op",
        "van",
        "dat",
        "die",
        "ve",
        "bir",
        "bu",
        "da",
        "de",
        "ile",
        "için",
        "ne",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SENT_END = re.compile(r"[.!?…。！？][\"'”’»)]*(?:\s|$)")
_PUNCT = re.compile(r"[,;:.!?]")
_DIGIT = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|от|автор)\s+\S", re.IGNORECASE)
_TIME_AGO = re.compile(
    r"\b(?:\d+\s+(?:min|mins|minutes|hours?|days?)\s+ago|updated|published)\b", re.IGNORECASE
)

TAGS = (
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "li",
    "td",
    "div",
    "blockquote",
    "pre",
    "figcaption",
    "dd",
    "span",
    "line",
)
_TAG_INDEX = {t: i for i, t in enumerate(TAGS)}
_TAG_ALIAS = {
    "h5": "h4",
    "h6": "h4",
    "th": "td",
    "dt": "dd",
    "section": "div",
    "article": "div",
    "main": "div",
    "body": "span",
    "center": "div",
    "address": "p",
    "summary": "div",
    "caption": "figcaption",
}
PATH_TAGS = (
    "article",
    "main",
    "header",
    "footer",
    "figure",
    "ul",
    "ol",
    "table",
    "form",
    "a",
    "section",
    "blockquote",
)
NAME_WORDS = (
    "article",
    "content",
    "body",
    "story",
    "entry",
    "post",
    "text",
    "main",
    "detail",
    "prose",
    "paragraph",
    "rich",
    "copy",
    "related",
    "recommend",
    "promo",
    "ad",
    "ads",
    "advert",
    "sponsor",
    "widget",
    "sidebar",
    "footer",
    "header",
    "nav",
    "menu",
    "comment",
    "share",
    "social",
    "newsletter",
    "subscribe",
    "tag",
    "topic",
    "caption",
    "credit",
    "byline",
    "author",
    "bio",
    "meta",
    "date",
    "time",
    "breadcrumb",
    "teaser",
    "card",
    "list",
    "more",
    "title",
    "headline",
    "hidden",
    "modal",
    "popup",
    "banner",
    "legal",
    "copyright",
    "signup",
    "embed",
    "tweet",
    "video",
    "image",
    "photo",
    "figure",
    "gallery",
    "summary",
    "dek",
    "intro",
    "lede",
    "description",
    "inline",
    "container",
    "wrapper",
    "col",
    "grid",
    "link",
    "button",
    "icon",
    "label",
    "note",
    "disclaimer",
    "bottom",
    "top",
    "hero",
    "category",
    "section",
    "module",
    "player",
    "print",
    "email",
    "follow",
)
KINDS = ("newsletter", "donation", "comments", "related", "share", "legal", "cross-promo")

N_TEXT = 19
N_OWN = N_TEXT + len(KINDS) + len(TAGS) + len(PATH_TAGS) + 2 * len(NAME_WORDS) + 9
# neighbours' shape: words, link density, stop-word density, sentence end, heading, same parent (x prev/next)
N_NEIGHBOUR = 6
N_FEATURES = N_OWN + 2 * N_NEIGHBOUR + 2
_HEADING_COL = N_TEXT + len(KINDS)  # first tag column; h1..h4 follow p


def _name_vector(names: frozenset[str], cache: dict, token_cache: dict) -> np.ndarray:
    """Which NAME_WORDS occur inside any class/id token (per set of tokens, from per-token vectors)."""
    vec = cache.get(names)
    if vec is None:
        vec = np.zeros(len(NAME_WORDS), dtype=np.float32)
        for token in names:
            tv = token_cache.get(token)
            if tv is None:
                tv = np.fromiter(
                    (w in token for w in NAME_WORDS), dtype=np.float32, count=len(NAME_WORDS)
                )
                token_cache[token] = tv
            np.maximum(vec, tv, out=vec)
        cache[names] = vec
    return vec


def _text_features(text: str, link_chars: int) -> list[float]:
    words = _WORD.findall(text)
    n_words = len(words) or 1
    n_chars = len(text) or 1
    stop = sum(1 for w in words if w.lower() in STOPWORDS)
    upper = sum(1 for w in words if w[0].isupper())
    stripped = text.rstrip()
    return [
        math.log1p(len(text)),
        math.log1p(len(words)),
        link_chars / n_chars,
        stop / n_words,
        len(_PUNCT.findall(text)) / n_chars * 10,
        float(bool(stripped) and stripped[-1] in '.!?…"”’»)。'),
        math.log1p(len(_SENT_END.findall(text))),
        len(_DIGIT.findall(text)) / n_chars,
        upper / n_words,
        float(text.isupper()),
        float(bool(_BYLINE.match(text))),
        float(bool(_DATE.search(text)) and len(words) < 15),
        float("|" in text or "•" in text or "·" in text),
        float(bool(_TIME_AGO.search(text)) and len(words) < 15),
        float(len(words) < 4),
        float(text.startswith(("“", '"', "‘", "'"))),
        float(text.endswith((":",))),
        float("@" in text or "http" in text),
        float(stripped.endswith(("...", "…"))),  # teasers
    ]


def label_kinds(blocks: list[Block]) -> None:
    """Set each block's `kind`: the clutter its text names outright (short blocks only)."""
    for b in blocks:
        b.kind = clutter_kind(b.text) if len(b.text) < MAX_KIND_CHARS else None


MAX_KIND_CHARS = 500


def page_features(blocks: list[Block]) -> np.ndarray:
    """One row per block (after `label_kinds`); context (container, neighbours, repetition) is page-wide."""
    n = len(blocks)
    X = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return X
    counts = Counter(b.text for b in blocks)
    total_chars = sum(len(b.text) for b in blocks) or 1
    # prose held by each enclosing element: the article container holds most of a page's prose
    prose = [_is_prose(b) for b in blocks]
    held: Counter[int] = Counter()
    total_prose = 0
    for b, p in zip(blocks, prose, strict=False):
        if p:
            total_prose += len(b.text)
            for a in b.ancestors:
                held[a] += len(b.text)
    total_prose = total_prose or 1
    # the deepest element holding at least half of the prose
    main = None
    best_depth = -1
    for b, p in zip(blocks, prose, strict=False):
        if p:
            for depth, a in enumerate(b.ancestors):
                if held[a] >= 0.5 * total_prose and depth > best_depth:
                    main, best_depth = a, depth
    name_cache: dict = {}
    token_cache: dict = {}
    seen_chars = 0
    k = N_TEXT
    for i, b in enumerate(blocks):
        row = X[i]
        row[:N_TEXT] = _text_features(b.text, b.link_chars)
        if b.kind:
            row[k + KINDS.index(b.kind)] = 1
        o = k + len(KINDS)
        row[o + _TAG_INDEX.get(_TAG_ALIAS.get(b.tag, b.tag), _TAG_INDEX["span"])] = 1
        o += len(TAGS)
        path = b.path
        for j, t in enumerate(PATH_TAGS):
            if t in path:
                row[o + j] = 1
        o += len(PATH_TAGS)
        row[o : o + len(NAME_WORDS)] = _name_vector(b.names, name_cache, token_cache)
        o += len(NAME_WORDS)
        row[o : o + len(NAME_WORDS)] = _name_vector(b.near_names, name_cache, token_cache)
        o += len(NAME_WORDS)
        parent = b.ancestors[-1] if b.ancestors else None
        grand = b.ancestors[-2] if len(b.ancestors) > 1 else None
        row[o] = i / n
        row[o + 1] = seen_chars / total_chars
        row[o + 2] = float(main is not None and main in b.ancestors)
        row[o + 3] = held.get(parent, 0) / total_prose if parent is not None else 0
        row[o + 4] = held.get(grand, 0) / total_prose if grand is not None else 0
        row[o + 5] = float(counts[b.text] > 1)
        row[o + 6] = math.log1p(len(path))
        row[o + 7] = float(prose[i - 1]) if i > 0 else 0
        row[o + 8] = float(prose[i + 1]) if i + 1 < n else 0
        seen_chars += len(b.text)
    _neighbour_features(blocks, X, main)
    return X


def _neighbour_features(blocks: list[Block], X: np.ndarray, main: int | None) -> None:
    n = len(blocks)
    own = X[:, [1, 2, 3, 5]]
    heading = X[:, _HEADING_COL + 1 : _HEADING_COL + 5].max(axis=1, keepdims=True)
    parents = [b.ancestors[-1] if b.ancestors else -1 for b in blocks]
    same = np.array(
        [[parents[i] == parents[i - 1]] if i else [0] for i in range(n)], dtype=np.float32
    )
    shape = np.hstack([own, heading])
    o = N_OWN
    X[1:, o : o + 5] = shape[:-1]
    X[:, o + 5 : o + 6] = same
    o += N_NEIGHBOUR
    X[:-1, o : o + 5] = shape[1:]
    X[:-1, o + 5] = same[1:, 0]
    # depth below the article container (0 outside it)
    o += N_NEIGHBOUR
    if main is not None:
        for i, b in enumerate(blocks):
            if main in b.ancestors:
                X[i, o] = len(b.ancestors) - b.ancestors.index(main)
    # under a listing header ("Related", "You may also like"): the header's container, up to a heading
    scope = None
    for i, b in enumerate(blocks):
        if b.tag in HEADINGS or (scope is not None and scope not in b.ancestors):
            scope = None
        if LISTING_HEADERS.match(b.text) and len(b.ancestors) >= 2:
            scope = b.ancestors[-2]
        elif scope is not None:
            X[i, o + 1] = 1


LISTING_COLUMN = N_FEATURES - 1


def _is_prose(b: Block) -> bool:
    text = b.text
    return len(text) >= 80 and b.link_chars < 0.3 * len(text) and bool(_SENT_END.search(text))

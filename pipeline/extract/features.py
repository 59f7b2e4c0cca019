"""Block features for the clutter classifier: text shape, links, DOM context, position, repetition."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import NamedTuple

import numpy as np

from pipeline.extract.blocks import HEADINGS, Block
from pipeline.extract.lang import (
    _NOSPACE,
    CHARS_PER_WORD,
    StopDensity,
    is_spaceless,
    page_language_and_confidence,
    tokens,
    word_length,
)
from pipeline.extract.rules import LISTING_HEADERS, clutter_kind

_SENT_END = re.compile(r"[.!?…。！？][\"'”’»)]*(?:\s|$)")
_PUNCT = re.compile(r"[,;:.!?]")
_DIGIT = re.compile(r"\d")
_DATE = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|от|автор)\s+\S", re.IGNORECASE)
_PRICE = re.compile(r"[$€£¥₹]\s?\d|\d[\d.,]*\s?(?:€|eur|usd|chf|kr|zł)\b", re.IGNORECASE)
_TIME_AGO = re.compile(
    r"\b(?:\d+\s+(?:min|mins|minutes|hours?|days?)\s+ago|updated|published)\b", re.IGNORECASE
)

TAGS = tuple("p h1 h2 h3 h4 li td div blockquote pre figcaption dd span line".split())
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
PATH_TAGS = tuple("article main header footer figure ul ol table form a section blockquote".split())
NAME_WORDS = tuple(
    "article content body story entry post text main detail prose paragraph rich copy related "
    "recommend promo ad ads advert sponsor widget sidebar footer header nav menu comment "
    "share social newsletter subscribe tag topic caption credit byline author bio meta date "
    "time breadcrumb teaser card list more title headline hidden modal popup banner legal "
    "copyright signup embed tweet video image photo figure gallery summary dek intro lede "
    "description inline container wrapper col grid link button icon label note disclaimer "
    "bottom top hero category section module player print email follow".split()
)
KINDS = ("newsletter", "donation", "comments", "related", "share", "legal", "cross-promo")

N_TEXT = 21
N_CONTEXT = 17
N_OWN = N_TEXT + len(KINDS) + len(TAGS) + len(PATH_TAGS) + 2 * len(NAME_WORDS) + N_CONTEXT
# neighbours' shape: words, link density, stop-word density, sentence end, heading, same parent (x prev/next)
N_NEIGHBOUR = 6
# the repeated record a block sits in (a teaser card, a link-list item): see _record_columns
N_RECORD = 4
N_FEATURES = N_OWN + 2 * N_NEIGHBOUR + 2 + N_RECORD
_HEADING_COL = N_TEXT + len(KINDS)  # first tag column; h1..h4 follow p


# per class/id token: which NAME_WORDS it holds, as the bits of an int (pure, so shared by every
# page; bounded). Bits rather than bool arrays: OR-ing ints per distinct token set and unpacking
# every set's bits in one numpy call halves `_name_columns` (both calls of a ScrapingHub page:
# median 0.31-0.44 -> 0.14-0.21 ms), with the same matrix bit for bit (scripts/check_features.py).
_TOKEN_BITS: dict[str, int] = {}
MAX_CACHED_TOKENS = 50_000
_NAME_BYTES = (len(NAME_WORDS) + 7) // 8


def _token_bits(token: str) -> int:
    bits = _TOKEN_BITS.get(token)
    if bits is None:
        if len(_TOKEN_BITS) >= MAX_CACHED_TOKENS:
            _TOKEN_BITS.clear()
        bits = sum(1 << j for j, w in enumerate(NAME_WORDS) if w in token)
        _TOKEN_BITS[token] = bits
    return bits


def _name_bits(names: frozenset[str]) -> int:
    """Which NAME_WORDS occur inside any class/id token (bit j: NAME_WORDS[j])."""
    bits = 0
    for token in names:
        bits |= _token_bits(token)
    return bits


def _name_columns(sets: list[frozenset[str]]) -> np.ndarray:
    """The name vector of every block (one computation per distinct set of tokens)."""
    index: dict[frozenset[str], int] = {}
    rows = [index.setdefault(names, len(index)) for names in sets]
    packed = b"".join(_name_bits(names).to_bytes(_NAME_BYTES, "little") for names in index)
    bits = np.unpackbits(
        np.frombuffer(packed, dtype=np.uint8).reshape(len(index), _NAME_BYTES),
        axis=1,
        bitorder="little",
    )
    return bits[:, : len(NAME_WORDS)].astype(np.float32)[rows]


def _text_features(
    text: str, link_chars: int, stop: StopDensity, words: list[str], length: float, spaceless: int
) -> list[float]:
    """The block's own text measures (`words`, `length` and `spaceless` from `measure`)."""
    n_words = len(words) or 1
    n_chars = len(text) or 1
    upper = sum(1 for w in words if w[0].isupper())
    stripped = text.rstrip()
    short = length < 15
    digits = len(_DIGIT.findall(text))
    return [
        math.log1p(len(text)),
        math.log1p(length),
        link_chars / n_chars,
        stop(text, words),
        len(_PUNCT.findall(text)) / n_chars * 10,
        float(bool(stripped) and stripped[-1] in '.!?…"”’»)。！？'),
        math.log1p(len(_SENT_END.findall(text))),
        digits / n_chars,
        upper / n_words,
        float(text.isupper()),
        float(bool(_BYLINE.match(text))),
        float(short and digits > 0 and bool(_DATE.search(text))),  # every date has a digit
        float("|" in text or "•" in text or "·" in text),
        float(short and bool(_TIME_AGO.search(text))),
        float(length < 4),
        float(text.startswith(("“", '"', "‘", "'", "「"))),
        float(text.endswith((":", "："))),
        float("@" in text or "http" in text),
        float(stripped.endswith(("...", "…"))),  # teasers
        float(digits > 0 and bool(_PRICE.search(text))),  # every price has a digit
        float(spaceless > 0 and is_spaceless(text)),
    ]


def measure(text: str) -> tuple[list[str], float, int]:
    """A block's tokens, its length in words (`lang.word_length`) and its spaceless characters:
    every spaceless character is a token of its own, so one pass finds all three."""
    words = tokens(text)
    if _NOSPACE.search(text) is None:
        return words, float(len(words)), 0
    spaceless = len(_NOSPACE.findall(text))
    return words, len(words) - spaceless + spaceless / CHARS_PER_WORD, spaceless


def label_kinds(blocks: list[Block]) -> None:
    """Set each block's `kind`: the clutter its text names outright (short blocks only)."""
    for b in blocks:
        b.kind = clutter_kind(b.text) if len(b.text) < MAX_KIND_CHARS else None


MAX_KIND_CHARS = 500


def _shingles(text: str) -> set[str]:
    toks = [t.lower() for t in tokens(text)]
    if len(toks) < 3:
        return {" ".join(toks)}
    return set(map(" ".join, zip(toks, toks[1:], toks[2:], strict=False)))


def cover(text: str, reference: set[str]) -> float:
    """Share of a block's word 3-grams found in a reference text's (JSON-LD articleBody)."""
    if not reference:
        return 0.0
    own = _shingles(text)
    return len(own & reference) / len(own) if own else 0.0


class Features(NamedTuple):
    X: np.ndarray
    lengths: list[float]  # each block's length in words (lang.word_length)
    language: str  # the page language the stop words are from ('en' when unsure)
    confidence: float  # py3langid's probability for it (0.0 when unsure)


def page_features(blocks: list[Block], article_body: str | None = None) -> np.ndarray:
    """One row per block (after `label_kinds`); context (container, neighbours, repetition) is page-wide."""
    return block_features(blocks, article_body).X


def block_features(blocks: list[Block], article_body: str | None = None) -> Features:
    """`page_features`, with what was measured on the way (lengths, language)."""
    n = len(blocks)
    X = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return Features(X, [], "en", 0.0)
    language, confidence = page_language_and_confidence(
        [b.text for b in blocks if len(b.text) >= 40]
    )
    stop = StopDensity(language)
    reference = _shingles(article_body) if article_body else set()
    measured = [measure(b.text) for b in blocks]
    lengths = [m[1] for m in measured]
    counts = Counter(b.text for b in blocks)
    total_chars = sum(len(b.text) for b in blocks) or 1
    prose = [_is_prose(b, length) for b, length in zip(blocks, lengths, strict=True)]
    records = _record_columns(blocks)
    held, total_prose = held_chars(blocks, prose, teaser_cards(records))
    main = deepest_holding(blocks, prose, held, total_prose, 0.5)  # the article container
    total_prose = total_prose or 1
    siblings = Counter(b.ancestors[-1] if b.ancestors else -1 for b in blocks)
    prose_chars = np.array(
        [len(b.text) if p else 0 for b, p in zip(blocks, prose, strict=True)], dtype=float
    )
    window = np.convolve(prose_chars, np.ones(7), mode="same") / total_prose
    gaps = _prose_distance(prose)
    page = (math.log1p(n), total_prose / total_chars, float(bool(reference)))
    k = N_TEXT
    X[:, :N_TEXT] = [
        _text_features(b.text, b.link_chars, stop, *m)
        for b, m in zip(blocks, measured, strict=True)
    ]
    rows = np.arange(n)
    kinds = [(i, KINDS.index(b.kind)) for i, b in enumerate(blocks) if b.kind]
    if kinds:
        at, col = zip(*kinds, strict=True)
        X[list(at), [k + c for c in col]] = 1
    o = k + len(KINDS)
    X[rows, [o + _TAG_INDEX.get(_TAG_ALIAS.get(b.tag, b.tag), _TAG_INDEX["span"]) for b in blocks]] = 1
    o += len(TAGS)
    path_cols: dict[tuple[str, ...], list[int]] = {}
    for i, b in enumerate(blocks):
        cols = path_cols.get(b.path)
        if cols is None:
            cols = path_cols[b.path] = [o + j for j, t in enumerate(PATH_TAGS) if t in b.path]
        if cols:
            X[i, cols] = 1
    o += len(PATH_TAGS)
    X[:, o : o + len(NAME_WORDS)] = _name_columns([b.names for b in blocks])
    o += len(NAME_WORDS)
    X[:, o : o + len(NAME_WORDS)] = _name_columns([b.near_names for b in blocks])
    o += len(NAME_WORDS)
    context = []
    seen_chars = 0
    for i, b in enumerate(blocks):
        anc = b.ancestors
        context.append(
            (
                i / n,
                seen_chars / total_chars,
                float(main is not None and main in anc),
                held.get(anc[-1], 0) / total_prose if anc else 0,
                held.get(anc[-2], 0) / total_prose if len(anc) > 1 else 0,
                held.get(anc[-3], 0) / total_prose if len(anc) > 2 else 0,
                float(counts[b.text] > 1),
                math.log1p(len(b.path)),
                float(prose[i - 1]) if i > 0 else 0,
                float(prose[i + 1]) if i + 1 < n else 0,
                math.log1p(gaps[i]),
                window[i],
                math.log1p(siblings[anc[-1] if anc else -1]),
                cover(b.text, reference),
                *page,
            )
        )
        seen_chars += len(b.text)
    X[:, o : o + N_CONTEXT] = context
    _neighbour_features(blocks, X, main)
    X[:, RECORD_COLUMN:] = records
    return Features(X, lengths, language, confidence)


# A teaser card's text counts this much towards the element that holds the story (the feature
# path's article container, select's story container): a rail of a dozen headline-byline-summary
# cards can hold as much prose as the story beside it, and both containers, with every depth and
# inside-the-story column and the outside-the-story cut after them, went to the rail (Washington
# Examiner opinion pages: the story's last paragraph was cut as outside). Chosen by the LODO
# objective of `train_clutter.py --decision '{}'` with the block trees refitted, seeds 0 / 1:
# 1.0 (before) 0.9236 / 0.9225, 0.5 0.9291 / 0.9255, 0.2 0.9269 / 0.9259, 0.0 0.9249 (seed 0);
# 0.2 and 0.5 tie within the seed spread, and 0.2 has the higher all-unseen F1 in both seeds
# (0.8879 / 0.8882 against 0.8858 / 0.8856; 1.0: 0.8858 / 0.8847).
TEASER_WEIGHT = 0.2


def teaser_cards(records: np.ndarray) -> np.ndarray:
    """Blocks in a card of a list of 3+ cards mostly alike in size, each a small share of the
    list (rows of `_record_columns`): a story's container is one record, not one of many alike."""
    return (records[:, 0] >= math.log1p(3)) & (records[:, 1] >= 0.5) & (records[:, 3] < 0.5)


def held_chars(
    blocks: list[Block], mask: list[bool], teasers: np.ndarray
) -> tuple[Counter[int], int]:
    """Characters of the `mask` blocks held by each enclosing element, and their total; teaser
    cards' count at TEASER_WEIGHT."""
    held: Counter[int] = Counter()
    total = 0
    for b, m, t in zip(blocks, mask, teasers.tolist(), strict=True):
        if m:
            chars = round(len(b.text) * TEASER_WEIGHT) if t else len(b.text)
            total += chars
            for a in b.ancestors:
                held[a] += chars
    return held, total


def deepest_holding(
    blocks: list[Block], mask: list[bool], held: Counter[int], total: int, share: float
) -> int | None:
    """The deepest element around a `mask` block that holds at least `share` of the `total`
    (`held_chars`): the article container (half of the prose), select's story container."""
    if not total:
        return None
    best, best_depth = None, -1
    for b, m in zip(blocks, mask, strict=True):
        if m:
            for depth, a in enumerate(b.ancestors):
                if held[a] >= share * total and depth > best_depth:
                    best, best_depth = a, depth
    return best


def _prose_distance(prose: list[bool]) -> list[int]:
    """Blocks to the nearest prose block (0 for prose; the page length when there is none)."""
    n = len(prose)
    dist = [n] * n
    last = None
    for i in range(n):
        if prose[i]:
            last = i
        if last is not None:
            dist[i] = i - last
    last = None
    for i in range(n - 1, -1, -1):
        if prose[i]:
            last = i
        if last is not None:
            dist[i] = min(dist[i], last - i)
    return dist


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
    if main is not None:
        for i, b in enumerate(blocks):
            if main in b.ancestors:
                X[i, DEPTH_COLUMN] = len(b.ancestors) - b.ancestors.index(main)
    # under a listing header ("Related", "You may also like"): the header's container, up to a heading
    scope = None
    for i, b in enumerate(blocks):
        if b.tag in HEADINGS or (scope is not None and scope not in b.ancestors):
            scope = None
        if LISTING_HEADERS.match(b.text) and len(b.ancestors) >= 2:
            scope = b.ancestors[-2]
        elif scope is not None:
            X[i, LISTING_COLUMN] = 1


DEPTH_COLUMN = N_OWN + 2 * N_NEIGHBOUR  # depth below the article container
LISTING_COLUMN = DEPTH_COLUMN + 1  # under a listing header
RECORD_COLUMN = N_FEATURES - N_RECORD
LENGTH_COLUMN = 1  # log1p(length in words)
COVER_COLUMN = N_OWN - 4  # share of the block inside JSON-LD articleBody


def _record_columns(blocks: list[Block]) -> np.ndarray:
    """Where a block sits in a list of repeated records: teaser cards (headline, byline, date,
    summary), link-list items (title, source), comments. A record is an element holding two or
    more block elements whose parent holds three or more such records; an article's paragraphs
    are one element each, so its container is no record list. Columns: log1p(records in the
    list), the share of them as many block elements big as the block's own, log1p(its block
    elements), its share of the list's characters. Zeros outside any record (text dumps too).

    The tree sees the block's own tag, path and class words; none of them tells the 15th
    headline-plus-summary card of a "More from us" rail from a story's paragraph, which is
    what the largest precision losses on ScrapingHub and newspaper were."""
    out = np.zeros((len(blocks), N_RECORD), dtype=np.float32)
    leaves: Counter[int] = Counter()  # distinct block elements under each element
    chars: Counter[int] = Counter()
    parent: dict[int, int] = {}
    seen: set[int] = set()
    for b in blocks:
        anc = b.ancestors
        if not anc:
            continue
        for a in anc:
            chars[a] += len(b.text)
        if anc[-1] in seen:
            continue
        seen.add(anc[-1])
        for k, a in enumerate(anc):
            leaves[a] += 1
            if k:
                parent[a] = anc[k - 1]
    sizes: dict[int, Counter[int]] = {}  # per list element: its records by size
    for a, count in leaves.items():
        if count >= 2 and a in parent:
            sizes.setdefault(parent[a], Counter())[count] += 1
    totals = {a: records.total() for a, records in sizes.items()}
    rows: dict[tuple[int, ...], tuple[float, ...] | None] = {}  # one walk per distinct chain
    for i, b in enumerate(blocks):
        anc = b.ancestors
        if anc not in rows:
            rows[anc] = None
            for k in range(len(anc) - 1, 0, -1):
                a, lst = anc[k], anc[k - 1]
                if leaves[a] >= 2 and totals.get(lst, 0) >= 3:
                    rows[anc] = (
                        math.log1p(totals[lst]),
                        sizes[lst][leaves[a]] / totals[lst],
                        math.log1p(leaves[a]),
                        chars[a] / (chars[lst] or 1),
                    )
                    break
        if (row := rows[anc]) is not None:
            out[i] = row
    return out


def _is_prose(b: Block, length: float | None = None) -> bool:
    text = b.text
    return (
        (word_length(text) if length is None else length) >= 12
        and b.link_chars < 0.3 * len(text)
        and bool(_SENT_END.search(text) or text.rstrip().endswith(("。", "！", "？")))
    )

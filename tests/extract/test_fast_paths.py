"""The fast paths of feature extraction compute exactly what the plain definitions do."""

from __future__ import annotations

import re

import pytest

from pipeline.extract.features import measure
from pipeline.extract.lang import is_spaceless, tokens, word_length
from pipeline.extract.pagetype import _COMPILED, _TEXT_FAST, fold
from pipeline.extract.repeats import repeated

# the characters re.IGNORECASE treats specially, words glued to others, every pattern word
TRICKY = [
    "Reply to this thread: 3 replies, joined 2019, Posts: 12, QUOTE, upvoted, member since",
    "İnstall the VERSİON; ınstall; ſyntax; SKU; sku123; ſku; \u212aelvin; a\u212aSKED",
    "xreply replyx _reply reply_ reply. «reply» 1reply reply1 posts:posts: post:",
    "unanswered, asked, ASKED, reasked; add to cart, Add To Bag, in den Warenkorb, IN STOCK",
    "Parameters: Returns Syntax EXAMPLE install installer version function functional",
    "Contact us, GET A QUOTE, book a, book an, book now, free consultation, our services",
    "Read more » continue reading VIEW ALL load more next page previous ΣΑΣ σας ς",
    "ﬅ ﬆ µ μ ͅ ι ι ẛ ṡ Å å ǅ ǆ Ǆ ß ẞ ﬀ",
    "",
    "reply",
    "answeredasked",
    "membermember member\nmember\tthread\u00a0thread",
]


@pytest.mark.parametrize("text", TRICKY)
def test_folded_patterns_count_what_ignorecase_counts(text):
    for key, pattern in _COMPILED["text"].items():
        assert len(_TEXT_FAST[key].findall(fold(text))) == len(pattern.findall(text)), key


def test_fold_keeps_length_and_word_characters():
    import sys

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    folded = fold(everything)
    assert len(folded) == len(everything)
    word = re.compile(r"\w")
    for ch, low in zip(everything, folded, strict=True):
        if ch != low:
            assert bool(word.match(ch)) == bool(word.match(low)), hex(ord(ch))


@pytest.mark.parametrize(
    "text",
    [
        "three plain words",
        "东京都は今日、新しい計画を発表した",
        "Mixed 東京 text with ・ and ー marks",
        "ภาษาไทย ไม่มีช่องว่าง",
        "",
        "   ",
        "日" * 500 + " latin tail " * 50,
        "latin head " * 50 + "日本語",
    ],
)
def test_measure_is_tokens_and_word_length(text):
    words, length, spaceless = measure(text)
    assert words == tokens(text)
    assert length == word_length(text)
    assert (spaceless > 0 and is_spaceless(text)) == is_spaceless(text)


def test_repeats_drop_the_teaser_keep_the_story():
    story = "The council voted on Tuesday to expand the tram network to the northern districts."
    texts = [story[:60] + "...", "Other words entirely, nothing repeated here at all.", story]
    assert repeated(texts, [(1, 2), (1, 3), (1, 4)]) == {0}


# ------------------------------------------------------------------ language identification
def _langid_texts() -> list[str]:
    """Windows of every fixture and seed (many languages and scripts), odd lengths, and noise."""
    import random
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "fixtures"
    texts: list[str] = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".html", ".txt"):
            content = path.read_text(encoding="utf-8", errors="replace")
            texts += [content[k : k + 1500] for k in range(0, min(len(content), 12_000), 1100)]
    rng = random.Random(7)
    alphabet = "abcxyz ÄÖÜßéè 東京中文日本語 русский ΕΛΛ 한국어 عربى ไทย .,!?\n"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    return texts + ["", "a", "ab", "abcde", "abcdef", "abcdefg", "!!!!!!!", "      ", "日本"]


def test_fast_identifier_scores_what_py3langid_scores():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.extract.langid import FastIdentifier

    for norm in (True, False):
        fast = FastIdentifier.from_model_file(MODEL_FILE, norm_probs=norm)
        plain = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm)
        for text in _langid_texts():
            assert fast.classify(text) == plain.classify(text), text[:40]
            assert fast.rank(text) == plain.rank(text), text[:40]


def test_language_automaton_forgets_its_start_within_sync_bytes():
    """From every state, the same SYNC_BYTES bytes end where they end from the start state: the
    pairs (state, start) walked over every byte string converge (the vectorised walk's premise)."""
    import numpy as np

    from pipeline.extract.langid import SYNC_BYTES, _identifier

    nextmove, rows, _ = _identifier().tables()
    states = len(rows)
    pairs = np.arange(states, dtype=np.int64) * states  # (state, start) as state * states + 0
    for _ in range(SYNC_BYTES):
        a, b = pairs // states, pairs % states
        reached = []
        for byte in range(256):
            left = nextmove[rows[a] + byte].astype(np.int64)
            right = nextmove[rows[b] + byte].astype(np.int64)
            keep = left != right
            reached.append(np.unique(left[keep] * states + right[keep]))
        pairs = np.unique(np.concatenate(reached))
    assert len(pairs) == 0


# ------------------------------------------------------------------ names and page types
def test_name_columns_are_which_name_words_occur_in_any_token():
    import numpy as np

    from pipeline.extract.features import NAME_WORDS, _name_columns

    sets = [
        frozenset(),
        frozenset({"article-body"}),
        frozenset({"sidebar", "promo", "x"}),
        frozenset({"zzz"}),
        frozenset({"article-body"}),
        frozenset(NAME_WORDS),
    ]
    expected = np.array(
        [[any(w in t for t in s) for w in NAME_WORDS] for s in sets], dtype=np.float32
    )
    assert np.array_equal(_name_columns(sets), expected)


def test_page_type_forest_scores_what_one_model_per_type_scores():
    import json

    import numpy as np

    from pipeline.extract.model import TreeModel
    from pipeline.extract.pagetype import MODEL_PATH, N_FEATURES, load_classes

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    per_type = [TreeModel.from_dict(m) for m in data["classes"]]
    forest = load_classes()
    assert forest is not None
    rng = np.random.default_rng(3)
    for _ in range(300):
        vec = (rng.standard_normal(N_FEATURES) * rng.choice([0.1, 1.0, 5.0])).astype(np.float32)
        raw = np.array([m.raw(vec[None, :])[0] for m in per_type])
        e = np.exp(raw - raw.max())
        assert np.array_equal(forest.proba(vec), e / e.sum())

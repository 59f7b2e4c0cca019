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

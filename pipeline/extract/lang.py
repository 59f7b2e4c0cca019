"""Script-aware text measures: tokens and lengths for spaceless scripts, stop words for 58 languages."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.langid import language_and_confidence

# Scripts written without spaces between words: kana, CJK ideographs, Thai, Lao, Myanmar, Khmer.
_NOSPACE_CHARS = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
    "\u1000-\u109f\u1780-\u17ff"
)
_NOSPACE = re.compile(f"[{_NOSPACE_CHARS}]")
_TOKEN = re.compile(f"[{_NOSPACE_CHARS}]|[^\\W{_NOSPACE_CHARS}]+")
# characters per word in spaceless scripts (Chinese and Japanese ~1.7, Thai ~5): lengths in words
CHARS_PER_WORD = 2.0
NOSPACE_LANGS = frozenset({"zh", "ja", "th", "lo", "my", "km"})
SAMPLE_CHARS = 1500


def tokens(text: str) -> list[str]:
    """Word tokens; every character of a spaceless script is a token of its own."""
    return _TOKEN.findall(text)


def word_length(text: str) -> float:
    """Length in words, counting spaceless-script characters as CHARS_PER_WORD per word."""
    spaceless = len(_NOSPACE.findall(text))
    if not spaceless:
        return float(len(_TOKEN.findall(text)))
    return len(_TOKEN.findall(text)) - spaceless + spaceless / CHARS_PER_WORD


def is_spaceless(text: str) -> bool:
    """Mostly written in a script without spaces between words."""
    letters = sum(1 for c in text[:400] if c.isalpha())
    return bool(letters) and len(_NOSPACE.findall(text[:400])) >= 0.3 * letters


@lru_cache(maxsize=64)
def stopwords(lang: str) -> frozenset[str]:
    """stopwords-iso's list for `lang` (words only: digits, punctuation and lone letters dropped)."""
    import stopwordsiso

    if not stopwordsiso.has_lang(lang):
        lang = "en"
    words = stopwordsiso.stopwords(lang)
    return frozenset(
        w.lower() for w in words if any(c.isalpha() for c in w) and (len(w) > 1 or not w.isascii())
    )


@lru_cache(maxsize=16)
def _stop_pattern(lang: str) -> re.Pattern[str]:
    words = sorted(stopwords(lang), key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words))


def page_language(texts: list[str]) -> str:
    """The language of a page's longest blocks ('en' when unsure)."""
    return page_language_and_confidence(texts)[0]


def page_language_and_confidence(texts: list[str]) -> tuple[str, float]:
    """`page_language(texts)` and py3langid's probability for it (0.0 when unsure: 'en')."""
    sample: list[str] = []
    size = 0
    for t in sorted(texts, key=len, reverse=True):
        sample.append(t)
        size += len(t)
        if size >= SAMPLE_CHARS:
            break
    lang, prob = language_and_confidence(" ".join(sample))
    return lang or "en", prob


class StopDensity:
    """Share of a text made of its page language's stop words (characters, in spaceless scripts)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = stopwords(lang)
        self.spaceless = lang in NOSPACE_LANGS

    def __call__(self, text: str, words: list[str]) -> float:
        if self.spaceless and _NOSPACE.search(text):
            chars = len(_NOSPACE.findall(text)) or 1
            covered = sum(len(m) for m in _stop_pattern(self.lang).findall(text))
            return min(1.0, covered / chars)
        if not words:
            return 0.0
        return sum(map(self.words.__contains__, map(str.lower, words))) / len(words)

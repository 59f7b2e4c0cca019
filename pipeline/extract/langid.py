"""Language identification (ISO 639-1) with py3langid, loaded once on first use."""

from __future__ import annotations

from functools import lru_cache

SAMPLE_CHARS = 1500  # a paragraph or two decide the language; more only costs time


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The most likely language of `text`, or None when too short or too unsure."""
    return language_and_confidence(text)[0]


def language_and_confidence(text: str) -> tuple[str | None, float]:
    """`detect_language(text)` and py3langid's probability for it (0.0 when None)."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return None, 0.0
    lang, prob = _identifier().classify(sample)
    return (lang, prob) if prob >= 0.5 else (None, 0.0)

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
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return None
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.5 else None

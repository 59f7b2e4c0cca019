"""A second opinion for pages whose result looks truncated: trafilatura's main text (recall first)."""

from __future__ import annotations

import numpy as np

from pipeline.extract.lang import word_length
from pipeline.extract.prepare import Prepared


def looks_unsure(doc: Prepared, keep: np.ndarray, proba: np.ndarray, body_chars: int, d) -> bool:
    """Little text against the page's prose, or a classifier unsure of what it kept."""
    if d.fallback_share <= 0 and d.fallback_mean_proba <= 0:
        return False
    if d.short_inside and body_chars < d.min_chars:
        return True
    lengths = getattr(doc, "lengths", None) or [word_length(b.text) for b in doc.blocks]
    prose = sum(
        len(b.text)
        for b, length in zip(doc.blocks, lengths, strict=True)
        if length >= 12 and b.link_chars < 0.3 * len(b.text)
    )
    mean = float(proba[keep].mean()) if keep.any() else 0.0
    return body_chars < d.fallback_share * prose or mean < d.fallback_mean_proba


def second_opinion(html: str, url: str | None) -> str:
    """trafilatura's text (comments excluded), its lines as paragraphs; '' when it finds none."""
    import trafilatura

    try:
        text = trafilatura.extract(html, url=url, include_comments=False) or ""
    except Exception:  # noqa: BLE001 - a failing second opinion leaves the first one
        return ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def better(first: str, second: str, d) -> bool:
    """Take the second opinion only when it holds much more text."""
    return len(second) > d.fallback_ratio * len(first)

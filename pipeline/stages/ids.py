"""The one id function: which article a capture is, for run, reextract, batch and load alike.

A local file is its path relative to sources.yaml. A web page is its canonical URL when the page
declares one that can be trusted as its identity (same registered site, not the site root; see
`pipeline.urls.trusted_canonical`), else the URL it was fetched from, canonicalised.
"""

from __future__ import annotations

from pipeline.models import Article, Capture, stable_id
from pipeline.urls import canonicalize_url


def canonical_for(capture: Capture, article: Article | None) -> str | None:
    """The URL the article's id derives from (None for local files without a trusted canonical)."""
    final = capture.final_url or capture.url
    declared = article.canonical_url if article is not None else None
    if capture.path is not None:
        return declared if declared and declared.startswith(("http://", "https://")) else None
    return canonicalize_url(declared or final)


def article_id(capture: Capture, article: Article | None = None) -> str:
    if capture.path is not None:
        return stable_id("file:" + capture.path)
    key = canonical_for(capture, article)
    return stable_id(key or canonicalize_url(capture.final_url or capture.url))


def collision_id(claimed: str, url_key: str) -> str:
    """The id a second page gets when it claims an id another page of the run already holds."""
    return stable_id(f"{claimed}:{url_key}")

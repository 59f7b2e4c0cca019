"""The one id function: which article a capture is, for run, reextract, batch and load alike.

A local file is its path relative to sources.yaml. A web page is its declared canonical URL when
that can be trusted as its identity (resolved against the page's URL, absolute http(s), on the
same registered site or a declared alias, not the site root: `pipeline.urls.trusted_canonical`),
else the URL it was fetched from; canonicalised either way. So a page cannot take another site's
article id, and two pages sharing a relative canonical stay two articles.
"""

from __future__ import annotations

from pipeline.models import Article, Capture, stable_id
from pipeline.urls import canonicalize_url, trusted_canonical


def canonical_for(capture: Capture, article: Article | None,
                  aliases: frozenset[str] = frozenset()) -> str | None:
    """The URL the article's id derives from (None for local files without a canonical)."""
    declared = article.canonical_url if article is not None else None
    if capture.path is not None:
        return declared if declared and declared.startswith(("http://", "https://")) else None
    final = capture.final_url or capture.url
    return trusted_canonical(declared, final, aliases) or canonicalize_url(final)


def article_id(capture: Capture, article: Article | None = None,
               aliases: frozenset[str] = frozenset()) -> str:
    if capture.path is not None:
        return stable_id("file:" + capture.path)
    key = canonical_for(capture, article, aliases)
    return stable_id(key or canonicalize_url(capture.final_url or capture.url))


def collision_id(claimed: str, url_key: str) -> str:
    """The id a second page gets when it claims an id another page of the run already holds."""
    return stable_id(f"{claimed}:{url_key}")

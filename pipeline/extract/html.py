"""The HTML path: trafilatura finds the main content and metadata."""

from __future__ import annotations

from trafilatura import bare_extraction

from pipeline.extract.langid import detect_language
from pipeline.models import Article, Drop, ExtractResult


def extract_html(html: str, *, url: str | None = None) -> ExtractResult:
    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return Drop("no-main-content")
    body = doc.text.strip()
    return Article(
        body=body,
        title=doc.title or None,
        author=doc.author or None,
        published=None,
        language=detect_language(body),
        description=doc.description or None,
        site_name=doc.sitename or None,
        canonical_url=doc.url or url,
    )

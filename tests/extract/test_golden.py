"""Golden pages: every fixture with an `*.expected.json` beside it, extracted and compared line by line.

Expected outputs follow ../shared/CLUTTER.md: title and author as fields, the body without clutter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.extract.evaluate import load_fixtures, score_page
from pipeline.models import Article

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGES = list(load_fixtures(FIXTURES))


def test_there_are_enough_golden_pages():
    assert len(PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_golden(page):
    result = extract(page.content, url=page.url, kind=page.kind)
    assert isinstance(result, Article), result
    score = score_page(page, result, 0.0)
    assert score.clutter_left == 0, "clutter left in body"
    assert score.body_lost == 0, "body lines lost"
    assert score.title_ok, f"title {result.title!r} != {page.title!r}"
    assert score.author_ok, f"author {result.author!r} != {page.author!r}"

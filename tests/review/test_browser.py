"""The report in real headless Chromium (Debian's /usr/bin/chromium): what a reader sees.

The screenshots are kept in tests/artifacts/ (git-ignored): review-article.png, review-index.png.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO
from playwright.sync_api import Browser, Page, Request, sync_playwright

from pipeline.review.render import page_name

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
# The flags this machine's notes give: no sandbox as root (Playwright's chromium_sandbox=False),
# and nothing that reaches for the network by itself.
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and shutil.which(str(CHROMIUM))):
        pytest.fail(f"{CHROMIUM} not found: the review report's browser test needs Debian's "
                    "chromium (`apt-get install chromium`; .ci/run installs it)", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True,
                                      chromium_sandbox=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page that refuses every request that is not a file of the report, and lists them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    outside: list[str] = []

    def refuse(route, request: Request) -> None:
        if request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    tab.route("**/*", refuse)
    tab.on("dialog", lambda dialog: outside.append(f"dialog: {dialog.message}"))
    yield tab, outside
    context.close()


def _reasons(corpus, db: Path, article_id: str) -> list[dict]:
    (removed,) = corpus.query("SELECT to_json(removed) FROM articles WHERE id = ?", [article_id],
                              db=db)[0]
    return json.loads(removed)


def test_index_link_opens_an_article_whose_cut_blocks_show_inline_with_reasons(
        corpus, placed_db, cli, tmp_path, page) -> None:
    tab, outside = page
    out = tmp_path / "report"
    cli("review", "--db", str(placed_db), "--out", str(out))
    article_id, title = corpus.query(
        "SELECT id, title FROM articles WHERE url LIKE '%pages/en_harbour.html'", db=placed_db)[0]
    tab.goto((out / "index.html").as_uri())
    assert tab.locator("svg.chart").first.is_visible()
    assert tab.locator("table.drops").get_by_text("http 404").is_visible()
    tab.screenshot(path=str(_artifact("review-index.png")), full_page=True)
    tab.get_by_role("link", name=title).click()
    tab.wait_for_url(f"**/articles/{page_name(article_id)}")
    assert tab.locator("h1").inner_text() == title

    cuts = _reasons(corpus, placed_db, article_id)
    assert {"nav", "related", "newsletter"} <= {c["reason"] for c in cuts}
    for cut in cuts:  # each cut block visible, its reason beside it
        block = tab.locator(".cut", has_text=cut["text"]).first
        assert block.is_visible(), cut
        assert block.locator(".reason").inner_text().lower() == cut["reason"]
    related = tab.locator(".cut", has_text="Read more:").first
    kept = tab.locator("p.kept")
    # inline where it stood: between the two body paragraphs around it, and muted
    assert _top(kept.nth(1)) < _top(related) < _top(kept.nth(2))
    assert _style(related, "color") != _style(kept.nth(1), "color")
    assert tab.locator(".cut-heading").count() == 0
    tab.screenshot(path=str(_artifact("review-article.png")), full_page=True)
    print(f"screenshot: {_artifact('review-article.png')}")

    tab.locator("#hide-cut").check()  # the reader can hide the cut blocks
    assert not related.is_visible() and kept.first.is_visible()
    assert outside == []  # no request left the report's folder


def test_blocks_without_a_position_show_after_the_body(corpus, unplaced_db, cli, tmp_path,
                                                       page) -> None:
    tab, outside = page
    out = tmp_path / "report"
    cli("review", "--db", str(unplaced_db), "--out", str(out))
    (article_id,) = corpus.query("SELECT id FROM articles WHERE source = 'seeds' ORDER BY id",
                                 db=unplaced_db)[0]
    tab.goto((out / "articles" / page_name(article_id)).as_uri())
    heading = tab.locator(".cut-heading")
    assert heading.is_visible() and heading.inner_text() == "cut (position unknown)"
    last_kept = tab.locator("p.kept").last
    for cut in _reasons(corpus, unplaced_db, article_id):
        block = tab.locator(".cut", has_text=cut["text"]).last
        assert block.is_visible() and _top(block) > _top(last_kept) > 0
        assert block.locator(".reason").inner_text().lower() == cut["reason"]
    assert outside == []


def test_a_hostile_page_is_shown_as_text_and_runs_nothing(corpus, cli, tmp_path, page) -> None:
    tab, outside = page
    out = tmp_path / "report"
    cli("review", "--db", str(corpus.db), "--out", str(out))
    article_id, canonical = corpus.query(
        "SELECT id, canonical_url FROM articles WHERE source = 'wire'")[0]
    # the page declared `javascript:...` as its canonical; the id rules refused it (not http(s)),
    # so its own URL stands (links with other schemes are never made: tests/review/test_blocks.py)
    assert canonical.startswith("http://")
    tab.goto((out / "index.html").as_uri())
    assert tab.get_by_role("link", name=corpus.hostile_title).is_visible()
    tab.goto((out / "articles" / page_name(article_id)).as_uri())
    assert tab.locator("h1").inner_text() == corpus.hostile_title
    assert tab.title().startswith(corpus.hostile_title)
    assert tab.get_by_text("<script>window.__pwned = 3</script>").is_visible()
    assert tab.locator("aside.meta").get_by_text(canonical).first.is_visible()
    assert tab.locator('a[href^="javascript:" i]').count() == 0
    assert tab.evaluate("typeof window.__pwned") == "undefined"
    assert tab.locator("script, img").count() == 0
    assert outside == []


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def _top(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"]


def _style(locator, prop: str) -> str:
    return locator.evaluate(f"el => getComputedStyle(el).{prop}")

"""Near-duplicate clustering at load time: exact reprints, clutter, light edits, merges, reloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus_rows import clusters, edit, load, row, story

from pipeline.stages.dedup import DedupOptions, jaccard, shingles, similarity
from pipeline.store.warehouse import Warehouse


@pytest.fixture
def warehouse(db: Path) -> Warehouse:
    wh = Warehouse(db, dedup=DedupOptions())
    wh.migrate()
    return wh


def test_shingles_ignore_case_punctuation_and_spacing() -> None:
    a = shingles("The quick, brown fox -- jumps over the lazy dog.", 3)
    b = shingles("the QUICK brown fox jumps\n\nover the lazy dog", 3)
    assert np.array_equal(a, b) and len(a) == 7
    assert len(shingles("two words", 3)) == 1 and len(shingles("", 3)) == 0


def test_similarity_rules() -> None:
    options = DedupOptions()
    base = story(1, 400)
    assert jaccard(shingles(base, 3), shingles(edit(base, 2), 3)) > 0.6
    assert similarity(shingles(base, 3), shingles(story(2, 400), 3), options) == 0
    # the story inside a page that kept 40% more clutter: Jaccard < 0.5, contained > 0.8
    page = base + "\n\n" + story(3, 300)
    assert jaccard(shingles(base, 3), shingles(page, 3)) < 0.6
    assert similarity(shingles(base, 3), shingles(page, 3), options) > 0


def test_copies_cluster_and_different_stories_do_not(warehouse: Warehouse) -> None:
    base = story(10, 400)
    load(warehouse, [
        row("orig", base),
        row("exact", base.upper().replace("\n\n", "\n")),          # same normalised text
        row("edited", edit(base, 11)),                               # light edits
        row("cluttered", "Home | World | Sport\n\n" + base + "\n\n" + story(12, 150)),
        row("other", story(13, 400)),                                # different story
        row("other2", story(14, 400)),
    ])
    c = clusters(warehouse)
    assert c["orig"] == c["exact"] == c["edited"] == c["cluttered"]
    assert len({c["orig"], c["other"], c["other2"]}) == 3


def test_incremental_against_stored_articles(warehouse: Warehouse) -> None:
    base = story(20, 400)
    load(warehouse, [row("first", base), row("unrelated", story(21, 400))])
    load(warehouse, [row("later-copy", edit(base, 22))])
    load(warehouse, [row("exact-later", base + " ")])
    c = clusters(warehouse)
    assert c["later-copy"] == c["first"] == c["exact-later"] == "first"
    assert c["unrelated"] == "unrelated"
    bands, _ = warehouse.dedup.bands_rows()
    with warehouse.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM minhash_bands").fetchone()[0] == 4 * bands


def test_a_copy_next_to_its_unchanged_original_in_one_batch(warehouse: Warehouse) -> None:
    base = story(25, 400)
    load(warehouse, [row("orig", base)])
    load(warehouse, [row("orig", base), row("copy", edit(base, 26))])  # a rerun batch
    assert clusters(warehouse) == {"orig": "orig", "copy": "orig"}


def test_a_bridge_article_merges_two_stories(warehouse: Warehouse) -> None:
    p1, p2, p3 = story(31, 300), story(32, 300), story(33, 300)
    load(warehouse, [row("a", p1 + "\n\n" + p2)])
    load(warehouse, [row("b", p2 + "\n\n" + p3)])
    assert clusters(warehouse)["a"] != clusters(warehouse)["b"]  # Jaccard 1/3
    load(warehouse, [row("c", p1 + "\n\n" + p2 + "\n\n" + p3)])   # 2/3 with each
    c = clusters(warehouse)
    assert c["a"] == c["b"] == c["c"]


def test_reloading_keeps_clusters_and_an_edited_article_leaves(warehouse: Warehouse) -> None:
    base = story(40, 400)
    load(warehouse, [row("x", base), row("y", edit(base, 41))])
    before = clusters(warehouse)
    load(warehouse, [row("x", base), row("y", edit(base, 41))])  # re-extraction, same bodies
    assert clusters(warehouse) == before
    load(warehouse, [row("x", story(42, 400))])                   # x now holds another story
    after = clusters(warehouse)
    assert after["y"] == before["y"] and after["x"] != after["y"]


def test_changed_options_recluster_the_stored_corpus(db: Path) -> None:
    base = story(50, 400)
    loose = Warehouse(db, dedup=DedupOptions())
    loose.migrate()
    load(loose, [row("p", base), row("q", edit(base, 51, rate=0.12))])
    assert len(set(clusters(loose).values())) == 1
    strict = Warehouse(db, dedup=DedupOptions(threshold=0.9, containment=1.0, shingle_words=5))
    load(strict, [row("r", story(52, 300))])
    c = clusters(strict)
    assert len({c["p"], c["q"], c["r"]}) == 3


def test_options_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_DEDUP_THRESHOLD", "0.7")
    monkeypatch.setenv("PIPELINE_DEDUP_SHINGLE_WORDS", "5")
    options = DedupOptions.from_env()
    assert (options.threshold, options.shingle_words, options.containment) == (0.7, 5, 0.8)

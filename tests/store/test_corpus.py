"""The corpus as people query it: clusters from a real run, and the views over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_fixtures import build_corpus
from helpers import query


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def test_reprints_share_a_cluster_and_the_seeds_stay_apart(corpus: Path) -> None:
    rows = dict(query(corpus, "SELECT regexp_extract(url, '[^/]+$'), cluster_id FROM articles"))
    assert len(rows) == 8
    afp = rows["004_8dd77840cf551b8b.txt"]
    # three copies of the AFP story with different page clutter (one lightly edited) ...
    assert rows["ledger.txt"] == rows["awr.txt"] == rows["frontier.txt"] == afp
    # ... while the other seeds, different stories about the same visit, are stories of their own
    others = [cid for name, cid in rows.items() if name.startswith("00") and not name.startswith("004")]
    assert len(set(others)) == 4 and afp not in others


def test_stories_view_has_one_row_per_cluster(corpus: Path) -> None:
    stories = query(corpus, "SELECT cluster_id, members, n_sources, sources, first_seen <= last_seen "
                            "FROM stories ORDER BY members DESC, cluster_id")
    assert len(stories) == 5
    cluster, members, n_sources, sources, ordered = stories[0]
    assert (members, n_sources, sources, ordered) == (4, 2, ["seeds", "wire"], True)
    assert all(s[1] == 1 for s in stories[1:])
    assert query(corpus, "SELECT sum(members) FROM stories") == [(8,)]


def test_latest_articles_lists_every_article_newest_first(corpus: Path) -> None:
    rows = query(corpus, "SELECT published_or_fetched, cluster_id FROM latest_articles")
    assert len(rows) == 8 and all(cid for _, cid in rows)
    stamps = [r[0] for r in rows if r[0] is not None]
    assert stamps == sorted(stamps, reverse=True)


def test_source_health(corpus: Path) -> None:
    health = {r[0]: r[1:] for r in query(corpus, """
        SELECT source, last_success IS NOT NULL, failures, failures_by_reason, articles,
               runs_with_articles, len(recent_runs)
        FROM source_health""")}
    assert health["seeds"] == (True, 0, None, 5, 1, 1)
    assert health["wire"][3] == 3
    ok, failures, reasons, articles, *_ = health["deadsite"]
    assert not ok and failures >= 1 and articles == 0
    assert sum(reasons.values()) == failures


def test_reextraction_keeps_clusters_and_the_search_index_current(tmp_path: Path) -> None:
    from helpers import run_cli

    db = build_corpus(tmp_path)
    before = dict(query(db, "SELECT id, cluster_id FROM articles"))
    result = run_cli("reextract", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert dict(query(db, "SELECT id, cluster_id FROM articles")) == before
    hits = run_cli("search", "Rosoboronexport", "--db", str(db), "--json").stdout.splitlines()
    assert len(hits) == 1

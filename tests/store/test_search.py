"""Full-text search: BM25 over title + body, filters, snippets, index kept current after runs."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers import SEEDS, query, run_cli, write_sources
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import SearchUnavailableError
from pipeline.store import fts
from pipeline.store import search as S
from pipeline.store.maintain import maintain_corpus
from pipeline.store.search_index import refresh_index
from pipeline.store.warehouse import Warehouse


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    shutil.copytree(SEEDS, root / "seeds")
    sources = write_sources(root, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    db = root / "warehouse" / "corpus.duckdb"
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    return db


def test_the_seeds_that_mention_the_s400_come_first(seeds_db: Path) -> None:
    mentioning = {r[0] for r in query(seeds_db, "SELECT id FROM articles WHERE body LIKE '%S-400%'")}
    assert 2 <= len(mentioning) < 5
    result = run_cli("search", "S-400 deliveries", "--db", str(seeds_db), "--json")
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert {h["id"] for h in hits[:len(mentioning)]} == mentioning
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all("S-400" in h["snippet"] for h in hits[:len(mentioning)])
    assert all(h["cluster_id"] for h in hits)


def test_table_output_limit_and_filters(seeds_db: Path) -> None:
    table = run_cli("search", "Modi", "--db", str(seeds_db), "--limit", "2")
    assert table.returncode == 0 and "2 row(s)" in table.stdout
    with Warehouse(seeds_db).connect(read_only=True) as con:
        assert S.search(con, "Modi", source="nowhere") == []
        assert S.search(con, "Modi", since=date(2999, 1, 1)) == []
        assert len(S.search(con, "Modi", source="seeds", since=date(2000, 1, 1))) == 5
        assert S.search(con, "zzzqqq") == []


def test_snippet_centres_on_the_terms() -> None:
    body = "Filler words. " * 40 + "India has received three of the five S-400 systems. " + "More filler. " * 40
    text = S.snippet(body, S.query_terms("S-400 deliveries"), width=120)
    assert "S-400" in text and text.startswith("…") and text.endswith("…") and len(text) <= 122
    assert S.query_terms("S-400 deliveries") == ["s-400", "400", "deliveries"]


def test_each_run_leaves_the_index_current(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    with Warehouse(db).connect() as con:
        assert refresh_index(con).mode == "current"  # the run left it current
    (tmp_path / "seeds" / "new.txt").write_text(
        "Zanzibar ferry timetable changes\n\n" + "The Zanzibar ferry operator announced a new "
        "timetable for the winter season, with two extra crossings on weekends. " * 5, encoding="utf-8")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    hits = run_cli("search", "zanzibar ferry", "--db", str(db), "--json").stdout.splitlines()
    assert len(hits) == 1 and json.loads(hits[0])["title"].startswith("Zanzibar")


def test_missing_extension_is_a_clear_error_and_not_fatal_to_runs(
        tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> Path:
        raise SearchUnavailableError("full-text search needs the PyPI package duckdb-extension-fts")

    monkeypatch.setattr(fts, "extension_path", unavailable)
    warehouse = Warehouse(db)
    warehouse.migrate()
    assert "unavailable" in maintain_corpus(warehouse)["search_index"]
    with warehouse.connect(read_only=True) as con, pytest.raises(SearchUnavailableError,
                                                                 match="duckdb-extension-fts"):
        S.search(con, "anything")


def test_search_before_any_index_says_how_to_build_one(db: Path) -> None:
    Warehouse(db).migrate()
    result = run_cli("search", "anything", "--db", str(db))
    assert result.returncode == 1 and "no search index yet" in result.stderr
    assert run_cli("search", "anything", "--db", str(db), "--reindex").returncode == 0
    assert run_cli("search", "x", "--db", str(db.parent / "missing.duckdb")).returncode == 2


def test_the_extension_loads_from_the_package_file() -> None:
    path = fts.extension_path()
    assert path.name == "fts.duckdb_extension" and f"v{duckdb.__version__}" in str(path)
    con = duckdb.connect()
    fts.load_fts(con)
    assert con.execute("SELECT stem('deliveries', 'porter')").fetchone()[0] == "deliveri"


def test_pipeline_sql_can_call_the_index_macro(seeds_db: Path) -> None:
    result = run_cli("sql", "SELECT count(*) AS n FROM (SELECT fts_main_articles.match_bm25(id, 'S-400') "
                     "AS s FROM articles) WHERE s IS NOT NULL", "--db", str(seeds_db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] >= 2


def test_snippet_of_a_body_with_100k_hits_finds_the_densest_window() -> None:
    sparse = "Modi and a long filler sentence follows. "  # one hit per 41 characters
    body = sparse * 60_000 + "Start-of-cluster " + "Modi " * 40 + sparse * 40_000
    assert body.count("Modi") > 100_000
    text = S.snippet(body, S.query_terms("Modi"))
    assert "Start-of-cluster" in text and text.count("Modi") >= 25
    assert text.startswith("…") and text.endswith("…")


@given(st.lists(st.integers(0, 2_000), min_size=1, max_size=60, unique=True), st.integers(1, 300))
def test_densest_window_is_the_first_start_with_the_most_hits(starts: list[int], width: int) -> None:
    starts.sort()
    counts = [sum(1 for t in starts if s <= t < s + width) for s in starts]
    assert S.densest_window(starts, width) == starts[counts.index(max(counts))]


@pytest.mark.slow
def test_search_returns_a_body_with_100k_hits(db: Path) -> None:
    Warehouse(db).migrate()
    with Warehouse(db).connect() as con:
        con.execute(
            "INSERT INTO articles BY NAME SELECT 'big' AS id, 'https://example.org/big' AS url, "
            "'s' AS source, 'Many hits' AS title, repeat('Modi met the press in Delhi. ', 100000) "
            "|| 'Start-of-cluster ' || repeat('Modi ', 40) AS body, 700040 AS word_count, "
            "'h' AS content_hash, 'c' AS capture_id, 'v' AS extractor_version, "
            "now() AS extracted_at, '[]' AS removed")
        refresh_index(con)
    hits = S.search_db(db, "Modi")
    assert [h.id for h in hits] == ["big"] and hits[0].url == "https://example.org/big"
    assert "Start-of-cluster" in hits[0].snippet

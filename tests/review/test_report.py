"""`pipeline review` over a warehouse the job really built: pages, filters, errors, pagination."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import run_cli
from selectolax.lexbor import LexborHTMLParser

from pipeline.cli import main
from pipeline.cli.exits import EXIT_CONFIG, exit_code_for
from pipeline.errors import ConfigError
from pipeline.review import ReviewOptions, Selection, build_report
from pipeline.review.render import page_name


def _html(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def _index_ids(out: Path, page: str = "index.html") -> list[str]:
    links = _html(out / page).css("table.articles a")
    return [a.attributes["href"].removeprefix("articles/").removesuffix(".html") for a in links]


def test_every_article_gets_a_page_with_its_body_and_every_cut_block(corpus, cli, tmp_path) -> None:
    out = tmp_path / "report"
    stdout = cli("review", "--db", str(corpus.db), "--out", str(out))
    articles = corpus.query("SELECT id, body, removed, capture_id FROM articles")
    assert f"report: {out / 'index.html'}" in stdout
    assert f"{len(articles) + 1} pages written ({len(articles)} article pages, 1 index page)" in stdout
    assert sorted(p.name for p in (out / "articles").iterdir()) == sorted(
        page_name(a[0]) for a in articles)
    for article_id, body, removed, capture_id in articles:
        page = _html(out / "articles" / page_name(article_id))
        kept = [p.text() for p in page.css("p.kept")]
        assert "\n\n".join(kept) == body  # nothing of the body lost or added
        shown = Counter((c.css_first(".reason").text(), c.css_first(".cut-text").text())
                        for c in page.css(".cut"))
        assert shown == Counter((r["reason"], r["text"]) for r in json.loads(removed))
        warc_file, offset, url = corpus.query(
            "SELECT warc_file, warc_offset, url FROM captures WHERE id = ?", [capture_id])[0]
        meta = page.css_first("aside.meta").text()
        assert warc_file in meta and str(offset) in meta and url in meta


def test_index_lists_each_runs_articles_health_per_run_and_drops(corpus, cli, tmp_path) -> None:
    out = tmp_path / "report"
    cli("review", "--db", str(corpus.db), "--out", str(out))
    index = _html(out / "index.html")
    ids = _index_ids(out)
    assert sorted(ids) == sorted(r[0] for r in corpus.query("SELECT id FROM articles"))
    assert all((out / "articles" / f"{i}.html").is_file() for i in ids)
    runs = corpus.query("SELECT id FROM runs ORDER BY started_at")
    assert len(runs) == 2
    # the first run landed every article; the second only rejected the empty file
    assert [th.text() for th in index.css("tr.run th")][0].startswith(f"run {runs[0][0]}")
    health = {row.css_first("td").text(): row for row in index.css("table.health tbody tr")}
    assert set(health) == {"seeds", "pages", "reprints", "wire"}
    for row in health.values():  # one bar group per run, its counts on hover
        assert len(row.css("svg.chart > g")) == len(runs)
    wire_tips = [t.text() for t in health["wire"].css("svg.chart title")]
    assert wire_tips == [f"run {runs[0][0]}" + wire_tips[0].split(runs[0][0])[1], wire_tips[1]]
    assert "1 articles, 2 failed fetches" in wire_tips[0] and "0 articles, 2 failed" in wire_tips[1]
    drops = {(r.css("td")[0].text(), r.css("td")[1].text()): int(r.css("td")[2].text())
             for r in index.css("table.drops tbody tr")}
    assert drops == {("fetch failed", "http 404"): 2, ("fetch failed", "http 500"): 2,
                     ("reject", "empty"): 1}


def test_copies_of_a_story_link_to_each_other(corpus, cli, tmp_path) -> None:
    out = tmp_path / "report"
    cli("review", "--db", str(corpus.db), "--out", str(out))
    pairs = corpus.query(
        "SELECT list(id ORDER BY id) FROM articles GROUP BY cluster_id HAVING count(*) > 1")
    assert len(pairs) == 2  # the seed and its reprint; the harbour page and its hostile copy
    for (ids,) in pairs:
        for this, other in (ids, ids[::-1]):
            links = _html(out / "articles" / page_name(this)).css("ul.members a")
            assert [a.attributes["href"] for a in links] == [page_name(other)]


def test_filters_select_by_source_run_since_and_article(corpus, cli, tmp_path) -> None:
    out = tmp_path / "report"
    cli("review", "--db", str(corpus.db), "--out", str(out), "--source", "pages")
    pages = {r[0] for r in corpus.query("SELECT id FROM articles WHERE source = 'pages'")}
    assert set(_index_ids(out)) == pages and len(pages) == 3
    first, second = (r[0] for r in corpus.query("SELECT id FROM runs ORDER BY started_at"))
    cli("review", "--db", str(corpus.db), "--out", str(out), "--run", first)
    assert len(_index_ids(out)) == corpus.query("SELECT count(*) FROM articles")[0][0]
    cli("review", "--db", str(corpus.db), "--out", str(out), "--run", second)
    index = _html(out / "index.html")
    assert _index_ids(out) == [] and "No articles match" in index.text()
    assert not list((out / "articles").iterdir())  # the earlier report's pages are gone
    assert len(index.css("table.drops tbody tr")) == 3  # this run's 404, 500 and empty file
    # days of the captures themselves: local files are dated by their mtime, which the copied
    # seeds keep from the checkout, so "today" would miss them on a run after midnight
    earliest, latest = (d.astimezone(UTC).date() for d in corpus.query(
        "SELECT min(fetched_at), max(fetched_at) FROM captures")[0])
    cli("review", "--db", str(corpus.db), "--out", str(out), "--since", str(latest + timedelta(days=1)))
    assert _index_ids(out) == []
    cli("review", "--db", str(corpus.db), "--out", str(out), "--since", str(earliest))
    assert len(_index_ids(out)) == 10
    one = sorted(pages)[0]
    stdout = cli("review", "--db", str(corpus.db), "--out", str(out), "--article", one)
    assert "2 pages written (1 article pages, 1 index page)" in stdout
    assert _index_ids(out) == [one] and [p.name for p in (out / "articles").iterdir()] == [f"{one}.html"]
    assert _html(out / "index.html").css_first("#health") is None  # an index of one


def test_removed_as_a_list_of_structs_with_positions_reads_in_reading_order(corpus, placed_db,
                                                                         cli, tmp_path) -> None:
    out = tmp_path / "report"
    cli("review", "--db", str(placed_db), "--out", str(out))
    rows = corpus.query("SELECT id, url FROM articles WHERE url LIKE '%.txt'", db=placed_db)
    assert len(rows) == 7
    for article_id, url in rows:
        # a file's URL is its path relative to sources.yaml (no machine path is recorded)
        source_text = (corpus.root / url.removeprefix("file:")).read_text(encoding="utf-8")
        page = _html(out / "articles" / page_name(article_id))
        assert not page.css(".cut-heading")  # every block placed
        cursor = 0
        for node in page.css("section.text p.kept, section.text .cut"):
            text = (node.css_first(".cut-text") or node).text()
            for line in text.split("\n\n"):  # each block as it stood in the page dump, in order
                found = source_text.find(line.strip(), cursor)
                assert found >= 0, f"{article_id}: {line[:60]!r} out of reading order"
                cursor = found


def test_index_pages_say_how_the_list_is_split(corpus, tmp_path) -> None:
    out = tmp_path / "report"
    result = build_report(ReviewOptions(db_path=corpus.db, out_dir=out, index_page_size=4,
                                        chunk_size=3))
    assert (result.index_pages, result.article_pages) == (3, 10)
    texts = [_html(out / name).text() for name in ("index.html", "index-2.html", "index-3.html")]
    assert "Articles 1–4 of 10: the index is split into pages of 4 articles" in texts[0]
    assert "Articles 9–10 of 10" in texts[2]
    ids = [i for name in ("index.html", "index-2.html", "index-3.html") for i in _index_ids(out, name)]
    assert sorted(ids) == sorted(r[0] for r in corpus.query("SELECT id FROM articles"))
    pager = _html(out / "index-2.html").css(".pager a")
    assert {a.attributes["href"] for a in pager} == {"index.html", "index-3.html"}
    build_report(ReviewOptions(db_path=corpus.db, out_dir=out))  # one page now: no stale pages
    assert not (out / "index-2.html").exists() and not (out / "index-3.html").exists()


def test_a_missing_warehouse_exits_2_with_one_message_and_no_traceback(tmp_path) -> None:
    missing = tmp_path / "nowhere" / "corpus.duckdb"
    result = run_cli("review", "--db", str(missing), "--out", str(tmp_path / "out"))
    assert result.returncode == EXIT_CONFIG
    assert "Traceback" not in result.stderr and str(missing) in result.stderr
    assert result.stdout == "" and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--article", "nope"], "no article with id 'nope'"),
    (["--run", "nope"], "no run with id 'nope'"),
    (["--source", "nope"], "no source named 'nope'"),
])
def test_unknown_ids_and_names_are_config_errors(corpus, tmp_path, args, message) -> None:
    result = CliRunner().invoke(main, ["review", "--db", str(corpus.db),
                                       "--out", str(tmp_path / "out"), *args])
    assert isinstance(result.exception, ConfigError), result.output
    assert message in str(result.exception) and exit_code_for(result.exception) == EXIT_CONFIG


def test_a_file_that_is_not_a_warehouse_is_a_config_error(tmp_path) -> None:
    junk = tmp_path / "corpus.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="not a pipeline warehouse"):
        build_report(ReviewOptions(db_path=junk, selection=Selection()))

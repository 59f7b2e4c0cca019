"""Ids that mean one article: relative and foreign canonicals, collisions kept, and the same id
for the same page whether `run`, `reextract` or `batch` + `load` read it."""

from __future__ import annotations

import shutil
from pathlib import Path

from faultserver import Reply
from helpers import SEEDS, article_html, query, write_sources

from pipeline.config import load_config
from pipeline.runs.batch import BatchOptions, import_shards, run_batch
from pipeline.runs.reextract import reextract
from pipeline.runs.run import RunOptions, run


def _page(n: int, canonical: str) -> bytes:
    return article_html(n).replace(
        b"</head>", f'<link rel="canonical" href="{canonical}"></head>'.encode())


def _run(sources: Path, db: Path) -> dict:
    return run(load_config(sources), RunOptions(db_path=db, workers=0)).as_dict()


def test_two_hosts_sharing_a_relative_canonical_stay_two_articles(tmp_path, db, fault_servers) -> None:
    a, b = fault_servers(2, first=21)  # B2
    a.route("/x.html", Reply(body=_page(1, "/news/story.html")))
    b.route("/y.html", Reply(body=_page(2, "/news/story.html")))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0}}
        sources:
          - name: picked
            urls: [{a.url('/x.html')}, {b.url('/y.html')}]
        """)
    summary = _run(sources, db)
    assert summary["sources"]["picked"]["articles"] == 2
    rows = query(db, "SELECT canonical_url FROM articles ORDER BY canonical_url")
    assert [r[0] for r in rows] == [a.url("/news/story.html"), b.url("/news/story.html")]


def test_a_page_naming_another_sites_url_cannot_take_its_id(tmp_path, db, fault_servers) -> None:
    home, other = fault_servers(2, first=23)
    other.route("/real.html", Reply(body=article_html(3)))
    # a different host (another registered site) claims the real article's URL as its canonical
    home.route("/copy.html", Reply(body=_page(4, other.url("/real.html"))))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0}}
        sources:
          - name: impostor
            urls: [{home.url('/copy.html')}]
          - name: owner
            urls: [{other.url('/real.html')}]
        """)
    _run(sources, db)
    rows = dict(query(db, "SELECT source, canonical_url FROM articles"))
    assert rows == {"impostor": home.url("/copy.html"), "owner": other.url("/real.html")}
    # the owner's page was fetched: the impostor's claim did not mark it as known
    assert query(db, "SELECT count(*) FROM captures WHERE kind = 'article'")[0][0] == 2


def test_two_pages_of_one_site_claiming_one_id_are_both_kept(tmp_path, db, fault_server) -> None:
    canonical = fault_server.url("/canonical.html")
    fault_server.route("/one.html", Reply(body=_page(5, canonical)))
    fault_server.route("/two.html", Reply(body=_page(6, canonical)))
    sources = write_sources(tmp_path, f"""\
        defaults: {{delay_s: 0}}
        sources:
          - name: site
            urls: [{fault_server.url('/one.html')}, {fault_server.url('/two.html')}]
        """)
    summary = _run(sources, db)
    assert summary["sources"]["site"]["articles"] == 2
    assert summary["sources"]["site"]["collisions"] == 1
    ids = [r[0] for r in query(db, "SELECT id FROM articles")]
    assert len(set(ids)) == 2
    (claimed, assigned, url, other) = query(
        db, "SELECT id, assigned_id, url, other_url FROM collisions")[0]
    assert claimed in ids and assigned in ids and claimed != assigned
    assert {url, other} == {fault_server.url("/one.html"), fault_server.url("/two.html")}


def test_ids_are_the_same_from_run_reextract_and_batch_then_load(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds", ignore=shutil.ignore_patterns("*.json"))
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    _run(sources, db)
    ran = sorted(query(db, "SELECT id, url FROM articles"))
    assert len(ran) == 5 and all(url.startswith("file:seeds/") for _, url in ran)
    reextract(db, workers=0)
    assert sorted(query(db, "SELECT id, url FROM articles")) == ran
    # B1: batch over our own WARCs of that files source, then load into the same warehouse
    out = tmp_path / "batch"
    summary = run_batch([str(db.parent / "captures")], str(out), BatchOptions(engine="inline"))
    assert summary.articles == 5
    import_shards(db, str(out))
    assert sorted(query(db, "SELECT id, url FROM articles")) == ran  # 5 rows, not 10

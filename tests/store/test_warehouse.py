"""The warehouse keeps its keys unique itself (no index constraints): upserts and ignores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpers import query

from pipeline.models import Article, Capture, Drop
from pipeline.stages.rows import ArticleRow, article_row, capture_row, reject_row
from pipeline.store.warehouse import Batch, Warehouse


def _capture(n: int) -> Capture:
    return Capture(id=f"cap{n}", url=f"https://news.example/{n}", final_url=f"https://news.example/{n}",
                   source="s", status=200, content_type="text/html", body=b"", sha256="0" * 64,
                   fetched_at=datetime.now(UTC), warc_file="x.warc.gz", run_id="r")


def _article_row(n: int, body: str) -> ArticleRow:
    return article_row(_capture(n), Article(body=body, title=f"t{n}"), "v", datetime.now(UTC))


def test_reloading_replaces_by_key_and_ignores_known_captures(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "c.duckdb")
    warehouse.migrate()
    bodies = {n: f"story {n} " + " ".join(f"w{n}x{i}" for i in range(80)) for n in range(5)}
    first = Batch(captures=[capture_row(_capture(n)) for n in range(5)],
                  articles=[_article_row(n, bodies[n]) for n in range(5)])
    warehouse.load(first)
    second = Batch(captures=[capture_row(_capture(n)) for n in range(3, 7)],
                   articles=[_article_row(n, bodies.get(n, f"new {n}") + " updated") for n in range(3, 7)])
    warehouse.load(second)
    db = tmp_path / "c.duckdb"
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM captures") == [(7, 7)]
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM articles") == [(7, 7)]
    updated = dict(query(db, "SELECT title, body LIKE '% updated' FROM articles"))
    assert [updated[f"t{n}"] for n in range(7)] == [False, False, False, True, True, True, True]
    # a capture that now yields no article replaces its article with a reject, and back
    drop = reject_row(_capture(1), Drop("too-short").reason, "v", "r", datetime.now(UTC))
    warehouse.load(Batch(rejects=[drop]))
    assert query(db, "SELECT count(*) FROM articles WHERE capture_id = 'cap1'") == [(0,)]
    warehouse.load(Batch(articles=[_article_row(1, bodies[1])]))
    assert query(db, "SELECT count(*) FROM rejects") == [(0,)]
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM articles") == [(7, 7)]

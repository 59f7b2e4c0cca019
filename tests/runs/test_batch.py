"""Batch extraction over WARC files: readers, shards, rejects, markers, reruns, kills, loading."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from helpers import REPO, query, run_cli

from pipeline.capture.warc import iter_records
from pipeline.runs.batch import (
    ARTICLE_SHARD_SCHEMA,
    REJECT_SHARD_SCHEMA,
    BatchOptions,
    attach_views,
    import_shards,
    run_batch,
)
from pipeline.runs.batch import shard as shard_module
from pipeline.runs.batch.layout import Layout, shard_name
from pipeline.stages import extract as front_door
from pipeline.store import schema as S

sys.path.insert(0, str(REPO / "bench"))
import warcgen


@pytest.fixture(scope="module")
def warcs(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("warcs")
    return [s.path for s in warcgen.generate(out, files=3, records=30, seed=1, pages=[])]


def shard_rows(out: Path, kind: str) -> list[dict]:
    return (
        duckdb.sql(f"SELECT * FROM read_parquet('{out}/{kind}/*.parquet')")
        .to_arrow_table()
        .to_pylist()
    )


def read_all(path: Path, reader: str = "auto") -> list:
    with open(path, "rb") as fh:
        return list(iter_records(fh, reader))


def test_readers_agree_on_offsets_ids_and_bodies(warcs):
    fast, slow = read_all(warcs[0], "fastwarc"), read_all(warcs[0], "warcio")
    assert len(fast) == len(slow) == 30
    for a, b in zip(fast, slow, strict=False):
        assert (a.offset, a.record_id, a.target_uri, a.status, a.body) == (
            b.offset,
            b.record_id,
            b.target_uri,
            b.status,
            b.body,
        )
        assert dict(a.headers)["Content-Type"] == dict(b.headers)["Content-Type"]


def test_readers_agree_on_encoded_and_mislabelled_bodies():
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = b"<html><body><p>hello world</p></body></html>" * 20
    packed = gzip.compress(page)
    chunked = b"%x\r\n" % len(packed) + packed + b"\r\n0\r\n\r\n"
    cases = [
        ([("Content-Encoding", "gzip")], b"<html>says gzip, is not</html>"),
        ([("Transfer-Encoding", "chunked")], b"<html>says chunked, is not</html>"),
        ([("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], chunked),
        ([("Content-Encoding", "GZIP")], packed),
        ([], page),
    ]
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for n, (headers, body) in enumerate(cases):
        writer.write_record(
            writer.create_warc_record(
                f"https://example.org/{n}",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html"), *headers], protocol="HTTP/1.1"
                ),
            )
        )
    got = {
        reader: [(r.offset, r.body) for r in iter_records(io.BytesIO(buf.getvalue()), reader)]
        for reader in ("fastwarc", "warcio")
    }
    assert got["fastwarc"] == got["warcio"]
    bodies = [body for _, body in got["warcio"]]
    assert bodies[0].startswith(b"<html>says gzip") and bodies[2] == bodies[3] == bodies[4] == page


def test_shards_have_article_columns_plus_provenance(warcs, tmp_path):
    summary = run_batch([str(p) for p in warcs], str(tmp_path), BatchOptions(engine="inline"))
    assert (summary.inputs, summary.done, summary.failed, summary.records) == (3, 3, {}, 90)
    assert summary.articles + summary.rejects == 90
    articles = pq.read_schema(tmp_path / "articles" / f"{shard_name(str(warcs[0]))}.parquet")
    assert articles.names[: len(S.ARTICLE_SCHEMA)] == S.ARTICLE_SCHEMA.names
    assert articles.equals(ARTICLE_SHARD_SCHEMA)
    assert pq.read_schema(next((tmp_path / "rejects").glob("*.parquet"))).equals(
        REJECT_SHARD_SCHEMA
    )
    # Provenance leads back to the exact record: re-reading at the offset gives the same URI.
    rows = shard_rows(tmp_path, "articles") + shard_rows(tmp_path, "rejects")
    assert len(rows) == 90
    row = rows[0]
    with open(row["warc_path"], "rb") as fh:
        fh.seek(row["warc_offset"])
        record = next(iter_records(fh, "warcio"))
    assert record.target_uri == row["warc_target_uri"] == row["url"]
    assert record.record_id == row["warc_record_id"]
    reasons = {r["reason"].split(":", 1)[0] for r in shard_rows(tmp_path, "rejects")}
    assert {"http-status", "unsupported-content-type"} <= reasons
    assert len(list((tmp_path / "done").iterdir())) == 3


def test_uncompressed_warc_gives_the_same_articles(tmp_path):
    pages: list[bytes] = []
    packed = warcgen.generate_warc(tmp_path / "in" / "a.warc.gz", 12, pages, seed=4)
    plain = warcgen.generate_warc(tmp_path / "in2" / "a.warc", 12, pages, seed=4)
    assert packed.uris == plain.uris
    run_batch([str(packed.path)], str(tmp_path / "gz"), BatchOptions(engine="inline"))
    run_batch([str(plain.path)], str(tmp_path / "plain"), BatchOptions(engine="inline"))
    key = "SELECT url, body FROM read_parquet('{}/articles/*.parquet') ORDER BY url"
    rows = duckdb.sql(key.format(tmp_path / "gz")).fetchall()
    assert rows and rows == duckdb.sql(key.format(tmp_path / "plain")).fetchall()


def test_a_failing_record_is_a_reject_and_the_file_completes(warcs, tmp_path, monkeypatch):
    victim = next(r.target_uri for r in read_all(warcs[0]) if r.status == 200)
    real = front_door.extract

    def flaky(text, *, url=None, kind=None):
        if url == victim:
            raise MemoryError("simulated blow-up")
        return real(text, url=url, kind=kind)

    monkeypatch.setattr(front_door, "extract", flaky)
    summary = run_batch([str(warcs[0])], str(tmp_path), BatchOptions(engine="inline"))
    assert summary.done == 1 and summary.errors == 1 and not summary.failed
    rejects = {r["url"]: r["reason"] for r in shard_rows(tmp_path, "rejects")}
    assert rejects[victim].startswith("error: MemoryError: simulated blow-up")
    assert (tmp_path / "done" / shard_name(str(warcs[0]))).exists()


def test_text_the_warehouse_cannot_hold_is_made_valid_not_lost(warcs, tmp_path, monkeypatch):
    from pipeline.models import Article

    victim = next(r.target_uri for r in read_all(warcs[0]) if r.status == 200)
    real = front_door.extract

    def lone_surrogate(text, *, url=None, kind=None):
        if url == victim:
            return Article(body="half a character: \ud800 " * 20, title="half: \udfff")
        return real(text, url=url, kind=kind)

    monkeypatch.setattr(front_door, "extract", lone_surrogate)
    summary = run_batch([str(warcs[0])], str(tmp_path), BatchOptions(engine="inline"))
    assert summary.done == 1 and summary.errors == 0
    articles = {r["url"]: r for r in shard_rows(tmp_path, "articles")}
    assert articles[victim]["body"].startswith("half a character: \ufffd")
    assert articles[victim]["title"] == "half: \ufffd"


def test_an_article_row_that_cannot_be_built_becomes_a_reject(warcs, tmp_path, monkeypatch):
    from pipeline.models import Article

    victim = next(r.target_uri for r in read_all(warcs[0]) if r.status == 200)
    real = front_door.extract

    def broken_date(text, *, url=None, kind=None):
        if url == victim:
            return Article(body="a sound body, " * 20, published="not a date")  # type: ignore[arg-type]
        return real(text, url=url, kind=kind)

    monkeypatch.setattr(front_door, "extract", broken_date)
    summary = run_batch([str(warcs[0])], str(tmp_path), BatchOptions(engine="inline"))
    assert summary.done == 1 and summary.errors == 1
    rejects = {r["url"]: r["reason"] for r in shard_rows(tmp_path, "rejects")}
    assert rejects[victim].startswith("error: unstorable article")
    articles = shard_rows(tmp_path, "articles")
    assert victim not in {r["url"] for r in articles}
    assert summary.articles == len(articles) and summary.rejects == len(rejects)


def test_a_page_that_hangs_is_rejected_after_the_time_limit(warcs, tmp_path, monkeypatch):
    victim = next(r.target_uri for r in read_all(warcs[0]) if r.status == 200)
    real = front_door.extract

    def stuck(text, *, url=None, kind=None):
        if url == victim:
            time.sleep(30)
        return real(text, url=url, kind=kind)

    monkeypatch.setattr(front_door, "extract", stuck)
    summary = run_batch(
        [str(warcs[0])], str(tmp_path), BatchOptions(engine="inline", record_timeout_s=0.5)
    )
    assert summary.done == 1
    rejects = {r["url"]: r["reason"] for r in shard_rows(tmp_path, "rejects")}
    assert rejects[victim].startswith("timeout")


def test_a_torn_archive_keeps_what_was_read(warcs, tmp_path):
    torn = tmp_path / "torn.warc.gz"
    data = warcs[1].read_bytes()
    torn.write_bytes(data[: len(data) * 2 // 3])
    out = tmp_path / "out"
    summary = run_batch([str(torn)], str(out), BatchOptions(engine="inline"))
    assert summary.done == 1 and summary.torn == 1 and 0 < summary.records < 30
    reasons = [r["reason"] for r in shard_rows(out, "rejects")]
    assert sum(r.startswith("unreadable-warc") for r in reasons) == 1


def test_a_missing_input_is_reported_and_others_finish(warcs, tmp_path):
    gone = tmp_path / "gone.warc.gz"
    gone.write_bytes(gzip.compress(b"x"))
    inputs = [str(warcs[0]), str(gone)]
    gone_name = shard_name(str(gone))
    gone.unlink()  # vanishes between listing and reading
    summary = run_batch(inputs[:1], str(tmp_path), BatchOptions(engine="inline"))
    assert summary.done == 1
    from pipeline.runs.batch import engines
    from pipeline.runs.batch.shard import ShardOptions

    failures: dict[str, str] = {}
    engines.run_inline(
        [str(gone)], str(tmp_path), ShardOptions(batch_id="t"), lambda r: None, failures.__setitem__
    )
    assert str(gone) in failures and "No such file" in failures[str(gone)]
    assert not (tmp_path / "done" / gone_name).exists()
    assert not list((tmp_path / "articles").glob(".*tmp*"))


def test_rerun_skips_finished_inputs_and_force_redoes_them(warcs, tmp_path):
    first = run_batch([str(warcs[0])], str(tmp_path), BatchOptions(engine="inline"))
    again = run_batch([str(p) for p in warcs], str(tmp_path), BatchOptions(engine="inline"))
    assert (first.done, again.skipped, again.done) == (1, 1, 2)
    forced = run_batch([str(warcs[0])], str(tmp_path), BatchOptions(engine="inline", force=True))
    assert (forced.skipped, forced.done) == (0, 1)


def test_load_imports_through_the_warehouse_and_views_see_the_shards(warcs, tmp_path):
    out = tmp_path / "out"
    summary = run_batch([str(p) for p in warcs], str(out), BatchOptions(engine="inline"))
    db = tmp_path / "wh" / "corpus.duckdb"
    loaded = import_shards(db, str(out))
    assert (loaded["shards"], loaded["articles"], loaded["rejects"]) == (
        3,
        summary.articles,
        summary.rejects,
    )
    import_shards(db, str(out))  # idempotent: same ids upsert
    assert query(db, "SELECT count(*) FROM articles")[0][0] == summary.articles
    assert query(db, "SELECT count(*) FROM rejects")[0][0] == summary.rejects
    # The corpus hooks ran on the imported rows: dedup clusters and the search index.
    assert query(db, "SELECT count(*) FROM articles WHERE cluster_id IS NULL")[0][0] == 0
    from pipeline.store.search import search_db

    title, wanted = query(db, "SELECT title, id FROM articles WHERE title IS NOT NULL LIMIT 1")[0]
    assert wanted in [hit.id for hit in search_db(db, title, limit=50)]
    views = attach_views(db, str(out))
    assert (views["articles"], views["rejects"]) == (summary.articles, summary.rejects)
    assert (
        query(db, "SELECT count(*) FROM batch_articles a JOIN articles USING (id)")[0][0]
        == summary.articles
    )


def test_cli_batch_and_load(warcs, tmp_path):
    out, db = tmp_path / "out", tmp_path / "wh" / "corpus.duckdb"
    done = run_cli("batch", *map(str, warcs), "--out", str(out), "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["done"] == 3 and summary["records"] == 90
    assert len(summary["peak_rss_mb"]) >= 1
    loaded = run_cli("load", str(out), "--db", str(db), "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["articles"] == summary["articles"]
    missing = run_cli("batch", str(tmp_path / "nope.warc.gz"), "--out", str(out))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert run_cli("load", str(tmp_path / "empty"), "--db", str(db)).returncode == 2


def test_killed_batch_rerun_completes_only_the_missing_shards(tmp_path):
    inputs = [
        s.path for s in warcgen.generate(tmp_path / "in", files=5, records=30, seed=2, pages=[])
    ]
    # The last input is a named pipe nobody writes to: the worker blocks on it, so the kill
    # always lands with exactly four inputs finished, however fast or slow the machine is.
    held = inputs[-1]
    content = held.read_bytes()
    held.unlink()
    os.mkfifo(held)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "pipeline", "batch", *map(str, inputs), "--out", str(out),
            "--workers", "1"]
    # Own session, so the kill takes the pool worker too (as when a node dies).
    proc = subprocess.Popen(args, cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done_dir = out / "done"
    deadline = time.monotonic() + 120
    while not (done_dir.exists() and len(list(done_dir.iterdir())) == 4):
        assert time.monotonic() < deadline and proc.poll() is None, "the batch did not get going"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name for p in done_dir.iterdir()}
    assert shard_name(str(held)) not in finished
    # Every finished shard is whole: all its records are in its two shards.
    layout = Layout.of(str(out))
    for name in finished:
        rows = pq.read_metadata(layout.articles(name)).num_rows
        rows += pq.read_metadata(layout.rejects(name)).num_rows
        assert rows == 30, name
    held.unlink()
    held.write_bytes(content)
    rerun = run_batch([str(p) for p in inputs], str(out), BatchOptions(engine="local", workers=2))
    assert rerun.skipped == 4 and rerun.done == 1 and not rerun.failed


def test_progress_counts_records_as_the_workers_read_them(warcs, tmp_path):
    seen: list[int] = []
    summary = run_batch([str(w) for w in warcs], str(tmp_path / "out"),
                        BatchOptions(engine="local", workers=1), on_records=seen.append)
    assert seen and seen[-1] == summary.records == 90
    assert seen == sorted(seen)  # it only grows
    assert not list((tmp_path / "out" / ".progress").iterdir())  # the workers' files are gone


def test_each_worker_reports_the_records_it_has_read(tmp_path):
    layout = Layout.of(str(tmp_path / "out"))
    layout.ensure_dirs()
    one, two = shard_module._Progress(layout, "a"), shard_module._Progress(layout, "b")
    for n in range(1, 35):
        one.records(n)
    two.records(10)
    assert layout.records_in_progress() == 30 + 10
    one.clear()
    assert layout.records_in_progress() == 10

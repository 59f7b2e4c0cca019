"""`--engine ray` on a local 2-CPU Ray cluster gives the articles `--engine local` and
`pipeline reextract` give, for the same generated WARC files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import REPO, query, run_cli

from pipeline.runs.batch import BatchOptions, run_batch

# Under `uv run`, Ray would rebuild the environment for each worker with uv; on one machine the
# workers share ours. Read when ray is imported, and inherited by the CLI processes below.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
ray = pytest.importorskip("ray")
sys.path.insert(0, str(REPO / "bench"))
import warcgen

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def ray_address():
    """One local Ray cluster for the module (starting one costs ~10-20 s); always shut down."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def warcs(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("ray-warcs") / "warcs"
    return [s.path for s in warcgen.generate(out, files=3, records=30, seed=3, pages=[])]


def shard_map(out: Path, kind: str, columns: str) -> dict:
    rows = duckdb.sql(
        f"SELECT url, {columns} FROM read_parquet('{out}/{kind}/*.parquet')"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_ray_local_and_reextract_give_the_same_articles(ray_address, warcs, tmp_path):
    inputs = [str(p) for p in warcs]
    on_ray = run_batch(inputs, str(tmp_path / "ray"), BatchOptions(engine="ray", workers=2))
    local = run_batch(inputs, str(tmp_path / "local"), BatchOptions(engine="local", workers=2))
    assert on_ray.done == local.done == 3 and not on_ray.failed and not local.failed
    assert (
        (on_ray.records, on_ray.articles, on_ray.rejects)
        == (local.records, local.articles, local.rejects)
        == (90, local.articles, local.rejects)
    )
    assert all(worker.split(":")[1] != str(os.getpid()) for worker in on_ray.peak_rss_mb)

    # The cron job's path: a `files:` source over the same WARCs, then re-extraction.
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: batch\n    files: {warcs[0].parent}/*.warc.gz\n")
    db = tmp_path / "wh" / "corpus.duckdb"
    ran = run_cli("run", "--sources", str(sources), "--db", str(db))
    assert ran.returncode == 0, ran.stderr
    redone = run_cli("reextract", "--db", str(db), "--json")
    assert redone.returncode == 0, redone.stderr

    columns = "id, source, title, author, language, body, content_hash"
    from_ray = shard_map(tmp_path / "ray", "articles", columns)
    from_local = shard_map(tmp_path / "local", "articles", columns)
    warehouse = {row[0]: row[1:] for row in query(db, f"SELECT url, {columns} FROM articles")}
    assert len(from_ray) == on_ray.articles > 50  # most of the 90 records are article pages
    assert from_ray == from_local == warehouse
    # Pages without an article are rejected for the same reasons on every path.
    reasons = {row[0]: row[1] for row in query(db, "SELECT url, reason FROM rejects")}
    assert {u: r[0] for u, r in shard_map(tmp_path / "ray", "rejects", "reason").items()} == reasons
    # Our own capture WARCs read back the same (source from their X-Pipeline-Source header).
    run_batch([str(db.parent / "captures")], str(tmp_path / "ours"), BatchOptions(engine="inline"))
    assert shard_map(tmp_path / "ours", "articles", columns) == warehouse


def test_cli_joins_a_running_cluster_and_skips_finished_inputs(ray_address, warcs, tmp_path):
    out = tmp_path / "out"
    run_batch([str(p) for p in warcs[:2]], str(out), BatchOptions(engine="inline"))
    ran = run_cli(
        "batch",
        *map(str, warcs),
        "--out",
        str(out),
        "--engine",
        "ray",
        "--ray-address",
        ray_address,
        "--json",
    )
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert (summary["skipped"], summary["done"], summary["failed"]) == (2, 1, {})
    assert len(list((out / "done").iterdir())) == 3
    assert ray.is_initialized()  # the CLI left the cluster it joined running

"""`pipeline run` over local captures: seeds land, reruns are idempotent, bad files are recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import SEEDS, query, run_cli, write_sources


def test_seeds_land_once_and_rerun_changes_nothing(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    first = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["sources"]["seeds"]["articles"] == 5
    rows = query(db, "SELECT source, count(*), count(DISTINCT id) FROM articles GROUP BY 1")
    assert rows == [("seeds", 5, 5)]
    counts = _counts(db)
    second = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["sources"]["seeds"]["skipped_known"] == 5
    after = _counts(db)
    assert after == {**counts, "runs": counts["runs"] + 1}
    # every article points at the exact bytes it came from
    for capture_id, sha in query(db, "SELECT c.id, c.sha256 FROM articles a JOIN captures c ON c.id = a.capture_id"):
        assert len(sha) == 64 and capture_id


def test_changed_file_replaces_its_article_in_place(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    target = sorted((tmp_path / "seeds").glob("*.txt"))[0]
    ids_before = {r[0] for r in query(db, "SELECT id FROM articles")}
    text = target.read_text(encoding="utf-8")
    assert "arrived in India on Thursday" in text
    target.write_text(text.replace("arrived in India on Thursday", "arrived in India on Thursday evening"),
                      encoding="utf-8")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    assert {r[0] for r in query(db, "SELECT id FROM articles")} == ids_before
    assert query(db, "SELECT count(*) FROM captures")[0][0] == 6
    assert query(db, "SELECT count(*) FROM articles WHERE body LIKE '%Thursday evening%'")[0][0] == 1


def test_bad_files_are_recorded_and_the_run_goes_on(tmp_path: Path, db: Path) -> None:
    files = tmp_path / "pages"
    files.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], files / "good.txt")
    (files / "empty.txt").write_bytes(b"")
    (files / "binary.html").write_bytes(bytes(range(256)) * 64)
    latin = "Le président a déclaré que la réforme des retraites serait présentée au conseil des ministres. " * 8
    (files / "latin1.txt").write_bytes(latin.encode("latin-1"))
    sources = write_sources(tmp_path, """\
        sources:
          - name: local
            files: pages/*
          - name: nothing
            files: missing/*.html
        """)
    result = run_cli("run", "--sources", str(sources), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sources"]["local"]["captured"] == 4
    assert "nothing" in summary["failed_sources"]
    assert "matched no file" in summary["sources"]["nothing"]["problems"][0]
    reasons = dict(query(db, "SELECT split_part(path, '/', -1), reason FROM rejects r JOIN captures c ON c.id = r.capture_id"))
    assert reasons["empty.txt"].startswith("empty")
    assert reasons["binary.html"].startswith("binary")
    bodies = dict(query(db, "SELECT split_part(c.path, '/', -1), a.body FROM articles a JOIN captures c ON c.id = a.capture_id"))
    assert "président" in bodies["latin1.txt"] and "good.txt" in bodies
    # --strict turns a source that yielded nothing into exit code 5
    strict = run_cli("run", "--sources", str(sources), "--db", str(db), "--strict")
    assert strict.returncode == 5


def test_config_error_exit_code_and_message(tmp_path: Path, db: Path) -> None:
    sources = write_sources(tmp_path, "sources:\n  - name: x\n    feed: https://example.org/rss\n    sitemap: https://example.org/s.xml\n")
    result = run_cli("run", "--sources", str(sources), "--db", str(db))
    assert result.returncode == 2
    assert "sources.yaml:2" in result.stderr and "exactly one of" in result.stderr
    assert not db.exists()


def _counts(db: Path) -> dict[str, int]:
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("runs", "captures", "fetches", "articles", "rejects")}

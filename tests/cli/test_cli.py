"""The command line as users and scripts see it: help everywhere, offline extract, reextract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import SEEDS, query, run_cli, write_sources

import pipeline
from pipeline.cli import COMMANDS, main


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    loaded = main.get_command(click.Context(main), command)
    assert loaded is not None and loaded.help, f"{command} has no help text"
    assert "Usage:" in result.output


def test_the_group_lists_every_command_and_version_imports_none(tmp_path: Path) -> None:
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0
    assert all(f"  {name} " in listed.output for name in COMMANDS), listed.output
    probe = (
        "import sys; from click.testing import CliRunner; from pipeline.cli import main; "
        "r = CliRunner().invoke(main, ['--version']); "
        "print(r.output.strip(), sorted(m for m in sys.modules if m.startswith('pipeline.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split(" [")[0] == f"pipeline {pipeline.__version__}"
    assert "pipeline.cli.run" not in out.stdout and "pipeline.cli.query" not in out.stdout, out.stdout


def test_extract_jsonl_offline_for_text_and_html(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Harbour reopens | Gazette</title></head><body><nav>Home News</nav>"
        "<article><h1>Harbour reopens</h1>"
        + "".join(f"<p>Paragraph {i}: the harbour reopened after repairs to the sea wall, officials "
                  f"said, and the first ferries arrived with passengers and freight on board.</p>" for i in range(5))
        + "</article><footer>Copyright 2026 Gazette</footer></body></html>",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = run_cli("extract", str(seed), str(page), str(empty), "--jsonl", "-")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["path"]).name for r in records] == [seed.name, "page.html", "empty.txt"]
    for record in records[:2]:
        assert {"path", "url", "title", "author", "published", "language", "body", "removed"} <= record.keys()
        assert record["body"] and isinstance(record["removed"], list)
    assert all({"text", "reason"} <= r.keys() for r in records[0]["removed"])
    assert "harbour reopened" in records[1]["body"] and "Copyright" not in records[1]["body"]
    assert records[2]["drop"] == "empty"


def test_reextract_replaces_in_place_without_network(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    before = query(db, "SELECT id, body, extracted_at FROM articles ORDER BY id")
    # simulate an older extractor's output, then re-extract from the stored WARC captures
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("UPDATE articles SET body = 'stale', extractor_version = 'old'")
    con.close()
    shutil.rmtree(tmp_path / "seeds")  # the originals are gone: only the captures remain
    result = run_cli("reextract", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["articles"] == 5
    after = query(db, "SELECT id, body, extracted_at FROM articles ORDER BY id")
    assert [r[0] for r in after] == [r[0] for r in before]
    assert [r[1] for r in after] == [r[1] for r in before]
    assert all(a[2] > b[2] for a, b in zip(after, before, strict=False))
    from pipeline.extract import EXTRACTOR_VERSION

    assert query(db, "SELECT DISTINCT extractor_version FROM articles") == [(EXTRACTOR_VERSION,)]


def test_sql_and_stats(tmp_path: Path, db: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    sources = write_sources(tmp_path, "sources:\n  - name: seeds\n    files: seeds/*.txt\n")
    assert run_cli("run", "--sources", str(sources), "--db", str(db)).returncode == 0
    out = run_cli("sql", "SELECT count(*) AS n FROM articles", "--db", str(db), "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"n": 5}
    bad = run_cli("sql", "SELECT nope FROM nowhere", "--db", str(db))
    assert bad.returncode == 1 and "query failed" in bad.stderr
    stats = run_cli("stats", "--db", str(db), "--json")
    assert json.loads(stats.stdout)["tables"]["articles"] == 5


def test_extract_fetches_urls_politely_and_reads_stdin(fault_server) -> None:
    from click.testing import CliRunner
    from faultserver import Reply
    from helpers import article_html

    fault_server.route("/robots.txt", Reply(body="User-agent: *\nDisallow: /private/\n",
                                            content_type="text/plain"))
    fault_server.route("/a/1.html", Reply(body=article_html(1)))
    fault_server.route("/private/2.html", Reply(body=article_html(2)))
    result = run_cli("extract", fault_server.url("/a/1.html"), fault_server.url("/private/2.html"),
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["title"].startswith("Story number 1") and first["page_type"] == "article"
    assert second["drop"].startswith("fetch: robots-disallowed")
    assert "/private/2.html" not in fault_server.log.paths()  # robots.txt was honoured
    assert fault_server.log.paths().count("/robots.txt") == 1

    piped = CliRunner().invoke(main, ["extract", "-", "--format", "markdown"],
                               input=article_html(3))
    assert piped.exit_code == 0 and piped.stdout.startswith("# Story number 3")

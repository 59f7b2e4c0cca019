"""A real warehouse for the review tests: `pipeline run` over fixture files and a loopback site."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from faultserver import FaultServer, Reply
from helpers import REPO, SEEDS

from pipeline.cli import main

PAGES = REPO / "fixtures" / "pages"
HOSTILE_TITLE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Barrier vote'


def hostile_page() -> str:
    """en_harbour.html with a title, canonical URL and one paragraph written to attack the report."""
    page = (PAGES / "en_harbour.html").read_text(encoding="utf-8")
    escaped = HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")
    page = page.replace("Harbour Town Approves Flood Barrier After Decade of Debate", escaped)
    page = page.replace("https://courier.example/news/en_harbour", "javascript:window.__pwned=4")
    return page.replace(
        "<p>Work on the foundations",
        "<p>One engineer wrote &lt;script&gt;window.__pwned = 3&lt;/script&gt; on the whiteboard "
        "during the meeting, to laughter from the public gallery and the council.</p>\n"
        "<p>Work on the foundations",
    )


@dataclass(slots=True, frozen=True)
class Corpus:
    db: Path
    root: Path
    inputs: list[Path]  # the files whose bytes were captured (for `pipeline extract`)
    hostile_title: str = HOSTILE_TITLE

    def query(self, sql: str, params: list | None = None, db: Path | None = None) -> list[tuple]:
        with duckdb.connect(str(db or self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def cli() -> Callable[..., str]:
    return invoke


def invoke(*args: str) -> str:
    """The real `pipeline` command line, in process; returns stdout, fails on a non-zero exit."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _sources(root: Path, base: str) -> str:
    return (
        "defaults:\n  delay_s: 0\n  max_retries: 0\n  connect_timeout_s: 2\n  read_timeout_s: 5\n"
        "sources:\n"
        "  - name: seeds\n    files: seeds/*.txt\n"
        "  - name: pages\n    files: pages/*\n"
        "  - name: reprints\n    files: reprints/*.txt\n"
        f"  - name: wire\n    urls: [{base}/hostile.html, {base}/gone.html, {base}/broken.html]\n"
    )


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """Two runs of the job: seeds, pages (one empty: a reject), an exact reprint of a seed (a story
    of two), and a loopback site with a hostile page, a 404 and a 500 (failed fetches)."""
    root = tmp_path_factory.mktemp("review-corpus")
    shutil.copytree(SEEDS, root / "seeds", ignore=shutil.ignore_patterns("*.json"))
    (root / "pages").mkdir()
    for name in ("en_harbour.html", "de_bahn.html", "en_text_school.txt"):
        shutil.copy(PAGES / name, root / "pages" / name)
    (root / "reprints").mkdir()
    seed = sorted((root / "seeds").glob("*.txt"))[0]
    shutil.copy(seed, root / "reprints" / "reprint.txt")
    (root / "hostile.html").write_text(hostile_page(), encoding="utf-8")
    db = root / "warehouse" / "corpus.duckdb"
    with pytest.MonkeyPatch.context() as env, FaultServer("127.0.0.1") as site:
        for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            env.delenv(var, raising=False)
        env.setenv("NO_PROXY", "*")
        site.route("/hostile.html", Reply(body=(root / "hostile.html").read_bytes()))
        site.route("/gone.html", Reply(404, body=b"not here"))
        site.route("/broken.html", Reply(500, body=b"oops"))
        sources = root / "sources.yaml"
        sources.write_text(_sources(root, site.url("").rstrip("/")), encoding="utf-8")
        invoke("run", "--sources", str(sources), "--db", str(db))
        (root / "pages" / "empty.txt").write_bytes(b"")  # the second run: a reject, and its run
        invoke("run", "--sources", str(sources), "--db", str(db))
    inputs = sorted((root / "seeds").glob("*.txt")) + sorted((root / "pages").glob("*")) + [
        root / "reprints" / "reprint.txt", root / "hostile.html"]
    yield Corpus(db, root, inputs)


def extractor_cuts(corpus: Corpus) -> dict[str, list[dict]]:
    """body -> the cut blocks `pipeline extract` gives for the same bytes, positions included."""
    out = invoke("extract", *map(str, corpus.inputs), "--jsonl", "-")
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["body"]: r["removed"] for r in records if "body" in r}


def with_removed(corpus: Corpus, dest: Path, *, positions: bool, as_structs: bool) -> Path:
    """A copy of the warehouse whose `removed` holds the extractor's blocks with or without their
    positions, as JSON text or as LIST(STRUCT(text, reason, position)) (the lead's planned form)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(corpus.db, dest)
    cuts = extractor_cuts(corpus)
    with duckdb.connect(str(dest)) as con:
        for (body,) in con.execute("SELECT DISTINCT body FROM articles").fetchall():
            blocks = [{"text": c["text"], "reason": c["reason"],
                       "position": c.get("position") if positions else None}
                      for c in cuts[body]]
            con.execute("UPDATE articles SET removed = ? WHERE body = ?", [json.dumps(blocks), body])
        if as_structs:
            con.execute(
                "ALTER TABLE articles ALTER removed TYPE STRUCT(text VARCHAR, reason VARCHAR, "
                "position INTEGER)[] USING from_json(removed, "
                "'[{\"text\":\"VARCHAR\",\"reason\":\"VARCHAR\",\"position\":\"INTEGER\"}]')"
            )
    return dest


@pytest.fixture(scope="session")
def placed_db(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus with every cut block's position, `removed` as a list of structs."""
    dest = tmp_path_factory.mktemp("placed") / "warehouse" / "corpus.duckdb"
    return with_removed(corpus, dest, positions=True, as_structs=True)


@pytest.fixture(scope="session")
def unplaced_db(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus as older rows have it: JSON text, no positions."""
    dest = tmp_path_factory.mktemp("unplaced") / "warehouse" / "corpus.duckdb"
    return with_removed(corpus, dest, positions=False, as_structs=False)

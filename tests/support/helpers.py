"""Test helpers: a small news site on a real loopback server, sources files, the CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
from faultserver import FaultServer, Reply

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "fixtures" / "seeds"

_WORDS = (
    "minister council harbour election budget river energy school farmers court railway "
    "hospital festival drought treaty parliament vaccine market exports museum bridge "
    "province coalition inflation satellite fishermen orchestra wildfire pension tariff"
).split()


def article_html(n: int, title: str | None = None) -> bytes:
    """A plausible news page: chrome around a unique multi-paragraph story."""
    title = title or f"Story number {n} about the {_WORDS[n % len(_WORDS)]}"
    paragraphs = []
    for p in range(6):
        words = [_WORDS[(n * 7 + p * 3 + i) % len(_WORDS)] for i in range(18)]
        paragraphs.append(
            f"<p>In paragraph {p} of report {n}, officials said the {' '.join(words)} "
            f"would be reviewed again next week, according to people familiar with it.</p>"
        )
    return textwrap.dedent(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>{title} | Test Gazette</title>
        <meta property="og:title" content="{title}">
        <meta name="author" content="Reporter {n}">
        <meta property="article:published_time" content="2026-11-{(n % 28) + 1:02d}T08:00:00Z">
        </head><body>
        <nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/sport/">Sport</a></nav>
        <article><h1>{title}</h1><p class="byline">By Reporter {n}</p>
        {''.join(paragraphs)}
        </article>
        <aside class="newsletter">Get our daily newsletter delivered to your inbox.</aside>
        <footer>Copyright 2026 Test Gazette. All rights reserved.</footer>
        </body></html>"""
    ).encode()


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {p}</title><link>{base}{p}</link>"
        f"<pubDate>Sat, 21 Nov 2026 08:00:00 GMT</pubDate></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test Gazette</title><link>{base}/</link>{items}</channel></rss>"
    ).encode()


def sitemap(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


class NewsSite:
    """Articles /a/<n>.html, an RSS feed /feed.xml of the first half, a sitemap of the rest."""

    def __init__(self, server: FaultServer, count: int = 6, delay_s: float = 0.0) -> None:
        self.server = server
        self.base = server.url("").rstrip("/")
        self.paths = [f"/a/{n}.html" for n in range(count)]
        for n, path in enumerate(self.paths):
            server.route(path, Reply(body=article_html(n), delay_s=delay_s))
        half = count // 2
        self.feed_paths, self.sitemap_paths = self.paths[:half], self.paths[half:]
        etag, modified = '"feed-v1"', "Sat, 21 Nov 2026 08:00:00 GMT"
        from faultserver import conditional

        server.route("/feed.xml", conditional(rss(self.base, self.feed_paths), etag, modified,
                                              content_type="application/rss+xml"))
        server.route("/sitemap.xml", Reply(body=sitemap(self.base, self.sitemap_paths),
                                           content_type="application/xml"))

    def url(self, path: str) -> str:
        return self.base + path


def write_sources(directory: Path, body: str) -> Path:
    path = directory / "sources.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


FAST_DEFAULTS = """\
defaults:
  delay_s: 0
  per_host_concurrency: 4
  max_retries: 0
  connect_timeout_s: 2
  read_timeout_s: 5
"""


@dataclass(slots=True)
class Ran:
    """What a command did: its exit code and its two streams (as subprocess.run reports them)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 180,
            env: dict[str, str] | None = None) -> Ran:
    """The real command line (`pipeline.cli.entry`, exit codes and error handling included), run in
    this process: no interpreter start-up per call. Extraction runs in this process too
    (PIPELINE_WORKERS=0) unless `env` says otherwise; `run_cli_process` is the child-process
    variant, for the tests that prove the installed command as cron runs it."""
    from click.testing import CliRunner

    from pipeline.cli import main

    runner = CliRunner()
    previous = Path.cwd()
    os.chdir(cwd or REPO)
    try:
        result = runner.invoke(main, list(args), env={"PIPELINE_WORKERS": "0", "COLUMNS": "200",
                                                      **(env or {})}, catch_exceptions=True)
    finally:
        os.chdir(previous)
    code = result.exit_code
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        from pipeline.cli import error_exit

        code, message = error_exit(result.exception)
        if message is None:
            raise result.exception
        stderr += message
    return Ran(code, result.stdout, stderr)


def run_cli_process(*args: str, cwd: Path | None = None,
                    timeout: float = 180) -> subprocess.CompletedProcess:
    """The real command line, in a child process, as cron would run it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd or REPO, env=env,
        capture_output=True, text=True, timeout=timeout,
    )


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()

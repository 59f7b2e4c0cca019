"""`pipeline extract`: URLs, files or stdin in, articles out, with no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import click

from pipeline.cli.render import as_markdown, as_text

FORMATS = ("text", "markdown", "json")


@click.command("extract")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="text or markdown for people, json (one object per line) for scripts. "
                   "Default: text on a terminal, json when piped.")
@click.option("--jsonl", "jsonl", type=click.Path(allow_dash=True), default=None,
              help="Write one JSON object per page to FILE ('-' for stdout).")
@click.option("--kind", type=click.Choice(["html", "text"]), default=None,
              help="Force the input kind (HTML page or plain-text page dump).")
@click.option("--sources", "sources_path", type=click.Path(path_type=Path), default=None,
              help="Take the fetch settings (user agent, delays, limits) from this sources file.")
def extract_command(inputs: tuple[str, ...], fmt: str | None, jsonl: str | None,
                    kind: str | None, sources_path: Path | None) -> None:
    """Extract the article from each INPUT: an http(s) URL (fetched politely), a local file
    (HTML, text dump, WARC) or `-` for stdin."""
    from pipeline.config import load_config
    from pipeline.errors import ConfigError
    from pipeline.runs.offline import extract_inputs, is_url

    missing = [i for i in inputs if i != "-" and not is_url(i) and not Path(i).exists()]
    if missing:
        raise ConfigError(f"no such file: {', '.join(missing)}")
    policy = load_config(sources_path).defaults.policy() if sources_path else None
    records = extract_inputs(list(inputs), kind=kind, policy=policy)
    if jsonl is not None:
        with _open(jsonl) as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return
    fmt = fmt or ("text" if sys.stdout.isatty() else "json")
    for n, record in enumerate(records):
        click.echo(_render(record, fmt, first=n == 0), nl=False)


def _render(record: dict[str, Any], fmt: str, first: bool) -> str:
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False, default=str) + "\n"
    text = as_markdown(record) if fmt == "markdown" else as_text(record)
    return text if first else ("\n---\n\n" if fmt == "markdown" else "\n" + "=" * 72 + "\n\n") + text


class _open:  # noqa: N801 - a context manager over a file or stdout
    def __init__(self, target: str) -> None:
        self.target = target
        self.fh: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.target == "-":
            return sys.stdout
        self.fh = open(self.target, "w", encoding="utf-8")  # noqa: SIM115
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()

"""`pipeline eval`: extraction scored against gold bodies, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.extract.evaluate import Score, evaluate, load_gold

DEFAULT_GOLD = ("fixtures", "../shared/bench/scrapinghub")


@click.command("eval")
@click.option(
    "--gold",
    "gold_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Gold directory (ScrapingHub layout or fixtures with *.expected.json); repeatable. "
    "Default: fixtures/ and ../shared/bench/scrapinghub/ when present.",
)
@click.option("--json", "as_json", is_flag=True, help="Print scores as JSON instead of a table.")
def eval_command(gold_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Score extraction against gold bodies: shingle P/R/F1, clutter lines left, body lines lost."""
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    dirs = list(gold_dirs) or [Path(d) for d in DEFAULT_GOLD if Path(d).is_dir()]
    scores = []
    for root in dirs:
        pages = load_gold(root)
        scores.append(
            evaluate(track(pages, description=f"extracting {root}", transient=True), name=str(root))
        )
    rows = [_row(s) for s in scores]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="extraction vs gold")
    for column in rows[0] if rows else ["gold"]:
        table.add_column(column, justify="left" if column == "gold" else "right", overflow="fold")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console = Console()
    console.width = max(console.width, 110)  # keep the table readable when piped
    console.print(table)


def _row(score: Score) -> dict[str, object]:
    line_pages = [p for p in score.pages if p.title_ok is not None]
    return {
        "gold": score.name,
        "pages": len(score.pages),
        "P": round(score.precision, 4),
        "R": round(score.recall, 4),
        "F1": round(score.f1, 4),
        "F1 CLUTTER.md": round(score.f1_clutter_md, 4),
        "clutter left": score.clutter_left if line_pages else "-",
        "body lost": score.body_lost if line_pages else "-",
        "title ok": sum(bool(p.title_ok) for p in line_pages) if line_pages else "-",
        "author ok": sum(bool(p.author_ok) for p in line_pages) if line_pages else "-",
        "ms/doc": round(score.median_ms, 2),
    }

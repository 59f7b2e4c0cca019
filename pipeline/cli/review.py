"""`pipeline review`: write the static HTML report (index, source health, one page per article)."""

from __future__ import annotations

import webbrowser
from datetime import datetime
from pathlib import Path

import click

from pipeline.cli import report
from pipeline.cli.common import DB_OPTION, err


@click.command("review")
@DB_OPTION
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write the report to  [default: review/ beside the warehouse, "
                   "i.e. warehouse/review/]")
@click.option("--source", default=None, help="Only articles of this source.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only articles published or fetched on or after DATE (YYYY-MM-DD, UTC).")
@click.option("--run", "run_id", default=None, help="Only articles captured by this run (its id).")
@click.option("--article", "article_id", default=None,
              help="Only this article's page (by id), with an index of one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the report's index.html in a browser.")
def review_command(db_path: Path, out_dir: Path | None, source: str | None,
                   since: datetime | None, run_id: str | None, article_id: str | None,
                   open_browser: bool) -> None:
    """Write a static HTML report: articles per run, source health, drops by reason, and one
    page per article showing the text with every cut block where it stood and why it was cut.

    The folder opens in any browser, offline: no server, no network, no external files."""
    from pipeline.review import ReviewOptions, Selection, build_report

    selection = Selection(source=source, since=since.date() if since else None,
                          run_id=run_id, article_id=article_id)
    options = ReviewOptions(db_path=db_path, out_dir=out_dir, selection=selection)
    with report.progress(err, "writing article pages") as advance:
        result = build_report(options, on_page=advance)
    click.echo(f"report: {result.index_path}")
    click.echo(f"{result.pages} pages written ({result.article_pages} article pages, "
               f"{result.index_pages} index page{'s' if result.index_pages != 1 else ''})")
    if open_browser:
        webbrowser.open(result.index_path.resolve().as_uri())

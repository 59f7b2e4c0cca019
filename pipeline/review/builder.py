"""Build the static report: query the warehouse read-only, write the index and article pages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import ConfigError
from pipeline.review import queries as Q
from pipeline.review.pages import (
    ArticleView,
    IndexPage,
    article_view,
    drop_rows,
    health_rows,
    index_pages,
)
from pipeline.review.render import page_name, render, write_page
from pipeline.store.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class ReviewOptions:
    db_path: Path
    out_dir: Path | None = None  # default: review/ beside the warehouse file
    selection: Q.Selection = field(default_factory=Q.Selection)
    index_page_size: int = 200  # articles per index page (the index is paginated past this)
    health_runs: int = 12  # runs shown in each source's chart
    chunk_size: int = 200  # article pages per query: bodies are read a chunk at a time

    @property
    def out(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.db_path.parent / "review"


@dataclass(slots=True, frozen=True)
class ReviewResult:
    index_path: Path
    article_pages: int
    index_pages: int

    @property
    def pages(self) -> int:
        return self.article_pages + self.index_pages


@contextmanager
def _reading(db_path: Path) -> Iterator[Q.Connection]:
    """A short read-only connection; a file that is not a warehouse is a ConfigError."""
    try:
        with Warehouse(db_path).connect(read_only=True) as con:
            yield con
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.CatalogException) as exc:
        if "lock" in str(exc).lower():
            raise
        raise ConfigError(f"{db_path}: not a pipeline warehouse ({exc})".splitlines()[0]) from exc


def build_report(options: ReviewOptions,
                 on_page: Callable[[int], None] | None = None) -> ReviewResult:
    """Write index page(s) and one page per selected article; return where and how many."""
    if not options.db_path.is_file():
        raise ConfigError(f"{options.db_path}: no warehouse here; run `pipeline run` first")
    sel = options.selection
    with _reading(options.db_path) as con:
        _check_selection(con, sel)
        rows = list(Q.index_rows(con, sel))
        context = _overview(con, options) if sel.article_id is None else {}
    out = options.out
    (out / "articles").mkdir(parents=True, exist_ok=True)
    order = [row.id for row in rows]
    written = _write_articles(options, order, on_page or (lambda n: None))
    pages = index_pages(rows, options.index_page_size)
    for page in pages:
        write_page(out / page.file, render(
            "index.html", page=page, pages=pages, total=len(rows), selection=sel,
            written=written, page_size=options.index_page_size,
            generated=datetime.now(UTC), db_path=options.db_path, **context))
    _remove_stale(out, written, len(pages))
    return ReviewResult(out / "index.html", len(written), len(pages))


def _check_selection(con: Q.Connection, sel: Q.Selection) -> None:
    """Unknown ids and names are the user's mistake (exit 2), not an empty report."""
    if sel.article_id is not None and not Q.exists(
            con, "SELECT 1 FROM articles WHERE id = ?", [sel.article_id]):
        raise ConfigError(f"no article with id {sel.article_id!r} in the warehouse")
    if sel.run_id is not None and not Q.exists(
            con, "SELECT 1 FROM runs WHERE id = ? UNION ALL SELECT 1 FROM captures WHERE run_id = ?",
            [sel.run_id, sel.run_id]):
        raise ConfigError(f"no run with id {sel.run_id!r} in the warehouse")
    if sel.source is not None and not Q.exists(
            con, "SELECT 1 FROM source_health WHERE source = ?", [sel.source]):
        raise ConfigError(f"no source named {sel.source!r} in the warehouse")


def _overview(con: Q.Connection, options: ReviewOptions) -> dict[str, object]:
    """The first index page's health charts and drops by reason."""
    sel = options.selection
    runs = Q.recent_runs(con, options.health_runs)
    counts = Q.per_run_counts(con, [r.id for r in runs])
    return {
        "runs": runs,
        "health": health_rows(runs, counts, Q.source_health(con, sel.source)),
        "drops": drop_rows(Q.drops_by_reason(con, sel)),
    }


def _write_articles(options: ReviewOptions, order: Sequence[str],
                    advance: Callable[[int], None]) -> set[str]:
    """One page per article, a chunk of bodies at a time; each chunk on a fresh short
    connection, so a running job can land its batches between chunks."""
    out = options.out / "articles"
    chosen = set(order)
    position = {article_id: i for i, article_id in enumerate(order)}
    written: set[str] = set()

    def linked(article_id: str) -> str | None:
        return page_name(article_id) if article_id in chosen else None

    for start in range(0, len(order), options.chunk_size):
        chunk = order[start:start + options.chunk_size]
        with _reading(options.db_path) as con:
            details = Q.article_details(con, chunk)
        for row in details:
            view = article_view(row, linked)
            _neighbours(view, order, position[view.id])
            write_page(out / page_name(view.id), render("article.html", article=view))
            written.add(view.id)
        advance(len(details))
    missing = chosen - written
    if missing:  # re-extracted under a new id while the report was being written
        log.warning("%d article(s) vanished while the report was written", len(missing))
    return written


def _neighbours(view: ArticleView, order: Sequence[str], i: int) -> None:
    view.prev_page = page_name(order[i - 1]) if i > 0 else None
    view.next_page = page_name(order[i + 1]) if i + 1 < len(order) else None


def _remove_stale(out: Path, written: set[str], index_count: int) -> None:
    """Pages an earlier report wrote that this one did not: they would link to stale data."""
    keep = {page_name(article_id) for article_id in written}
    for path in (out / "articles").glob("*.html"):
        if path.name not in keep:
            path.unlink()
    for path in out.glob("index-*.html"):
        number = path.stem.removeprefix("index-")
        if number.isdigit() and int(number) > index_count:
            path.unlink()


__all__ = ["IndexPage", "ReviewOptions", "ReviewResult", "build_report"]

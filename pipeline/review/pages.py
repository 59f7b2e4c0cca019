"""What each page shows, built from query rows: article views, index pages, health rows, drops."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from markupsafe import Markup

from pipeline.review.blocks import Block, Cut, parse_removed, reading_order
from pipeline.review.charts import RunBar, count_bar, run_bars
from pipeline.review.queries import IndexRow, RunInfo
from pipeline.review.render import safe_href, when


@dataclass(slots=True, frozen=True)
class Field:
    """One metadata line: label, value, and a link when the value is a URL that may be one."""

    label: str
    value: str
    url: str | None = None


@dataclass(slots=True, frozen=True)
class Member:
    """Another copy of the same story; `page` is set when its page is in this report."""

    title: str
    source: str
    page: str | None


@dataclass(slots=True)
class ArticleView:
    id: str
    title: str
    blocks: list[Block]
    unplaced: list[Cut]
    article_fields: list[Field]
    capture_fields: list[Field]
    members: list[Member]
    cluster_size: int
    cut_reasons: list[tuple[str, int]]
    kept: int
    cut: int
    prev_page: str | None = None
    next_page: str | None = None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def article_view(row: dict[str, Any], linked: Callable[[str], str | None]) -> ArticleView:
    """An article page from one `article_details` row; `linked(id)` gives a member's page."""
    cuts = parse_removed(row["removed_json"])
    blocks, unplaced = reading_order(row["body"] or "", cuts)
    article_fields = [
        Field("title", _text(row["title"])), Field("author", _text(row["author"])),
        Field("published", when(row["published"])), Field("language", _text(row["language"])),
        Field("site", _text(row["site_name"])), Field("source", _text(row["source"])),
        Field("URL", _text(row["url"]), safe_href(row["url"])),
        Field("canonical URL", _text(row["canonical_url"]), safe_href(row["canonical_url"])),
        Field("description", _text(row["description"])),
        Field("words", f"{row['word_count']:,}"), Field("extractor", _text(row["extractor_version"])),
        Field("extracted", when(row["extracted_at"])), Field("article id", row["id"]),
    ]
    capture_fields = [
        Field("URL", _text(row["capture_url"]), safe_href(row["capture_url"])),
        Field("final URL", _text(row["final_url"]), safe_href(row["final_url"])),
        Field("status", _text(row["status"])), Field("content type", _text(row["content_type"])),
        Field("WARC file", _text(row["warc_file"])), Field("WARC offset", _text(row["warc_offset"])),
        Field("WARC length", _text(row["warc_length"])), Field("fetched", when(row["fetched_at"])),
        Field("run", _text(row["run_id"])), Field("kind", _text(row["capture_kind"])),
    ]
    members = [
        Member(_text(m["title"]) or m["id"], _text(m["source"]), linked(m["id"]))
        for m in (row["members"] or []) if m["id"] != row["id"]
    ]
    return ArticleView(
        id=row["id"], title=_text(row["title"]) or "(untitled)", blocks=blocks, unplaced=unplaced,
        article_fields=[f for f in article_fields if f.value],
        capture_fields=[f for f in capture_fields if f.value],
        members=members, cluster_size=row["cluster_size"],
        cut_reasons=Counter(c.reason for c in cuts).most_common(),
        kept=sum(1 for b in blocks if b.kept), cut=len(cuts),
    )


@dataclass(slots=True)
class RunGroup:
    """The articles of one run on one index page."""

    run_id: str | None
    started: str
    status: str
    rows: list[IndexRow]


@dataclass(slots=True)
class IndexPage:
    number: int
    file: str
    groups: list[RunGroup] = field(default_factory=list)
    first: int = 0  # 1-based position of its first article in the whole list
    last: int = 0


def index_file(number: int) -> str:
    return "index.html" if number == 1 else f"index-{number}.html"


def index_pages(rows: Sequence[IndexRow], page_size: int) -> list[IndexPage]:
    """The index split into pages of `page_size` articles, each grouped by run."""
    pages = []
    for start in range(0, max(len(rows), 1), page_size):
        chunk = rows[start:start + page_size]
        number = start // page_size + 1
        page = IndexPage(number, index_file(number), first=start + 1 if chunk else 0,
                         last=start + len(chunk))
        for run_id, members in groupby(chunk, key=lambda r: r.run_id):
            group = list(members)
            page.groups.append(RunGroup(run_id, when(group[0].run_started),
                                        group[0].run_status or "", group))
        pages.append(page)
    return pages


@dataclass(slots=True, frozen=True)
class HealthRow:
    source: str
    chart: Markup
    totals: dict[str, Any]


def health_rows(runs: list[RunInfo], counts: dict[tuple[str, str, str], int],
                totals: list[dict[str, Any]]) -> list[HealthRow]:
    """One chart per source over the recent runs, beside its totals from `source_health`."""
    rows = []
    for total in totals:
        source = total["source"]
        bars = [
            RunBar(f"run {run.id} ({when(run.started_at)}, {run.status})",
                   counts.get(("articles", source, run.id), 0),
                   counts.get(("failures", source, run.id), 0),
                   counts.get(("rejects", source, run.id), 0))
            for run in runs
        ]
        rows.append(HealthRow(source, run_bars(bars, source), total))
    return rows


@dataclass(slots=True, frozen=True)
class DropRow:
    kind: str
    reason: str
    count: int
    sources: str
    bar: Markup


def drop_rows(records: list[dict[str, Any]]) -> list[DropRow]:
    """(kind, reason) totals, largest first, with the sources that had them."""
    totals: Counter[tuple[str, str]] = Counter()
    by_source: dict[tuple[str, str], Counter[str]] = {}
    for r in records:
        key = (r["kind"], r["reason"] or "?")
        totals[key] += r["n"]
        by_source.setdefault(key, Counter())[r["source"]] += r["n"]
    peak = max(totals.values(), default=0)
    return [
        DropRow(kind, reason, n,
                ", ".join(f"{s} ({c})" for s, c in by_source[(kind, reason)].most_common()),
                count_bar(n, peak))
        for (kind, reason), n in totals.most_common()
    ]

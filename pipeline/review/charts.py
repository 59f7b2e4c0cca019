"""Small inline-SVG charts (no library, no script): per-run bars and horizontal count bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_W, GAP = 10, 3
UP_H, DOWN_H = 30, 16  # articles rise above the axis, failures hang below it
ARTICLES_FILL, FAILURES_FILL, EMPTY_FILL = "#2f6fb3", "#c0392b", "#c8ccd2"


@dataclass(slots=True, frozen=True)
class RunBar:
    """One run's counts for one source."""

    label: str  # run id and start, shown on hover
    articles: int
    failures: int
    rejects: int


def _height(value: int, peak: int, full: int) -> float:
    if value <= 0 or peak <= 0:
        return 0.0
    return max(2.0, round(full * value / peak, 1))  # a non-zero count always shows


def run_bars(bars: Sequence[RunBar], name: str) -> Markup:
    """Articles (up, blue) and failed fetches (down, red) per run, oldest run on the left."""
    width = max(len(bars), 1) * (BAR_W + GAP) + GAP
    height = UP_H + DOWN_H + 2
    peak_up = max((b.articles for b in bars), default=0)
    peak_down = max((b.failures for b in bars), default=0)
    parts = [f'<line x1="0" y1="{UP_H + 1}" x2="{width}" y2="{UP_H + 1}" '
             f'stroke="{EMPTY_FILL}" stroke-width="1"/>']
    for i, bar in enumerate(bars):
        x = GAP + i * (BAR_W + GAP)
        up, down = _height(bar.articles, peak_up, UP_H), _height(bar.failures, peak_down, DOWN_H)
        tip = escape(f"{bar.label}: {bar.articles} articles, {bar.failures} failed fetches, "
                     f"{bar.rejects} rejects")
        parts.append(f"<g><title>{tip}</title>"
                     f'<rect x="{x}" y="0" width="{BAR_W}" height="{height}" fill="transparent"/>')
        if up:
            parts.append(f'<rect x="{x}" y="{UP_H + 1 - up}" width="{BAR_W}" height="{up}" '
                         f'fill="{ARTICLES_FILL}"/>')
        if down:
            parts.append(f'<rect x="{x}" y="{UP_H + 2}" width="{BAR_W}" height="{down}" '
                         f'fill="{FAILURES_FILL}"/>')
        parts.append("</g>")
    total_a, total_f = sum(b.articles for b in bars), sum(b.failures for b in bars)
    label = escape(f"{name}: {total_a} articles and {total_f} failed fetches "
                   f"over the last {len(bars)} runs")
    return Markup(
        f'<svg class="chart" role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(parts)}</svg>"
    )


def count_bar(value: int, peak: int, width: int = 120, fill: str = FAILURES_FILL) -> Markup:
    """A horizontal bar proportional to value / peak."""
    length = 0.0 if peak <= 0 else max(1.0, round(width * value / peak, 1))
    return Markup(
        f'<svg class="bar" role="img" aria-label="{value}" width="{width}" height="10" '
        f'viewBox="0 0 {width} 10" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="1" width="{length}" height="8" fill="{fill}"/></svg>'
    )

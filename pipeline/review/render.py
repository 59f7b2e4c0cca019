"""Jinja2 environment (autoescape on), filters, page names and safe links for the report."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
LINK_SCHEMES = ("http", "https", "file")  # never javascript:, data: ... from a hostile page


def page_name(article_id: str) -> str:
    """The file name of an article's page: its id when that is a safe file name, else a hash."""
    if _SAFE_ID.fullmatch(article_id):
        return f"{article_id}.html"
    return f"x{hashlib.sha256(article_id.encode()).hexdigest()[:24]}.html"


def safe_href(url: Any) -> str | None:
    """The URL when it may be a link (http, https, file), else None: shown as text only."""
    if not isinstance(url, str) or not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in LINK_SCHEMES else None


def when(value: Any) -> str:
    """A date or timestamp for people: UTC for instants, the date alone at midnight."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return value.strftime("%Y-%m-%d" if value.time() == datetime.min.time() else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


@cache
def environment() -> Environment:
    """Templates from the package (pipeline/review/templates), every value HTML-escaped."""
    env = Environment(
        loader=PackageLoader("pipeline.review", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, number=number, page=page_name, href=safe_href)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_page(path: Path, html: str) -> None:
    """Write a page whole: a reader never opens half a file (temporary name, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)

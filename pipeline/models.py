"""The typed values that cross stage boundaries, in the order data moves.

SourceItem (discovery) -> FetchResult (fetch) -> Capture (stored in WARC) -> Fetched (the capture
stage's output: a fetch logged, a capture stored, or both) -> Article | Drop (extraction) ->
Extracted (the extraction stage's output). SourceNote carries per-source facts (how much was found,
problems) down the same stream, so counting happens in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime


def stable_id(key: str) -> str:
    """A short, stable hash id (16 hex chars of sha256) for a canonical URL or a file path."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


Headers = list[tuple[str, str]]

# Content types that are pages to extract; anything else is stored and recorded as skipped.
EXTRACTABLE_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml", "text/plain"})


def media_type(content_type: str) -> str:
    """`text/html; charset=utf-8` -> `text/html`."""
    return content_type.split(";", 1)[0].strip().lower()


def header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by case-insensitive name (the one lookup every module uses)."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


@dataclass(slots=True, frozen=True)
class SourceItem:
    """One thing to collect: a URL to fetch or a local file to capture, discovered from a source."""

    source: str
    url: str  # http(s) URL, or file:// URL for local captures
    kind: str = "article"  # "article" | "feed" | "sitemap" | "links"
    published: datetime | None = None  # from feed/sitemap metadata when known


@dataclass(slots=True, frozen=True)
class Exchange:
    """One request on the wire and what came back: an attempt or a redirect hop of a fetch.

    Header names and values are text decoded as Latin-1, so `.encode("latin-1")` gives back the
    bytes sent or received. `raw_body` is the payload as received (transfer coding removed,
    content coding kept), `body` the same content-decoded (the same object when not encoded);
    both are bounded, and `truncated` says a limit cut them. `status` is None when no response
    came (`error` says why); `ip_address` is the peer the connection went to (a proxy's, when
    one was used), None when unknown.
    """

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    started_at: datetime
    status: int | None = None
    reason: str = ""
    http_version: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    raw_body: bytes = b""
    body: bytes = b""
    truncated: bool = False
    error: str | None = None
    ip_address: str | None = None

    def header(self, name: str) -> str | None:
        return header(self.response_headers, name)


@dataclass(slots=True)
class FetchResult:
    """The outcome of fetching one URL: a response (any status) or an error, with timing.

    `headers` are the final response's, exactly as received (a gzip body is decoded in `body`,
    its Content-Encoding and Content-Length stay as the server sent them). `exchanges` lists
    every attempt and redirect hop in order, the final one last.
    """

    url: str
    source: str
    final_url: str | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    fetched_at: datetime | None = None
    duration_s: float = 0.0
    redirects: list[str] = field(default_factory=list)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None  # e.g. "timeout", "connect: ...", "too-large", "robots-disallowed"
    attempts: int = 1
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass(slots=True)
class Capture:
    """Raw bytes as stored in a WARC file, with where to find them again."""

    id: str  # sha of (warc_file, offset): unique per stored record
    url: str
    final_url: str
    source: str
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime
    sha256: str
    warc_file: str = ""
    offset: int = 0
    length: int = 0
    run_id: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    path: str | None = None  # for local files: the path relative to sources.yaml
    kind: str = "article"  # article | feed | sitemap | links | robots | file


@dataclass(slots=True)
class Removed:
    """A block the extractor cut, and why (`newsletter`, `donation`, `related`, ...)."""

    text: str
    reason: str
    # Where it stood in reading order: how many body paragraphs ("\n\n"-separated) precede it.
    position: int | None = None


@dataclass(slots=True)
class Article:
    """A clean article: what `extract` returns when a capture holds one."""

    body: str
    title: str | None = None
    author: str | None = None
    published: date | datetime | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    removed: list[Removed] = field(default_factory=list)
    page_type: str = "article"  # article | listing | forum | product | documentation | other
    # The element each body paragraph came from (p, h2, li, blockquote, pre, ...; empty when
    # unknown): lets a renderer keep headings and lists (`--format markdown`).
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Drop:
    """A capture that holds no article, with the reason (counted and stored, never swallowed)."""

    reason: str


ExtractResult = Article | Drop


@dataclass(slots=True, frozen=True)
class Fetched:
    """One step of the capture stage: a fetch attempt to log, a stored capture to index, or both.

    `extract` says the capture may hold an article (the extraction stage's gate decides, and a
    capture that holds none is recorded with its reason); index documents (feeds, sitemaps,
    section pages, robots.txt) are stored, not extracted.
    """

    source: str
    kind: str
    capture: Capture | None = None
    fetch: FetchResult | None = None
    extract: bool = False


@dataclass(slots=True, frozen=True)
class SourceNote:
    """A fact about a source as a whole: items found, items already stored, a problem, a cap hit.

    `failed` counts items that failed without a fetch to log (an unreadable local file, a
    discovery that broke); each comes with its `problem`.
    """

    source: str
    discovered: int = 0
    known: int = 0
    failed: int = 0
    problem: str | None = None


@dataclass(slots=True, frozen=True)
class Planned:
    """A URL a run would fetch (what `pipeline run --list` prints)."""

    source: str
    url: str
    kind: str = "article"
    published: datetime | None = None


@dataclass(slots=True, frozen=True)
class Tick:
    """Nothing new for a while (the network is slow): stages may hand on or land what they hold."""


@dataclass(slots=True, frozen=True)
class Extracted:
    """What extraction made of one capture-stage step (`result` is None: nothing to extract)."""

    item: Fetched
    result: Article | Drop | None = None


@dataclass(slots=True)
class IndexCapture:
    """The latest stored 2xx capture of a URL: validators for conditional GETs, and where its
    record is (a 304 re-reads it, and the archive's revisit record refers to it)."""

    etag: str | None
    last_modified: str | None
    warc_file: str
    offset: int
    length: int
    content_type: str


@dataclass(slots=True)
class KnownState:
    """What earlier runs already hold, so the capture stage fetches only what is new or due."""

    article_fetched_at: dict[str, datetime] = field(default_factory=dict)  # canonical URL -> latest
    article_captures: dict[str, IndexCapture] = field(default_factory=dict)  # its latest capture
    canonical_known: set[str] = field(default_factory=set)  # trusted canonicals of stored articles
    index_captures: dict[str, IndexCapture] = field(default_factory=dict)
    file_digests: set[tuple[str, str]] = field(default_factory=set)  # (path or url, sha256)

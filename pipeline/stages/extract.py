"""The one extraction front door: a capture in, an `Article` or a `Drop` out, within limits.

Every driver (the cron run, reextract, `pipeline extract`, batch on a pool or Ray) calls
`extract_capture`, so the same page gives the same result everywhere, and one place holds:
- the gate: non-2xx statuses, content types that are not pages, empty and binary bodies;
- the size cap (`max_bytes`): larger bodies are dropped as `too-large`, never parsed;
- the parse-time guard for pathological markup (see `defuse_markup`);
- the per-record time limit: SIGALRM inside the extraction (Python code that runs too long), and,
  when run on the pool, the pool kills a worker whose task outlives it (C code that never returns).
`ExtractStage` runs it over a stream on the one pool, in order.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import FrameType

from pipeline.extract import EXTRACTOR_VERSION, decode_html, extract
from pipeline.extract.core import looks_binary
from pipeline.models import (
    EXTRACTABLE_TYPES,
    Article,
    Capture,
    Drop,
    Extracted,
    Fetched,
    Removed,
    media_type,
)
from pipeline.stages.pool import InOrder, TaskFailed, WorkerPool

MAX_BYTES = 8 * 1024 * 1024
TIMEOUT_S = 60.0
KILL_GRACE_S = 5.0  # the pool kills a worker this long after the soft limit passed


@dataclass(slots=True, frozen=True)
class ExtractLimits:
    """Bounds on one record's extraction."""

    max_bytes: int = MAX_BYTES
    timeout_s: float = TIMEOUT_S  # 0: no limit


DEFAULT_LIMITS = ExtractLimits()


def version() -> str:
    return EXTRACTOR_VERSION


def gate(capture: Capture, limits: ExtractLimits) -> Drop | None:
    """Why a capture is not extracted at all, or None."""
    if not 200 <= capture.status < 300:
        return Drop(f"http-status: {capture.status}")
    mtype = media_type(capture.content_type)
    if mtype and mtype not in EXTRACTABLE_TYPES:
        return Drop(f"unsupported-content-type: {mtype}")
    if not capture.body.strip():
        return Drop("empty")
    if len(capture.body) > limits.max_bytes:
        return Drop(f"too-large: {len(capture.body)} bytes > {limits.max_bytes}")
    if looks_binary(capture.body):
        return Drop("binary")
    return None


def extract_capture(capture: Capture, limits: ExtractLimits = DEFAULT_LIMITS) -> Article | Drop:
    """Extract one capture within its limits; never raises."""
    dropped = gate(capture, limits)
    if dropped is not None:
        return dropped
    mtype = media_type(capture.content_type)
    kind = "text" if mtype == "text/plain" else ("html" if mtype else None)
    try:
        text = decode_html(capture.body, capture.content_type or None)
    except Exception as exc:  # noqa: BLE001 - decoding must never stop a run
        return Drop(f"undecodable: {type(exc).__name__}: {exc}")
    note = None
    if kind != "text":
        text, note = defuse_markup(text)
    try:
        with _time_limit(limits.timeout_s):
            result = extract(text, url=capture.final_url or capture.url, kind=kind)
    except _RecordTimeout:
        return Drop(f"timeout: extraction took over {limits.timeout_s:g}s")
    except Exception as exc:  # noqa: BLE001 - `extract` never raises; this is the last line
        return Drop(f"error: {type(exc).__name__}: {str(exc)[:300]}")
    if note and isinstance(result, Article):
        result.removed.append(Removed(note, "pathological-markup", 0))
    return result


def extract_task(task: tuple[Capture, ExtractLimits]) -> Article | Drop:
    """What a pool worker runs."""
    return extract_capture(*task)


ExtractionPool = WorkerPool[tuple[Capture, ExtractLimits], Article | Drop]


def extraction_pool(workers: int | None = None,
                    limits: ExtractLimits = DEFAULT_LIMITS) -> ExtractionPool:
    """The pool every driver extracts on; it kills a worker a little after the soft limit."""
    hard = limits.timeout_s + KILL_GRACE_S if limits.timeout_s else None
    return WorkerPool(extract_task, workers=workers, timeout_s=hard)


# -- pathological markup ----------------------------------------------------------------------

# Elements that nest when left open (the HTML parser keeps them all on its stack of open elements,
# and reconstructs open formatting elements for every new one).
_NESTING = ("div", "span", "b", "i", "u", "s", "em", "strong", "font", "a", "small", "big",
            "section", "article", "blockquote", "center", "ul", "ol", "dl", "table", "nobr")
_NESTING_TAG = re.compile(r"</?(?:" + "|".join(_NESTING) + r")\b[^>]*>", re.IGNORECASE)
MAX_UNCLOSED = 2000


def defuse_markup(html: str) -> tuple[str, str | None]:
    """Flatten markup whose open-element stack would make the HTML parse quadratic.

    Measured with selectolax/lexbor: 5,000 unclosed `<div><span><b>` parse in 0.7 s, 10,000 in
    3.9 s, and 80,000 (a 1.1 MB page) in over 200 s. No real page leaves thousands of these open
    (`<p>`, `<li>` and `<td>` close themselves and are not counted). Past `MAX_UNCLOSED`, the
    nesting tags are removed (their text stays), which parses in milliseconds; the note says so.
    Counting costs one lower-casing pass and a few substring counts (about 1 ms per MB).
    """
    lower = html.lower()
    unclosed = 0
    for tag in _NESTING:
        opened = lower.count(f"<{tag}>") + lower.count(f"<{tag} ")
        unclosed += max(0, opened - lower.count(f"</{tag}>"))
    if unclosed <= MAX_UNCLOSED:
        return html, None
    return _NESTING_TAG.sub(" ", html), f"{unclosed} unclosed elements flattened before parsing"


# -- the soft time limit ---------------------------------------------------------------------


class _RecordTimeout(BaseException):
    """Raised by SIGALRM inside a slow extraction; a BaseException so that the extractor's own
    `except Exception` cannot swallow it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _RecordTimeout


class _time_limit:  # noqa: N801 - used as a context manager
    """SIGALRM after `seconds` (main thread only; elsewhere the pool's hard limit applies)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = seconds > 0 and threading.current_thread() is threading.main_thread()
        self.previous: object = None

    def __enter__(self) -> None:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)  # type: ignore[arg-type]


# -- the stage ---------------------------------------------------------------------------------


class ExtractStage:
    """Fetched -> Extracted, on the pool, in order; everything else passes through."""

    def __init__(self, pool: ExtractionPool, limits: ExtractLimits = DEFAULT_LIMITS) -> None:
        self.pool = pool
        self.limits = limits

    def run(self, items: Iterable[object]) -> Iterator[object]:
        pending: InOrder[Fetched, Article | Drop] = InOrder(self.pool)  # type: ignore[arg-type]
        for item in items:
            if isinstance(item, Fetched):
                if item.extract and item.capture is not None:
                    pending.add(item, self.pool.submit((item.capture, self.limits)))
                else:
                    yield Extracted(item)
            else:
                yield item
            for done, result in pending.ready(wait=True):
                yield Extracted(done, _as_result(result))
        for done, result in pending.rest():
            yield Extracted(done, _as_result(result))


def _as_result(result: Article | Drop | TaskFailed) -> Article | Drop:
    return Drop(result.reason) if isinstance(result, TaskFailed) else result

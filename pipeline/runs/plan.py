"""`pipeline run --list`: what a run would fetch, per source, without fetching a single article.

Feeds, sitemaps, section pages and robots.txt are fetched (discovery needs them); nothing is
stored, and the warehouse, if there is one, is only read (to tell new URLs from stored ones).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.capture.files import WARC_SUFFIXES, expand, label, read_bounded
from pipeline.capture.remote import remote_captures
from pipeline.config import Config, SourceSpec
from pipeline.models import Fetched, KnownState, Planned, SourceNote
from pipeline.runs.run import remote_source
from pipeline.store.state import load_known
from pipeline.store.warehouse import Warehouse


@dataclass(slots=True)
class SourcePlan:
    kind: str
    urls: list[str] = field(default_factory=list)
    discovered: int = 0
    known: int = 0
    problems: list[str] = field(default_factory=list)
    index: list[str] = field(default_factory=list)  # feeds, sitemaps, pages read to find them

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "discovered": self.discovered, "known": self.known,
                "due": len(self.urls), "urls": self.urls, "read": self.index,
                "problems": self.problems}


def plan(config: Config, db_path: Path, only: tuple[str, ...] = ()) -> dict[str, SourcePlan]:
    """Each enabled source's plan: the URLs (or files) a run would take now."""
    specs = [s for s in config.sources if s.enabled and (not only or s.name in only)]
    known = load_known(Warehouse(db_path), read_only=True) if db_path.exists() else KnownState()
    plans = {spec.name: SourcePlan(spec.kind) for spec in specs}
    for spec in specs:
        if spec.kind == "files":
            _plan_files(config, spec, known, plans[spec.name])
    remote = [remote_source(config, s) for s in specs if s.kind != "files"]
    steps: Iterator[object] = (remote_captures(remote, None, known, db_path.parent / "captures")
                               if remote else iter(()))
    for step in steps:
        _add(step, plans)
    return plans


def _add(step: object, plans: dict[str, SourcePlan]) -> None:
    if isinstance(step, Planned):
        plans[step.source].urls.append(step.url)
    elif isinstance(step, SourceNote):
        plans[step.source].discovered += step.discovered
        plans[step.source].known += step.known
        if step.problem:
            plans[step.source].problems.append(step.problem)
    elif isinstance(step, Fetched) and step.fetch is not None:
        result = step.fetch
        plans[step.source].index.append(f"{step.kind} {result.url} ({_outcome(result.status, result.error)})")


def _outcome(status: int | None, error: str | None) -> str:
    return error if error else ("304 unchanged" if status == 304 else str(status))


def _plan_files(config: Config, spec: SourceSpec, known: KnownState, out: SourcePlan) -> None:
    paths, cut = expand(spec.file_patterns, config.path.parent)
    if cut:
        out.problems.append("more files match than one run takes; only the first are listed")
    if not paths:
        out.problems.append(f"files {spec.file_patterns!r} matched no file")
    for path in itertools.islice(paths, spec.max_items):
        out.discovered += 1
        name = label(path, config.path.parent)
        if path.name.lower().endswith(WARC_SUFFIXES):
            out.urls.append(name)  # its records are compared when it is read
            continue
        try:
            digest = hashlib.sha256(read_bounded(path, spec.settings.max_bytes)).hexdigest()
        except (OSError, ValueError) as exc:
            out.problems.append(f"{path}: cannot read: {exc}")
            continue
        if (name, digest) in known.file_digests:
            out.known += 1
        else:
            out.urls.append(name)

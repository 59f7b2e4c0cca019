"""Stages: typed steps from a stored capture to a warehouse row, each a generator over a stream.

A stage has `run(items) -> items` (datatrove's shape): it consumes the values it knows, passes
every other value through untouched, and never calls its neighbours. A driver composes them:

    captures -> ExtractStage -> RowStage -> Tally -> DedupStage -> Loader (store)

`Fetched` (capture stage) -> `Extracted` (extract) -> `Rows` (rows, signatures); `SourceNote`
and `Tick` pass through to `Tally` and the loader. Drops are values with reasons, counted by
`Tally` into one `Stats` per source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol


class Stage(Protocol):
    def run(self, items: Iterable[object]) -> Iterator[object]: ...


def compose(items: Iterable[object], *stages: Stage) -> Iterator[object]:
    """The stream after every stage, in order."""
    stream: Iterable[object] = items
    for stage in stages:
        stream = stage.run(stream)
    return iter(stream)

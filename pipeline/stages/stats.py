"""One stats type for every unit of work (a source in a run, a re-extraction, a shard, a load)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_PROBLEMS = 200  # problems kept per unit; the rest are counted (every failure is in `fetches`)


@dataclass(slots=True)
class Stats:
    """Counts by name, drops and failures by reason, and the first problems in words.

    Names used by the stages: `discovered`, `known` (already stored), `not_modified` (304),
    `fetched`, `failed`, `captured`, `articles`, `rejected`, `skipped`, `collisions`, `records`.
    """

    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)  # HTTP status of each final response
    problems: list[str] = field(default_factory=list)
    problems_dropped: int = 0

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def reason(self, reason: str) -> None:
        """Count a drop or failure under its reason's prefix (`http-status: 404` -> `http-status`)."""
        self.reasons[reason.split(":", 1)[0].strip()] += 1

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.problems_dropped += 1

    def merge(self, other: Stats) -> None:
        self.counts.update(other.counts)
        self.reasons.update(other.reasons)
        self.statuses.update(other.statuses)
        for message in other.problems:
            self.problem(message)
        self.problems_dropped += other.problems_dropped

    def as_dict(self) -> dict[str, Any]:
        return {
            **{name: self.counts[name] for name in sorted(self.counts)},
            "reasons": dict(sorted(self.reasons.items())),
            **({"statuses": {str(k): v for k, v in sorted(self.statuses.items())}}
               if self.statuses else {}),
            "problems": list(self.problems),
            **({"problems_dropped": self.problems_dropped} if self.problems_dropped else {}),
        }


class StatsBook(dict[str, Stats]):
    """Stats per name (per source), created on first use; `total()` sums them."""

    def __missing__(self, key: str) -> Stats:
        stats = self[key] = Stats()
        return stats

    def total(self) -> Stats:
        out = Stats()
        for stats in self.values():
            out.merge(stats)
        return out

"""The one process pool: order kept, a task stuck past its limit killed (even inside C code) and
its worker replaced, a dead worker failing one task only, workers=0 running in this process."""

from __future__ import annotations

import os
import re

from pipeline.stages.pool import InOrder, TaskFailed, WorkerPool


def _work(n: int) -> tuple[int, int]:
    if n == 3:  # catastrophic backtracking: minutes inside the regex engine's C code
        re.match(r"(a+)+$", "a" * 64 + "b")
    if n == 5:
        os._exit(1)  # the worker dies (an OOM kill, a segfault)
    return n, os.getpid()


def test_results_in_order_stuck_and_dead_tasks_fail_alone() -> None:
    with WorkerPool(_work, workers=2, timeout_s=2.0) as pool:
        pending: InOrder[int, tuple[int, int]] = InOrder(pool)  # type: ignore[arg-type]
        for n in range(8):
            pending.add(n, pool.submit(n))
        results = list(pending.rest())
    assert [key for key, _ in results] == list(range(8))
    outcomes = dict(results)
    assert isinstance(outcomes[3], TaskFailed) and outcomes[3].reason.startswith("timeout")
    assert isinstance(outcomes[5], TaskFailed) and outcomes[5].reason.startswith("worker")
    done = {n: r for n, r in outcomes.items() if not isinstance(r, TaskFailed)}
    assert sorted(done) == [0, 1, 2, 4, 6, 7]
    assert all(pid != os.getpid() for _, pid in done.values())  # in worker processes


def test_no_workers_means_this_process() -> None:
    pool: WorkerPool[int, tuple[int, int]] = WorkerPool(_work, workers=0)
    assert pool.outcome(pool.submit(1)) == (1, os.getpid())

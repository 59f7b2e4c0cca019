"""The one process pool: tasks with a hard time limit, results handed back in submission order.

Workers are `spawn`ed (the parent runs threads and an event loop, which must not be forked) and
kept for the whole run, so each imports the extractor once. A task past its time limit has its
worker killed and replaced (pebble), so a page stuck inside C code (an HTML parse that never
returns) costs one timeout, not the run. `workers=0` runs every task in this process, which is
what a batch worker does (it is itself one process of a pool or a Ray task).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass
from typing import Generic, TypeVar

from pebble import ProcessPool

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")


@dataclass(slots=True, frozen=True)
class TaskFailed:
    """A task that did not return: killed past its time limit, or its worker died."""

    reason: str  # "timeout: ..." or "worker: ..."


class WorkerPool(Generic[T, R]):
    """Run `fn` over items on worker processes; `workers=0` runs them here, one by one."""

    def __init__(self, fn: Callable[[T], R], workers: int | None = None,
                 timeout_s: float | None = None,
                 initializer: Callable[[], None] | None = None) -> None:
        self.fn = fn
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.timeout_s = timeout_s
        self.initializer = initializer
        self._pool: ProcessPool | None = None

    def __enter__(self) -> WorkerPool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def window(self) -> int:
        """Tasks worth keeping in flight: enough to keep every worker busy, few enough to bound memory."""
        return max(1, 4 * self.workers)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def submit(self, item: T) -> Future[R]:
        if self.workers == 0:
            done: Future[R] = Future()
            try:
                done.set_result(self.fn(item))
            except Exception as exc:  # noqa: BLE001 - handed back as the task's failure
                done.set_exception(exc)
            return done
        if self._pool is None:
            self._pool = ProcessPool(
                max_workers=self.workers, initializer=self.initializer,
                context=multiprocessing.get_context("spawn"),
            )
        return self._pool.schedule(self.fn, args=(item,), timeout=self.timeout_s)

    def outcome(self, future: Future[R]) -> R | TaskFailed:
        """The task's result, or why it has none (waits for it)."""
        try:
            return future.result()
        except TimeoutError:
            return TaskFailed(f"timeout: worker killed after {self.timeout_s:g}s")
        except Exception as exc:  # noqa: BLE001 - a dead worker (OOM-killed, segfault) fails one task
            return TaskFailed(f"worker: {type(exc).__name__}: {str(exc)[:200]}")


class InOrder(Generic[K, R]):
    """Submitted tasks, keyed, handed back in submission order as they finish."""

    def __init__(self, pool: WorkerPool[object, R]) -> None:
        self.pool = pool
        self._pending: deque[tuple[K, Future[R]]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: K, future: Future[R]) -> None:
        self._pending.append((key, future))

    def ready(self, wait: bool = False) -> Iterator[tuple[K, R | TaskFailed]]:
        """Finished heads; with `wait`, waits until the window has room again."""
        while self._pending and (
            self._pending[0][1].done() or (wait and len(self._pending) >= self.pool.window)
        ):
            key, future = self._pending.popleft()
            yield key, self.pool.outcome(future)

    def rest(self) -> Iterator[tuple[K, R | TaskFailed]]:
        while self._pending:
            key, future = self._pending.popleft()
            yield key, self.pool.outcome(future)

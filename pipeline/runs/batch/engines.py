"""Engines that run `process_input` over many WARC files: in-process, a process pool, or Ray.

Each engine takes the inputs still to do and calls `on_result` as each one finishes (in
completion order). A failing input is reported as `(input, error message)` and never stops the
others.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from pipeline.errors import EngineUnavailable
from pipeline.runs.batch.shard import ShardOptions, ShardResult, process_input
from pipeline.stages.pool import TaskFailed, WorkerPool

ENGINES = ("local", "ray")
OnResult = Callable[[ShardResult], None]
OnFailure = Callable[[str, str], None]
TICK_S = 0.5  # how often the driver looks at the workers' progress while it waits


@dataclass(slots=True, frozen=True)
class EngineOptions:
    workers: int | None = None  # None: every core here (local), every CPU of the cluster (ray)
    ray_address: str | None = None  # None: start a local Ray with `workers` CPUs
    ray_ship_code: bool = False  # upload this checkout's `pipeline` package to the workers


def run_inline(
    inputs: list[str], out: str, options: ShardOptions, on_result: OnResult, on_failure: OnFailure
) -> None:
    """One input after the other in this process (tests, and debugging with pdb)."""
    for location in inputs:
        try:
            on_result(process_input(location, out, options))
        except Exception as exc:
            on_failure(location, f"{type(exc).__name__}: {exc}")


def run_local(
    inputs: list[str],
    out: str,
    options: ShardOptions,
    engine: EngineOptions,
    on_result: OnResult,
    on_failure: OnFailure,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """The one process pool (`pipeline.stages.pool`), one input per task, in completion order."""
    workers = engine.workers or default_workers()
    with WorkerPool(_process_task, workers=workers, initializer=_die_with_parent) as pool:
        pending: dict[Future[ShardResult], str] = {}
        queue = list(reversed(inputs))
        # A bounded window: submitting 10,000 files at once would only queue pickles.
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                location = queue.pop()
                pending[pool.submit((location, out, options))] = location
            done, _ = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
            if not done and on_tick:
                on_tick()
            for future in done:
                location = pending.pop(future)
                outcome = pool.outcome(future)
                if isinstance(outcome, TaskFailed):
                    on_failure(location, outcome.reason)
                else:
                    on_result(outcome)


def _process_task(task: tuple[str, str, ShardOptions]) -> ShardResult:
    return process_input(*task)


def run_ray(
    inputs: list[str],
    out: str,
    options: ShardOptions,
    engine: EngineOptions,
    on_result: OnResult,
    on_failure: OnFailure,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """One Ray task per input (1 CPU each); joins a running Ray or the cluster at `ray_address`,
    else starts a local one with `workers` CPUs and shuts it down afterwards."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        ray.init(**_init_kwargs(engine))
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(process_input)
        # --workers caps the tasks running at once; by default keep every CPU of the cluster
        # busy with a short queue behind it.
        window = engine.workers or 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(reversed(inputs))
        pending: dict[object, str] = {}
        while queue or pending:
            while queue and len(pending) < window:
                location = queue.pop()
                pending[task.remote(location, out, options)] = location
            done, _ = ray.wait(list(pending), num_returns=1, timeout=TICK_S)
            if not done and on_tick:
                on_tick()
            for ref in done:
                location = pending.pop(ref)
                try:
                    on_result(ray.get(ref))
                except Exception as exc:  # RayTaskError wraps the worker's exception
                    on_failure(location, _ray_message(exc))
    finally:
        if started:
            ray.shutdown()


def _die_with_parent() -> None:
    """Linux: a pool worker gets SIGKILL when the driver dies, instead of finishing its file as
    an orphan (its shard would still be safe: temporary name, marker last)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def import_ray():
    try:
        import ray
    except ImportError as exc:
        raise EngineUnavailable(
            "--engine ray needs Ray: pip install 'pipeline[ray]' (or uv sync --extra ray)"
        ) from exc
    return ray


def _init_kwargs(engine: EngineOptions) -> dict:
    kwargs: dict = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    if engine.ray_address:
        kwargs["address"] = engine.ray_address
    else:
        kwargs["num_cpus"] = engine.workers or default_workers()
    if engine.ray_ship_code:
        import pipeline

        kwargs["runtime_env"] = {"py_modules": [pipeline]}
    return kwargs


def _ray_message(exc: Exception) -> str:
    cause = getattr(exc, "cause", None)
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

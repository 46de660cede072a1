"""Spawn-started worker processes that hold the recipe, and the ordered map over sample ids.

Two pools use them: the ``local`` distributor (``mattehub.build.distributors.local``: each
worker writes whole shards) and, when a build has fewer shards than workers, the processes
that make one shard's samples (``ordered_outcomes``). Both are
``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method: a worker that
dies (killed, out of memory) breaks the pool and every unfinished task fails with
``BrokenProcessPool``, where ``multiprocessing.Pool`` would wait for it forever. Each worker
receives the recipe once, pickled, through the pool initializer (never fork-inherited
globals); a recipe that cannot be loaded there is kept as an error and raised by the first
task, so it is reported instead of a worker respawned again and again.
"""
from __future__ import annotations

import os
import pickle
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, TypeVar

from mattehub.contract.sample import Outcome
from mattehub.core.errors import BuildError
from mattehub.recipes.base import Recipe
from mattehub.build.worker import init_worker, worker_recipe

T = TypeVar("T")
SPAWN = get_context("spawn")


def process_pool(recipe: Recipe, workers: int, counter: Any = None) -> ProcessPoolExecutor:
    """``workers`` spawn-started processes, each holding ``recipe`` (and ``counter``, a
    ``SPAWN.Value`` that ``count_sample`` increments, or None)."""
    return ProcessPoolExecutor(workers, mp_context=SPAWN, initializer=init_worker,
                               initargs=(pickle.dumps(recipe), counter, os.getpid()))


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down after an error: tasks not started are cancelled, running ones end."""
    pool.shutdown(wait=True, cancel_futures=True)


def in_worker(function: Callable[[], T]) -> T:
    """``function()`` in a worker, its error made fit to reach the parent: an exception
    that cannot be unpickled there would break the whole pool (every shard reported as a dead
    worker's), so such an error travels as a BuildError with its type and message."""
    try:
        return function()
    except BaseException as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - any pickling failure
            raise BuildError(f"{type(exc).__name__}: {exc}") from None
        raise


def _make(indices: range) -> list[Outcome]:
    return in_worker(lambda: worker_recipe().make_many(indices))


def ordered_outcomes(recipe: Recipe, start: int, stop: int, workers: int,
                     per_worker: int = 4) -> Iterator[Outcome]:
    """Yield ``recipe.make_many(task)`` results for ids ``start..stop-1``, in order, using
    ``workers`` processes. Tasks are the recipe's ``task_ranges`` (one id, or a run sharing a
    clip); at most ``per_worker`` single-id tasks, or 2 multi-id tasks, per worker are in
    flight. A worker that dies raises ``WorkerDied``."""
    if workers <= 1:
        for task in recipe.task_ranges(start, stop):
            yield from recipe.make_many(task)
        return
    pool = process_pool(recipe, workers)
    try:
        pending: deque[Future] = deque()
        for task in recipe.task_ranges(start, stop):
            pending.append(pool.submit(_make, task))
            if len(pending) >= workers * (per_worker if len(task) == 1 else 2):
                yield from _result(pending.popleft())
        while pending:
            yield from _result(pending.popleft())
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


class WorkerDied(BuildError):
    """A worker process ended without a result (killed, out of memory, ``os._exit``)."""


def _result(future: Future) -> list[Outcome]:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerDied("a process making its samples died (killed, or out of memory?)") from None

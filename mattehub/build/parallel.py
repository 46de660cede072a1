"""Ordered parallel map over sample indices with spawn-started workers.

Results come back in index order whatever the worker count, so the single writer in the
main process produces the same shards for 1 or N workers. At most ``window`` tasks are in
flight, which bounds memory to a few samples per worker. Workers are started with the
``spawn`` method and receive the recipe through the pool initializer, never through
fork-inherited globals.
"""
from __future__ import annotations

import multiprocessing
import pickle
from collections import deque
from collections.abc import Iterator
from typing import Any

from mattehub.core.errors import BuildError
from mattehub.recipes.base import Recipe
from mattehub.contract.sample import Outcome

_RECIPE: Recipe | None = None
_LOAD_ERROR = ""


def _init_worker(blob: bytes) -> None:
    """Load the recipe in a worker. A failure is kept and raised by the first task: an
    initializer that raises makes ``multiprocessing.Pool`` respawn workers forever, a hang
    instead of an error."""
    global _RECIPE, _LOAD_ERROR
    try:
        _RECIPE = pickle.loads(blob)
    except BaseException as exc:  # noqa: BLE001 - reported by _make
        _LOAD_ERROR = f"{type(exc).__name__}: {exc}"


def _make(indices: range) -> list[Outcome]:
    if _RECIPE is None:
        raise BuildError(f"a worker process could not load the recipe ({_LOAD_ERROR}); "
                         "run with --workers 1 to see the error in this process")
    return _RECIPE.make_many(indices)


def ordered_outcomes(recipe: Recipe, start: int, stop: int, workers: int,
                     per_worker: int = 4) -> Iterator[Outcome]:
    """Yield ``recipe.make_many(task)`` results for ids ``start..stop-1``, in order, using ``workers``
    processes. Tasks are the recipe's ``task_ranges`` (one id, or a run sharing a clip);
    at most ``per_worker`` single-id tasks, or 2 multi-id tasks, per worker are in flight."""
    if workers <= 1:
        for task in recipe.task_ranges(start, stop):
            yield from recipe.make_many(task)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(pickle.dumps(recipe),)) as pool:
        pending: deque[Any] = deque()
        for task in recipe.task_ranges(start, stop):
            pending.append(pool.apply_async(_make, (task,)))
            if len(pending) >= workers * (per_worker if len(task) == 1 else 2):
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()

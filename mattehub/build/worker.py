"""What a spawn-started build worker holds, and the first thing it runs (the pool initializer).

This module imports nothing heavy on purpose: a spawned worker imports it to find the
initializer before anything else, so ``lean_worker`` (one BLAS/OpenCV thread, no pandas under
pyarrow; ``mattehub.core.lean``) takes effect before numpy, OpenCV or pyarrow are loaded by
unpickling the recipe. ``mattehub.build.parallel`` starts the pools; this module is what runs
inside them.
"""
from __future__ import annotations

import os
import pickle
import threading
import time
from typing import TYPE_CHECKING, Any

from mattehub.core.errors import BuildError
from mattehub.core.lean import lean_worker

if TYPE_CHECKING:
    from mattehub.recipes.base import Recipe

PARENT_POLL_SECONDS = 1.0
"""How often a worker checks that the process that started it is still there."""

_RECIPE: Recipe | None = None
_LOAD_ERROR = ""
_COUNTER: Any = None


def init_worker(blob: bytes, counter: Any, parent: int) -> None:
    """Start lean, load the recipe (a failure is kept for ``worker_recipe`` to raise: an
    initializer that raises would have the pool respawn workers), keep the shared progress
    ``counter``, and watch the ``parent`` process (its pid, given by the parent: it may be
    gone already): a worker whose parent was killed exits instead of waiting for tasks
    that will never come."""
    global _RECIPE, _LOAD_ERROR, _COUNTER
    lean_worker()
    _COUNTER = counter
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        _RECIPE = pickle.loads(blob)
    except BaseException as exc:  # noqa: BLE001 - reported by worker_recipe
        _LOAD_ERROR = f"{type(exc).__name__}: {exc}"


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def worker_recipe() -> Recipe:
    """The recipe this worker process was given; BuildError when it could not be loaded."""
    if _RECIPE is None:
        raise BuildError(f"a worker process could not load the recipe ({_LOAD_ERROR}); "
                         "run with --workers 1 to see the error in this process")
    return _RECIPE


def count_sample() -> None:
    """One more sample written (the parent's progress bar reads the shared counter)."""
    if _COUNTER is not None:
        with _COUNTER.get_lock():
            _COUNTER.value += 1

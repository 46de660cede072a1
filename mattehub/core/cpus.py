"""How many CPUs this process's own threads may use: ``usable_cpus`` and ``reader_cpus``.

A torch ``DataLoader`` worker is one of ``num_workers`` processes that share the machine, and
torch runs each of them on one thread (it calls ``torch.set_num_threads(1)`` in every worker):
parallelism comes from the number of workers. mattehub follows that rule, so ``num_workers``
is the one knob and adding a worker adds one CPU's worth of work: inside a worker,
``reader_cpus`` is 1 (no read-ahead thread) and ``settle_loader_worker`` keeps pyarrow's
compute pool to one thread. OpenCV is left alone: ``cv2.setNumThreads`` in a forked worker whose
parent has run OpenCV's thread pool never returns (its pool's state is copied mid-flight; a
test forks after OpenCV work to keep this so). OpenCV's parallel functions (colour
conversions and resizes of large images) can deadlock the same way in such a worker; only the
parent can prevent it (``cv2.setNumThreads(0)`` before the loader forks, or a ``forkserver``
context: docs/training.md, "OpenCV and fork"). Elsewhere (a script, a build,
``num_workers=0``) the process may use every CPU it is allowed to run on.
"""
from __future__ import annotations

import os
import sys

_settled: int | None = None
"""The pid ``settle_loader_worker`` ran in (a forked worker starts with its parent's value)."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def in_loader_worker() -> bool:
    """True inside a torch DataLoader worker process (torch is never imported to find out)."""
    data = sys.modules.get("torch.utils.data")
    return data is not None and data.get_worker_info() is not None


def reader_cpus() -> int:
    """CPUs a reader's own threads may use: 1 in a DataLoader worker, else ``usable_cpus``."""
    return 1 if in_loader_worker() else usable_cpus()


def settle_loader_worker() -> None:
    """In a DataLoader worker, once per process: pyarrow's compute pool on one thread, as
    torch does for itself (pyarrow re-creates its pool after a fork). Does nothing elsewhere
    (a user's process keeps its settings)."""
    global _settled
    if _settled == os.getpid() or not in_loader_worker():
        return
    _settled = os.getpid()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].set_cpu_count(1)

"""What a build worker process does first, so it starts lean: ``lean_worker``.

**One thread per library.** numpy's OpenBLAS starts a thread per core when numpy is imported;
in a pool of one worker per core that is cores x cores threads, and here it doubled the CPU a
worker spends before its first sample (0.30 s against 0.18 s of wall time for i-him). The
sample code does no BLAS work, so a worker asks for one thread, as Ray does for its tasks
(``OMP_NUM_THREADS=1``); OpenCV likewise splits resizes and colour conversions over every core
unless ``OPENCV_FOR_THREADS_NUM`` says otherwise, which in a full pool only adds switching.
The user's own settings win. The variables are read when the libraries load, so this
module imports nothing heavy and the pool's initializer (``mattehub.build.worker``) calls it
first.

**No pandas.** ``pa.array`` (and so ``Table.from_pylist``, every Arrow column the Parquet
writer builds) first asks whether its argument is a pandas object, and to ask it imports
pandas once per process if pandas is installed (``_PandasAPIShim`` in pyarrow's ``pandas-shim.pxi``): 0.14-0.18 s on
this machine, half a worker's start-up budget, for a check that is always "no" in a worker.
pyarrow supports running without pandas and remembers the outcome of that one attempt, so a
worker can let the attempt fail. pyarrow has no switch for it; a finder on ``sys.meta_path``
that refuses pandas for the length of that one attempt is the smallest way to flip it from
outside (``sys.modules["pandas"] = None`` is not: pyarrow's compiled import returns the None).
"""
from __future__ import annotations

import os
import sys
from importlib.abc import MetaPathFinder

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")
"""Thread counts read when numpy's OpenBLAS, an OpenMP runtime or OpenCV loads: a worker is
one of a pool sized to the cores, so each library runs one thread in it."""


def lean_worker() -> None:
    """Start a build worker lean: one BLAS/OpenMP/OpenCV thread (unless the user set the
    variables; in effect only when numpy is not imported yet) and no pandas under pyarrow. For
    processes that only make and write samples, not for a user's process."""
    if "numpy" not in sys.modules:
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, "1")
    pyarrow_without_pandas()


class _RefusePandas(MetaPathFinder):
    """An import finder under which ``import pandas`` fails as if it were not installed."""

    def find_spec(self, name, path, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas kept out of a build worker", name=name)
        return None


def pyarrow_without_pandas() -> None:
    """Make pyarrow settle, in this process, that pandas is absent, so it never imports it
    to inspect the values of a ``pa.array`` call. For processes that only write shards (a
    build worker): afterwards ``pa.array`` treats a pandas Series as a plain sequence (APIs
    that need pandas, like ``to_pandas``, still import it). Does nothing when pandas or
    pyarrow's pandas check has been imported already (a user's process)."""
    if "pandas" in sys.modules or "pyarrow.pandas_compat" in sys.modules:
        return
    import pyarrow as pa

    refuse = _RefusePandas()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([])  # pyarrow's one attempt to import pandas, whose failure it remembers
    finally:
        sys.meta_path.remove(refuse)

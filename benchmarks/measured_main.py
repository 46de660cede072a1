"""Run ``module:function(*args)`` as a whole program and write its own resource use at exit.

    python benchmarks/measured_main.py OUT.json mattehub.cli.main:main '[["build", ...]]'

``common.whole_process`` starts this in a fresh interpreter (as a user starts ``mattehub``),
so the time it measures from outside includes interpreter start and imports. At exit it
writes to ``OUT.json`` what only the process itself can know: its own CPU
(``RUSAGE_SELF``: the parent of a build, without its workers), its peak RSS, the largest
peak RSS of its reaped children (``RUSAGE_CHILDREN.ru_maxrss``: the build's workers), and
how long the imports and the call took inside it, and its own CPU during the call. Kept tiny and free of imports beyond the
standard library, so it adds nothing a user's ``mattehub`` would not pay.
"""
import importlib
import json
import resource
import sys
import time

BEGIN = time.perf_counter()


def usage(who: int) -> dict:
    """CPU seconds and peak RSS (MiB) of ``RUSAGE_SELF`` or ``RUSAGE_CHILDREN``."""
    got = resource.getrusage(who)
    return {"cpu_seconds": got.ru_utime + got.ru_stime, "peak_rss_mib": got.ru_maxrss / 1024}


def main() -> int:
    out, target, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    module, name = target.split(":")
    function = getattr(importlib.import_module(module), name)
    called, cpu = time.perf_counter(), usage(resource.RUSAGE_SELF)["cpu_seconds"]
    status = 1
    try:
        status = function(*args)
    finally:  # also when it exits (argparse) or fails: the caller then sees the exit code
        done, own = time.perf_counter(), usage(resource.RUSAGE_SELF)
        with open(out, "w") as handle:
            json.dump({"self": own, "children": usage(resource.RUSAGE_CHILDREN),
                       "import_seconds": called - BEGIN, "call_seconds": done - called,
                       "call_cpu_seconds": own["cpu_seconds"] - cpu}, handle)
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())

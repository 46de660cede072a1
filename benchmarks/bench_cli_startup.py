"""How long the ``mattehub`` command line takes to answer ``--help``, ``--version`` and
``build --help``: each is a fresh interpreter, timed wall-clock, best of N, next to
``python -c pass`` measured in the same run (the interpreter's own start-up).

    python benchmarks/bench_cli_startup.py [--rounds 10] [--before REV]

Prints one line per command: best and median seconds, and the best minus the bare
interpreter's best (what mattehub itself costs). ``--before REV`` times the package of git
commit ``REV`` too (exported with ``git archive``, run from its own folder), interleaved with
today's code round by round, so both see the same machine load. The target is under 0.3 s
per command; ``tests/test_options.py`` checks, without timing, that none of them imports the
data stack.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import HERE, export_commit

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "mattehub --help": ["-m", "mattehub", "--help"],
    "mattehub --version": ["-m", "mattehub", "--version"],
    "mattehub build --help": ["-m", "mattehub", "build", "--help"],
}


def timed(args: list[str], code: Path) -> float:
    """Wall-clock seconds of one fresh ``python ARGS`` importing mattehub from ``code``."""
    env = dict(os.environ, PYTHONPATH=str(code))
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL, cwd=code, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="runs per command (default: 10)")
    parser.add_argument("--before", metavar="REV", help="also time the package of this git commit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        codes = {"now": HERE.parent}
        if args.before:
            codes[f"at {export_commit(args.before, Path(scratch) / 'before')}"] = Path(scratch) / "before"
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):  # interleaved: every version sees the same load
            for version, code in codes.items():
                for name, command in COMMANDS.items():
                    results.setdefault((version, name), []).append(timed(command, code))
    bare = min(min(results[(version, "python -c pass")]) for version in codes)
    print(f"{'code':<12} {'command':<24} {'best s':>8} {'median s':>9} {'best - python s':>16}"
          f"   ({args.rounds} rounds)")
    for (version, name), values in results.items():
        print(f"{version:<12} {name:<24} {min(values):>8.3f} {statistics.median(values):>9.3f} "
              f"{min(values) - bare:>16.3f}")


if __name__ == "__main__":
    main()

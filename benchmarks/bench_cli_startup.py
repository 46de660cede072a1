"""How long the ``mattehub`` command line takes to answer ``--help``, ``--version`` and
``build --help``: each is a fresh interpreter, timed wall-clock, best of N, next to
``python -c pass`` measured in the same run (the interpreter's own start-up).

    python benchmarks/bench_cli_startup.py [--rounds 10]

Prints one line per command: best and median seconds, and the best minus the bare
interpreter's best (what mattehub itself costs). The target is under 0.3 s per command;
``tests/test_options.py`` checks, without timing, that none of them imports the data stack.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "mattehub --help": ["-m", "mattehub", "--help"],
    "mattehub --version": ["-m", "mattehub", "--version"],
    "mattehub build --help": ["-m", "mattehub", "build", "--help"],
}


def timings(args: list[str], rounds: int) -> list[float]:
    """Wall-clock seconds of ``rounds`` fresh runs of ``python ARGS``."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="runs per command (default: 10)")
    rounds = parser.parse_args().rounds
    results = {name: timings(args, rounds) for name, args in COMMANDS.items()}
    bare = min(results["python -c pass"])
    print(f"{'command':<24} {'best s':>8} {'median s':>9} {'best - python s':>16}   ({rounds} rounds)")
    for name, values in results.items():
        print(f"{name:<24} {min(values):>8.3f} {statistics.median(values):>9.3f} "
              f"{min(values) - bare:>16.3f}")


if __name__ == "__main__":
    main()

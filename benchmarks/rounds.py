"""Interleaved timing rounds: every route once per round, the routes taking turns, so a
change in a shared machine's load falls on every route alike (used by the read-in-place
benchmarks of issue 24)."""
from __future__ import annotations

import time
from collections.abc import Callable


def interleaved(rounds: int, routes: list[tuple[str, Callable[[], int]]]
                ) -> list[tuple[str, tuple[float, list[float], int]]]:
    """Each route run ``rounds`` times, taking turns within each round: (label, (best
    seconds, every run's seconds, what the last run returned: its sample count))."""
    times: dict[str, list[float]] = {label: [] for label, _ in routes}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        for label, run in routes:
            start = time.perf_counter()
            counts[label] = run()
            times[label].append(time.perf_counter() - start)
    return [(label, (min(times[label]), times[label], counts[label])) for label, _ in routes]


def load_note(start: float) -> str:
    """The 1-minute load average at the start (``start``, from ``os.getloadavg()[0]``) and
    now, in words: above 0 is other work on the same CPUs."""
    import os

    return (f"1-minute load average {start:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
            "end (above 0 is other work on the same CPUs)")

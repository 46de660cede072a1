"""Random access: time to row ``i`` by ``mattehub.open(...)[i]`` against iterating the stream to it.

    python benchmarks/bench_random_access.py              # ~1 min; prints a markdown table
    python benchmarks/bench_random_access.py --quick      # smaller split, one round

Sources: the HHM stand-ins (``mattehub.families.standins.make_hhm_sources``: 12 foregrounds,
6 backgrounds of 480x360). Three ways to the same rows, one process, one core:

(m) ``i-him`` made on the fly (``--num-samples N``);
(f) the shard folder ``mattehub build i-him`` writes from the same sources (shards of
    ``N/4`` samples, default row groups of 16 MiB);
(r) the stand-in ``i-him50k`` release read in place (split zips).

For each, the seconds to row ``i`` (i = 0, N/2, N-1) from a fresh ``mattehub.open`` (what a
DataLoader worker pays for its first row: the shard opened, one row group read), against
iterating ``mattehub.stream`` to row ``i``; and rows/s over a random permutation of every
row (``ds[i]``) against the stream read in order. Images are decoded (PIL) in both. Times
are best of ``--rounds``.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import mattehub
from mattehub.cli.main import main as cli
from mattehub.families.releases.standin import make_release
from mattehub.families.standins import make_hhm_sources


def best(rounds: int, run) -> float:
    """The fastest of ``rounds`` runs of ``run()``, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def stream_to(args: tuple, options: dict, index: int) -> None:
    for position, _ in enumerate(mattehub.stream(*args, **options)):
        if position == index:
            return


def measure(name: str, args: tuple, options: dict, rounds: int) -> list[list]:
    count = len(mattehub.open(*args, **options))
    rows = []
    for index in (0, count // 2, count - 1):
        opened = best(rounds, lambda: mattehub.open(*args, **options)[index])
        streamed = best(rounds, lambda: stream_to(args, options, index))
        rows.append([name, index, f"{opened:.3f}", f"{streamed:.3f}", f"{streamed / opened:.1f}x"])
    order = list(range(count))
    random.Random(0).shuffle(order)
    ds = mattehub.open(*args, **options)
    shuffled = best(rounds, lambda: [ds[i] for i in order])
    in_order = best(rounds, lambda: list(mattehub.stream(*args, **options)))
    rows.append([name, "all, shuffled vs in order", f"{count / shuffled:.1f} rows/s",
                 f"{count / in_order:.1f} rows/s", f"{in_order / shuffled:.2f}x"])
    return rows


def run(samples: int, rounds: int, work: Path) -> None:
    hhm = make_hhm_sources(work / "hhm")
    made = ("i-him", str(hhm.image_root)), {"bg_root": str(hhm.bg_root), "num_samples": samples,
                                             "invalid_names": str(hhm.invalid_names)}
    cli(["build", "i-him", "--image-root", str(hhm.image_root), "--bg-root", str(hhm.bg_root),
         "--invalid-names", str(hhm.invalid_names), "--num-samples", str(samples),
         "--max-samples-per-shard", str(max(1, samples // 4)), "--out", str(work / "out"),
         "--no-progress"])
    release = make_release(work / "release", hhm)
    table = [["config", "row i", "open(...)[i] s", "stream to i s", "stream / open"]]
    for name, (args, options) in {"(m) made": made, "(f) shard folder": (("i-him", str(work / "out")), {}),
                                  "(r) release": (("i-him50k", str(release)), {})}.items():
        table += measure(name, args, options, rounds)
    print("| " + " | ".join(table[0]) + " |\n|" + "---|" * len(table[0]))
    for row in table[1:]:
        print("| " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-random-access-") as tmp:
        run(40 if args.quick else args.samples, 1 if args.quick else args.rounds, Path(tmp))
    sys.exit(0)

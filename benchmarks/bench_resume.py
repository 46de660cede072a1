"""Resume cost: ``load_state_dict`` on a mattehub stream, then the time to the next sample.

    python benchmarks/bench_resume.py                 # N = 60 and 6,000, best of 3; ~5 min
    python benchmarks/bench_resume.py --sizes 60 --rounds 1

Sources: the HHM stand-ins (``mattehub.families.standins.make_hhm_sources``). For each stream,
one pass saves ``state_dict()`` after rows ``N/2`` and ``N-2``; then a fresh stream gets
``load_state_dict`` and the seconds to its first row are timed (best of ``--rounds``), with
the number of samples made (``recipe.make`` calls; made configs and releases) or rows read
from Parquet (shard folders) before that row. A fresh stream's first row is the baseline.

(m) ``i-him`` made on the fly, ``num_samples=N``;
(f) the shard folder ``mattehub build i-him`` writes (shards of 30 samples, whatever N);
(r) the stand-in ``i-him50k`` release read in place (its size is fixed by the stand-in).

Every state is one a real pass saved (no hand-written states: they would follow the format
of one ``datasets`` version and of one mattehub resume route).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import mattehub
from mattehub.cli.main import main as cli
from mattehub.families.image_him.recipe import ImageHimRecipe
from mattehub.families.releases.recipe import ImageReleaseRecipe
from mattehub.families.releases.standin import make_release
from mattehub.families.standins import make_hhm_sources
from mattehub.formats import parquet

COUNTS = {"made": 0, "rows read": 0}


def count_work() -> None:
    """Count ``make`` calls and Parquet rows read (single process: no workers)."""
    for cls in (ImageHimRecipe, ImageReleaseRecipe):
        make = cls.make

        def counted(self, index, _make=make):
            COUNTS["made"] += 1
            return _make(self, index)
        cls.make = counted
    tables = parquet.ParquetShardReader.tables

    def counted_tables(self, *args, **kwargs):
        for group, table in tables(self, *args, **kwargs):
            COUNTS["rows read"] += table.num_rows
            yield group, table
    parquet.ParquetShardReader.tables = counted_tables


def states(args: tuple, options: dict, positions: list[int]) -> dict[int, dict]:
    """``state_dict()`` after row ``p`` (0-based) for each ``p``, from one pass."""
    saved, stream = {}, mattehub.stream(*args, **options)
    for position, _ in enumerate(stream):
        if position in positions:
            saved[position] = stream.state_dict()
        if position == max(positions):
            return saved
    return saved


def first_row(args: tuple, options: dict, state: dict | None, rounds: int) -> tuple[float, dict]:
    best, work = float("inf"), {}
    for _ in range(rounds):
        stream = mattehub.stream(*args, **options)
        for key in COUNTS:
            COUNTS[key] = 0
        start = time.perf_counter()
        if state is not None:
            stream.load_state_dict(state)
        next(iter(stream))
        best, work = min(best, time.perf_counter() - start), dict(COUNTS)
    return best, work


def measure(name: str, args: tuple, options: dict, count: int, rounds: int) -> list[list]:
    positions = [count // 2, count - 2]
    saved = states(args, options, positions)
    rows = []
    for label, state in [("fresh", None)] + [(f"after row {p}", saved[p]) for p in positions]:
        seconds, work = first_row(args, options, state, rounds)
        rows.append([name, count, label, f"{seconds:.3f}", work["made"], work["rows read"]])
    return rows


def run(sizes: list[int], rounds: int, work: Path) -> None:
    count_work()
    hhm = make_hhm_sources(work / "hhm")
    table = [["stream", "N", "resume", "s to next row", "samples made", "Parquet rows read"]]
    for size in sizes:
        made = {"bg_root": str(hhm.bg_root), "num_samples": size, "invalid_names": str(hhm.invalid_names)}
        table += measure("(m) made", ("i-him", str(hhm.image_root)), made, size, rounds)
        out = work / f"out{size}"
        cli(["build", "i-him", "--image-root", str(hhm.image_root), "--bg-root", str(hhm.bg_root),
             "--invalid-names", str(hhm.invalid_names), "--num-samples", str(size),
             "--max-samples-per-shard", "30", "--out", str(out), "--no-progress"])
        table += measure("(f) shard folder", ("i-him", str(out)), {}, size, rounds)
    release = make_release(work / "release", hhm)
    count = len(list(mattehub.stream("i-him50k", str(release))))
    table += measure("(r) release", ("i-him50k", str(release)), {}, count, rounds)
    for row in table:
        print("| " + " | ".join(map(str, row)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60,6000", help="comma-separated N for (m) and (f)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run([int(n) for n in args.sizes.split(",")], args.rounds, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of peak memory against the sample count (issue 20): i-him builds of 1,000, 10,000
and 50,000 samples with ``--workers 2``; peak RSS must stay flat.

Each build is a whole ``mattehub build i-him ... --workers 2`` process (``common.whole_process``,
as in ``bench_scale_out.py``), 250 ids per shard, on small stand-in sources
(``make_hhm_sources``: 12 foregrounds of 200x250, 12 backgrounds of 256x192) so 50,000
samples fit in a few minutes on 2 cores; sources and outputs in ``benchmarks/_work/memory``
(on the disk, not tmpfs: 50,000 samples are ~5 GB of shards; or ``--work``), each output
removed after its run. Per build: wall time, samples/s, the parent's peak RSS (its ``RUSAGE_SELF``
at exit) and the largest peak RSS of its workers (``RUSAGE_CHILDREN.ru_maxrss`` in the
parent at exit: the largest of the processes it reaped). Target: flat, i.e. each peak at the
largest count within 10% (or 20 MiB) of the same peak at the smallest count.

    python benchmarks/bench_memory.py            # ~5 min on 2 cores; rewrites its section of docs/benchmarks.md
    python benchmarks/bench_memory.py --quick    # ~1 min smoke run (300, 1,000, 3,000 samples), prints only
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from common import DOCS, HERE, machine, md_table, measured_lines, publish, snapshot_code
from scale_out_setup import PACKAGES, Sources, sources, whole_run

WORK = HERE / "_work" / "memory"  # on the disk: 50,000 samples are ~5 GB of shards
MARKS = ("<!-- bench_memory:start -->", "<!-- bench_memory:end -->")
SMALL = Sources(fg_size=(200, 250), bg_size=(256, 192), num_foregrounds=12, num_backgrounds=12)
FULL_COUNTS, QUICK_COUNTS = (1_000, 10_000, 50_000), (300, 1_000, 3_000)
WORKERS = 2
PER_SHARD = 250
"""Ids per shard: even the smallest count has more shards than workers, so every build runs
the same way (workers writing whole shards; a build of fewer shards than workers has its
samples made by helper processes instead, another memory shape)."""
FLAT_SHARE, FLAT_MIB = 0.10, 20.0
"""Flat: the peak at the largest count is within FLAT_SHARE or FLAT_MIB of the smallest's."""


def flat(rows: list[dict], key: str) -> tuple[float, bool]:
    """Growth in MiB of ``key`` from the smallest count to the largest, and whether it is flat."""
    grown = rows[-1][key] - rows[0][key]
    return grown, grown <= max(FLAT_MIB, FLAT_SHARE * rows[0][key])


def measure(counts: tuple[int, ...], work: Path) -> list[dict]:
    """One whole-process build per count, smallest first."""
    src, rows = sources(SMALL, work), []
    for count in counts:
        spec = {"samples": count, "workers": WORKERS, "per_shard": PER_SHARD, "src": str(src),
                "out": str(work / "out"), "code": str(work / "code")}
        run = whole_run(spec, None, digests=False)
        rows.append(dict(run, asked=count))
        print(f"  {count:,} samples: {run['seconds']:.1f} s, parent {run['peak_rss_mib']:.0f} MiB, "
              f"workers {run['workers_peak_rss_mib']:.0f} MiB", flush=True)
    return rows


def report(head: list[str], rows: list[dict], work: Path) -> str:
    """The markdown section (also printed)."""
    table = md_table(("samples:", "shards:", "seconds:", "samples/s:", "MB written:",
                      "parent peak RSS MiB:", "workers' peak RSS MiB (largest):"),
                     [(f"{r['samples']:,}", r["shards"], f"{r['seconds']:.1f}",
                       f"{r['samples'] / r['seconds']:.0f}", f"{r['mb_written']:.0f}",
                       f"**{r['peak_rss_mib']:.0f}**", f"**{r['workers_peak_rss_mib']:.0f}**")
                      for r in rows])
    verdicts = []
    for key, who in (("peak_rss_mib", "parent"), ("workers_peak_rss_mib", "workers")):
        grown, ok = flat(rows, key)
        verdicts.append(f"{who} {grown:+.0f} MiB from {rows[0]['samples']:,} to "
                        f"{rows[-1]['samples']:,} samples ({'flat' if ok else '**not flat**'})")
    return "\n".join([
        MARKS[0], "## Peak memory against the sample count (i-him, `--workers 2`)", "", *head,
        f"- Sources in `{work}` (on the disk, as are the outputs, removed after each run): "
        f"`make_hhm_sources`, {SMALL.num_foregrounds} foregrounds of {SMALL.fg_size[0]}x"
        f"{SMALL.fg_size[1]}, {SMALL.num_backgrounds} backgrounds of {SMALL.bg_size[0]}x"
        f"{SMALL.bg_size[1]} (small, so 50,000 samples take minutes); "
        f"`--max-samples-per-shard {PER_SHARD}` (every count has more shards than workers), "
        f"`--workers {WORKERS}`, Parquet + WebDataset, seed 0.",
        "- Each build a whole `mattehub build i-him` process (`benchmarks/measured_main.py`), "
        "timed from outside; the parent's peak RSS is its own `ru_maxrss`, the workers' the "
        "largest `ru_maxrss` among the processes it reaped (both read by the parent at exit). "
        "One run per count.", "", *table, "",
        f"**Peak RSS: {'; '.join(verdicts)}** (flat: within {100 * FLAT_SHARE:.0f}% or "
        f"{FLAT_MIB:.0f} MiB).", MARKS[1]]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run; prints only, "
                                                             "unless --docs")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help=f"rewrite the section in {DOCS.relative_to(HERE.parent)} "
                             "(default: yes for a full run, no with --quick)")
    parser.add_argument("--work", type=Path, default=WORK,
                        help="scratch folder: sources, outputs, code snapshot (default %(default)s)")
    parser.add_argument("--counts", type=lambda s: tuple(int(x) for x in s.split(",")),
                        help="comma-separated sample counts (default "
                             f"{','.join(map(str, FULL_COUNTS))}; quick "
                             f"{','.join(map(str, QUICK_COUNTS))})")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    counts = tuple(sorted(args.counts or (QUICK_COUNTS if args.quick else FULL_COUNTS)))
    start, load = time.perf_counter(), os.getloadavg()[0]
    commit = snapshot_code(work / "code")
    print(f"measuring mattehub at {commit} (copied to {work / 'code'}); counts {counts}", flush=True)
    sys.path.insert(0, str(work / "code"))
    rows = measure(counts, work)
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_memory.py",
                          *(sys.argv[1:] if argv is None else argv)])
    head = measured_lines(info, command, time.perf_counter() - start, (load, os.getloadavg()[0]))
    (work / "results-memory.json").write_text(json.dumps(
        dict(runs=rows, machine=info), indent=1, default=str))
    publish(report(head, rows, work), MARKS, args)


if __name__ == "__main__":
    main()

"""Benchmark of the ``i-him`` build: samples/s per core and peak memory (run on demand).

Three runs on the same synthetic HHM-style sources (~1024 px backgrounds), each in its own
process pinned to one CPU, timing only the work (not interpreter start or imports):

  (a) ``mattehub.build.run.build`` of the ``i-him`` recipe, writing Parquet + WebDataset shards;
  (b) ``reference_i_him.py``: the release's algorithm with Pillow + numpy, release folders;
  (c) ``codec_floor.py``: only the decoding and encoding a sample needs, via mattehub.contract.codecs.

All three draw each sample's instance count, foregrounds and background from mattehub's
per-sample generator, so they work on the same inputs. Then (a) is run on smaller sources
for 500 / 2,000 / 5,000 samples to show its peak RSS does not grow with the sample count.
A full run prints a table and rewrites its section of ``docs/benchmarks.md``; ``--quick``
only prints. See ``benchmarks/README.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from common import benchmark_parser, check_snapshot, label, machine, snapshot_code, write_docs
from i_him_report import report, targets_table
from i_him_setup import (CODE, CONFIG, DOCS, FULL, HERE, KINDS, LARGE, MARK_END, MARK_START, PACKAGES,
                         QUICK, SEED, SMALL, STAGES, WORK, Plan, ensure_sources, source_paths)


# --- the three workloads (run inside a child process) ------------------------------------


Runner = Callable[[Path, Path, int], dict]


def mattehub_runner(_placed_file: str | None = None) -> Runner:
    """(a): import mattehub, return a function that builds ``n`` samples into ``out``.

    The function has a ``details(out)`` attribute, called after the timed part: the mean
    instance count and, per sample index, the foregrounds placed (for the floor).
    """
    import pyarrow.parquet as pq

    from mattehub.build.run import BuildOptions, build
    from mattehub.families.image_him.options import ImageHimOptions
    from mattehub.families.image_him.recipe import ImageHimRecipe

    def run(src: Path, out: Path, n: int) -> dict:
        image_root, bg_root, invalid = source_paths(src)
        options = ImageHimOptions(image_root=str(image_root), bg_root=str(bg_root),
                                  invalid_names=str(invalid))
        report = build(ImageHimRecipe(options, SEED),
                       BuildOptions(out=out, num_samples=n, workers=1, progress=False))
        return {"samples": report.samples, "shards": report.shards}

    def details(out: Path) -> dict:
        metas = [m for path in sorted((out / CONFIG).glob("*.parquet"))
                 for m in pq.read_table(path, columns=["meta"]).column("meta").to_pylist()]
        placed = {m["index"]: [i["source"] for i in m["instances"]]
                  for m in metas if m["attempt"] == 0}
        return {"instances": sum(m["num_instances"] for m in metas) / max(1, len(metas)),
                "placed": placed}

    run.details = details
    return run


def reference_runner(_placed_file: str | None = None) -> Runner:
    """(b): the Pillow + numpy reference, fed mattehub's per-sample generator."""
    from mattehub.core.rng import sample_rng
    from reference_i_him import run_reference

    def run(src: Path, out: Path, n: int) -> dict:
        image_root, bg_root, invalid = source_paths(src)
        stats = run_reference(image_root, bg_root, invalid, out, n,
                              rng_for=lambda index: sample_rng(CONFIG, SEED, index))
        return {"samples": stats.samples, "instances": stats.instances / max(1, stats.samples)}

    return run


def floor_runner(placed_file: str | None = None) -> Runner:
    """(c): the codec floor, encoding the instances (a) placed (JSON file from its run)."""
    from codec_floor import run_floor

    placed = json.loads(Path(placed_file).read_text()) if placed_file else {}
    placed = {int(index): set(sources) for index, sources in placed.items()}

    def run(src: Path, out: Path, n: int) -> dict:
        image_root, bg_root, invalid = source_paths(src)
        stats = run_floor(image_root, bg_root, invalid, n, seed=SEED, placed=placed)
        return {"samples": stats.samples, "instances": stats.instances / max(1, stats.samples)}

    return run


RUNNERS = {"a": mattehub_runner, "b": reference_runner, "c": floor_runner}


def child_main(args: argparse.Namespace) -> None:
    """Pin to one CPU, run one workload, print its result as one JSON line."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    run = RUNNERS[args.child](args.placed)
    check_snapshot(CODE)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(Path(args.src), out, args.samples)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile_out)
    if hasattr(run, "details"):
        result.update(run.details(out))
    print(json.dumps(dict(result, seconds=wall, cpu_seconds=cpu)))


# --- the parent: run children, collect numbers --------------------------------------------


def run_child(kind: str, src: Path, samples: int, profile_out: Path | None = None,
              placed_file: Path | None = None) -> dict:
    """Run one workload in a fresh process; adds its peak RSS (MiB) from ``wait4``."""
    out = WORK / f"out-{kind}"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--src", str(src),
           "--out", str(out), "--samples", str(samples)]
    if profile_out:
        cmd += ["--profile-out", str(profile_out)]
    if placed_file:
        cmd += ["--placed", str(placed_file)]
    path = os.pathsep.join(filter(None, [str(CODE), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=path))
    stdout = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run ({kind}) failed with exit code {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return dict(result, kind=kind, peak_rss_mib=usage.ru_maxrss / 1024)


def throughput(src: Path, plan: Plan) -> dict[str, dict]:
    """Best-of runs of (a), (b), (c), interleaved so slow drifts hit all three alike."""
    runs: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    placed_file = WORK / "placed-a.json"
    for number in range(plan.repeats):
        for kind in KINDS:
            result = run_child(kind, src, plan.samples,
                               placed_file=placed_file if kind == "c" else None)
            if kind == "a":
                placed_file.write_text(json.dumps(result.pop("placed")))
            runs[kind].append(result)
            print(f"  ({kind}) run {number + 1}/{plan.repeats}: "
                  f"{runs[kind][-1]['seconds']:.1f} s", flush=True)
    results = {}
    for kind, kind_runs in runs.items():
        best = min(kind_runs, key=lambda r: r["seconds"])
        results[kind] = dict(best, all_seconds=[r["seconds"] for r in kind_runs],
                             peak_rss_mib=max(r["peak_rss_mib"] for r in kind_runs))
    return results


def memory_runs(src: Path, counts: tuple[int, ...]) -> list[dict]:
    """(a) for each sample count, one run each, with its peak RSS."""
    rows = []
    for count in counts:
        rows.append(run_child("a", src, count))
        rows[-1].pop("placed")
        print(f"  (a) {count} samples: {rows[-1]['seconds']:.1f} s, "
              f"peak RSS {rows[-1]['peak_rss_mib']:.0f} MiB", flush=True)
    return rows


def profile_a(src: Path, samples: int, top: int = 12) -> dict:
    """cProfile (a); returns the top functions by own time and mattehub's by cumulative time."""
    import pstats

    path = WORK / "profile-a.prof"
    run_child("a", src, samples, profile_out=path)
    stats = pstats.Stats(str(path))
    total = stats.total_tt

    def rows(key: int, keep: Callable[[str], bool]) -> list[dict]:
        entries = sorted(stats.stats.items(), key=lambda item: -item[1][key])
        picked = [(func, data) for func, data in entries if keep(func[0])][:top]
        return [{"function": label(func), "calls": data[1], "own_s": data[2], "cum_s": data[3],
                 "share": data[key] / total} for func, data in picked]

    stages = []
    for filename, name, what in STAGES:
        cum = sum(data[3] for func, data in stats.stats.items()
                  if func[2] == name and func[0].endswith(f"/{filename}"))
        stages.append({"stage": what, "function": f"{filename}:{name}", "cum_s": cum,
                       "share": cum / total})
    return {"samples": samples, "total_s": total, "by_own": rows(2, lambda f: True),
            "stages": stages}


# --- command line -------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (``--child`` and friends are internal)."""
    parser = benchmark_parser(__doc__, "samples", FULL, QUICK,
                              "cProfile (a) (default: yes for a full run; with --quick only when a target is missed)",
                              "A full run takes ~7-8 min on 2 cores.", ("--child", "--src", "--out", "--profile-out", "--placed"))
    args = parser.parse_args(argv)
    if args.child and args.samples is None:
        parser.error("--child needs --samples")
    return args


def make_plan(args: argparse.Namespace) -> Plan:
    """The preset (full or quick) with any command-line overrides."""
    plan = QUICK if args.quick else FULL
    return Plan(samples=args.samples or plan.samples, repeats=args.repeats or plan.repeats,
                rss_counts=args.rss_samples or plan.rss_counts,
                profile_samples=min(plan.profile_samples, args.samples or plan.profile_samples))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark: sources, throughput, memory, maybe a profile; print and record."""
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    start, plan, commit = time.perf_counter(), make_plan(args), snapshot_code(CODE)
    print(f"measuring mattehub at {commit} (copied to {CODE.relative_to(HERE.parent)})")
    print("sources ...", flush=True)
    large, small = ensure_sources(LARGE), ensure_sources(SMALL)
    print(f"throughput: {plan.samples} samples x {plan.repeats} runs of (a), (b), (c)", flush=True)
    results = throughput(large, plan)
    print(f"memory: (a) at {', '.join(map(str, plan.rss_counts))} samples", flush=True)
    memory = memory_runs(small, plan.rss_counts)
    _, met = targets_table(results)
    profile = None
    if args.profile or (args.profile is None and not (args.quick and met)):
        print(f"profile: (a) under cProfile, {plan.profile_samples} samples", flush=True)
        profile = profile_a(large, plan.profile_samples)
    info = dict(machine(PACKAGES), commit=commit)
    section = report(info, plan, results, memory, profile, time.perf_counter() - start)
    raw = {"machine": info, "plan": asdict(plan), "throughput": results, "memory": memory,
           "profile": profile}
    (WORK / "results-i-him.json").write_text(json.dumps(raw, indent=1))
    print("\n" + section)
    if args.docs if args.docs is not None else not args.quick:
        write_docs(section, (MARK_START, MARK_END))
        print(f"written to {DOCS}")


if __name__ == "__main__":
    main()

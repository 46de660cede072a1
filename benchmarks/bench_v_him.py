"""Benchmark of the ``v-him`` build: clips/s per core and peak memory (run on demand).

Two workloads on the same synthetic video sources (frame folders: 512x640 people drifting
across the frame, 1024x576 backgrounds, still or moving), each in its own process pinned to
one CPU, timing only the work (not interpreter start or imports):

  (a) ``mattehub.build.run.build`` of the ``v-him`` recipe, writing Parquet + WebDataset shards;
  (b) ``reference_v_him.py``: the release's algorithm with Pillow + numpy, release folders.

Both draw each clip attempt's choices (level, sources, start frames, background, layout)
from mattehub's per-clip generator, so they make the same clips; the run checks that the
clips written by (b) match (a)'s meta. Then (a) is run for two clip counts to show its peak
RSS does not grow with the number of clips. When (a) misses the target it is profiled
(cProfile: top functions, stages, time in accepted and rejected attempts). A full run
prints a table and rewrites its section of ``docs/benchmarks.md``; ``--quick`` only prints.

    python benchmarks/bench_v_him.py            # full run, ~9 min on 2 cores
    python benchmarks/bench_v_him.py --quick    # ~1.5 min smoke run, prints only
    python benchmarks/bench_v_him.py --help     # --clips, --repeats, --rss-clips, --profile, --docs

Sources are generated once into ``benchmarks/_work/v_him/`` (git-ignored) and reused.
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
from v_him_report import report, targets_table
from v_him_setup import (CHOICE_KEYS, CODE, CONFIG, DOCS, FULL, HERE, KINDS, MARK_END, MARK_START,
                         PACKAGES, QUICK, SEED, SOURCES, STAGES, WORK, Plan, ensure_sources)


# --- the two workloads (run inside a child process) --------------------------------------


Runner = Callable[[Path, Path, int], dict]


def mattehub_runner() -> Runner:
    """(a): import mattehub, return a function that builds ``n`` clips into ``out``.

    Its ``details(out)`` (called after the timed part) reads the written clips' meta.
    """
    import pyarrow.parquet as pq

    from mattehub.build.run import BuildOptions, build
    from mattehub.families.video_him.options import VideoHimOptions
    from mattehub.families.video_him.recipe import VideoHimRecipe

    def run(src: Path, out: Path, n: int) -> dict:
        report = build(VideoHimRecipe(VideoHimOptions(data_dir=str(src)), SEED),
                       BuildOptions(out=out, num_samples=n, workers=1, progress=False))
        return {"clips": report.samples, "skipped": report.skipped, "shards": report.shards}

    def details(out: Path) -> dict:
        metas = [m for path in sorted((out / CONFIG).glob("*.parquet"))
                 for m in pq.read_table(path, columns=["meta"]).column("meta").to_pylist()]
        return {"frames": sum(m["num_frames"] for m in metas),
                "instances": sum(m["num_instances"] for m in metas),
                "written_attempts": sum(m["attempt"] + 1 for m in metas),
                "choices": {m["index"]: {k: m[k] for k in CHOICE_KEYS} for m in metas}}

    run.details = details
    return run


def reference_runner() -> Runner:
    """(b): the Pillow + numpy reference, fed mattehub's per-clip generator."""
    from mattehub.core.rng import sample_rng
    from reference_v_him import MAX_ATTEMPTS, run_reference

    def run(src: Path, out: Path, n: int) -> dict:
        def rng_for(index: int, attempt: int):
            return sample_rng(CONFIG, SEED, index, attempt)

        stats = run_reference(src, out, n, rng_for=rng_for)
        return {"clips": stats.clips, "skipped": stats.skipped, "attempts": stats.attempts,
                "frames": stats.frames, "instances": stats.instances,
                "rejected_seconds": stats.rejected_seconds, "max_attempts": MAX_ATTEMPTS,
                "choices": stats.choices}

    return run


RUNNERS = {"a": mattehub_runner, "b": reference_runner}


def time_attempts() -> dict:
    """Wrap (a)'s ``synthesise_clip`` to add up the time of accepted and rejected attempts."""
    import mattehub.families.video_him.recipe as recipe_module

    totals = {"accepted_s": 0.0, "rejected_s": 0.0, "accepted": 0, "rejected": 0}
    synthesise = recipe_module.synthesise_clip

    def timed(*args, **kwargs):
        began = time.perf_counter()
        result = synthesise(*args, **kwargs)
        key = "accepted" if result.ok else "rejected"
        totals[f"{key}_s"] += time.perf_counter() - began
        totals[key] += 1
        return result

    recipe_module.synthesise_clip = timed
    return totals


def child_main(args: argparse.Namespace) -> None:
    """Pin to one CPU, run one workload, write its result as JSON to ``--result``."""
    os.sched_setaffinity(0, {int(args.cpu)})
    run = RUNNERS[args.child]()
    check_snapshot(CODE)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    attempts = time_attempts() if args.child == "a" else None  # a clock read per attempt
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(Path(args.src), out, args.clips)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile_out)
    if attempts is not None:
        result.update(attempt_times=attempts, rejected_seconds=attempts["rejected_s"])
    if hasattr(run, "details"):
        result.update(run.details(out))
    Path(args.result).write_text(json.dumps(dict(result, seconds=wall, cpu_seconds=cpu)))


# --- the parent: run children, collect numbers --------------------------------------------


def start_child(kind: str, src: Path, clips: int, cpu: int, tag: str = "",
                profile_out: Path | None = None) -> tuple[subprocess.Popen, Path, Path]:
    """Start one workload in a fresh process pinned to ``cpu``."""
    out, result = WORK / f"out-{kind}{tag}", WORK / f"result-{kind}{tag}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--src", str(src),
           "--out", str(out), "--clips", str(clips), "--cpu", str(cpu), "--result", str(result)]
    if profile_out:
        cmd += ["--profile-out", str(profile_out)]
    path = os.pathsep.join(filter(None, [str(CODE), str(HERE), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, env=dict(os.environ, PYTHONPATH=path))
    return proc, out, result


def finish_child(kind: str, started: tuple[subprocess.Popen, Path, Path]) -> dict:
    """Wait for a child; its result plus its peak RSS (MiB) from ``wait4``."""
    proc, out, result = started
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run ({kind}) failed with exit code {proc.returncode}")
    data = json.loads(result.read_text())
    result.unlink()
    data["choices"] = {int(k): v for k, v in data.get("choices", {}).items()}
    return dict(data, kind=kind, peak_rss_mib=usage.ru_maxrss / 1024)


def run_child(kind: str, src: Path, clips: int, profile_out: Path | None = None) -> dict:
    """One workload on the first CPU we may use, waited for."""
    cpu = min(os.sched_getaffinity(0))
    return finish_child(kind, start_child(kind, src, clips, cpu, profile_out=profile_out))


def throughput(src: Path, plan: Plan) -> dict[str, dict]:
    """Best-of runs of (a) and (b), interleaved so slow drifts hit both alike."""
    runs: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for number in range(plan.repeats):
        for kind in KINDS:
            runs[kind].append(run_child(kind, src, plan.clips))
            print(f"  ({kind}) run {number + 1}/{plan.repeats}: "
                  f"{runs[kind][-1]['seconds']:.1f} s", flush=True)
    results = {}
    for kind, kind_runs in runs.items():
        best = min(kind_runs, key=lambda r: r["seconds"])
        results[kind] = dict(best, all_seconds=[r["seconds"] for r in kind_runs],
                             peak_rss_mib=max(r["peak_rss_mib"] for r in kind_runs))
    a, b = results["a"], results["b"]
    a["attempts"] = a.pop("written_attempts") + b["max_attempts"] * a["skipped"]
    return results


def compare_choices(results: dict[str, dict]) -> dict:
    """How many clips (a) and (b) made from identical choices, and which differ."""
    a, b = results["a"]["choices"], results["b"]["choices"]
    differ = sorted(i for i in set(a) | set(b)
                    if i not in a or i not in b or any(a[i][k] != b[i][k] for k in CHOICE_KEYS))
    return {"same": len(set(a) & set(b)) - len([i for i in differ if i in a and i in b]),
            "a_clips": len(a), "b_clips": len(b), "differ": differ}


def memory_runs(src: Path, counts: tuple[int, ...]) -> list[dict]:
    """(a) once per clip count, all at the same time, one CPU each (as many as we may use)."""
    cpus = sorted(os.sched_getaffinity(0))
    rows, pending = [], list(counts)
    while pending:
        batch, pending = pending[:len(cpus)], pending[len(cpus):]
        started = [start_child("a", src, count, cpu, tag=f"-rss{count}")
                   for count, cpu in zip(batch, cpus)]
        for count, child in zip(batch, started):
            row = finish_child("a", child)
            row.pop("choices")
            row["concurrent"] = len(batch)
            rows.append(row)
            print(f"  (a) {count} clips: {row['seconds']:.1f} s, "
                  f"peak RSS {row['peak_rss_mib']:.0f} MiB", flush=True)
    return rows


def profile_a(src: Path, clips: int, top: int = 15) -> dict:
    """cProfile (a); the top functions by own time, stages by cumulative time, attempt split."""
    import pstats

    path = WORK / "profile-a.prof"
    result = run_child("a", src, clips, profile_out=path)
    stats = pstats.Stats(str(path))
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]
    by_own = [{"function": label(func), "calls": data[1], "own_s": data[2], "cum_s": data[3],
               "share": data[2] / total} for func, data in entries]
    stages = []
    for filename, name, what in STAGES:
        cum = sum(data[3] for func, data in stats.stats.items()
                  if func[2] == name and func[0].endswith(f"/{filename}"))
        stages.append({"stage": what, "function": f"{filename}:{name}", "cum_s": cum,
                       "share": cum / total})
    return {"clips": clips, "total_s": total, "by_own": by_own, "stages": stages,
            "attempts": result["attempt_times"], "written": result["clips"]}


# --- command line -------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (``--child`` and friends are internal)."""
    parser = benchmark_parser(__doc__, "clips", FULL, QUICK,
                              "cProfile (a) (default: when the target is missed)",
                              "A full run takes ~9 min on 2 cores.", ("--child", "--src", "--out", "--profile-out", "--cpu", "--result"))
    args = parser.parse_args(argv)
    if args.child and args.clips is None:
        parser.error("--child needs --clips")
    return args


def make_plan(args: argparse.Namespace) -> Plan:
    """The preset (full or quick) with any command-line overrides."""
    plan = QUICK if args.quick else FULL
    return Plan(clips=args.clips or plan.clips, repeats=args.repeats or plan.repeats,
                rss_counts=args.rss_clips or plan.rss_counts,
                profile_clips=min(plan.profile_clips, args.clips or plan.profile_clips))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark: sources, throughput, memory, maybe a profile; print and record."""
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    start, plan, commit = time.perf_counter(), make_plan(args), snapshot_code(CODE)
    print(f"measuring mattehub at {commit} (copied to {CODE.relative_to(HERE.parent)})")
    print("sources ...", flush=True)
    src = ensure_sources(SOURCES)
    print(f"throughput: {plan.clips} clips x {plan.repeats} runs of (a), (b)", flush=True)
    results = throughput(src, plan)
    check = compare_choices(results)
    print(f"memory: (a) at {', '.join(map(str, plan.rss_counts))} clips", flush=True)
    memory = memory_runs(src, plan.rss_counts)
    _, met, ratio = targets_table(results)
    print(f"a/b = {ratio:.2f}x ({'met' if met else 'NOT met'})", flush=True)
    profile = None
    if args.profile or (args.profile is None and not met):
        print(f"profile: (a) under cProfile, {plan.profile_clips} clips", flush=True)
        profile = profile_a(src, plan.profile_clips)
    info = dict(machine(PACKAGES), commit=commit)
    section = report(info, plan, results, check, memory, profile, time.perf_counter() - start)
    raw = {"machine": info, "plan": asdict(plan), "throughput": results, "check": check,
           "memory": memory, "profile": profile}
    (WORK / "results-v-him.json").write_text(json.dumps(raw, indent=1, default=str))
    print("\n" + section)
    if args.docs if args.docs is not None else not args.quick:
        write_docs(section, (MARK_START, MARK_END))
        print(f"written to {DOCS}")


if __name__ == "__main__":
    main()

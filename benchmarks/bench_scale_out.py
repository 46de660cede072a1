"""Benchmark of scaling out the ``i-him`` build (issues 12, 20): more workers, Ray, cost per
shard, and a projection to many cores.

On synthetic HHM-style sources (``mattehub.families.standins.make_hhm_sources``, generated once in
``/dev/shm/mattehub-bench-scale-out``, else the temp folder; or ``--work``), Parquet +
WebDataset, the same options and seed, ``--max-samples-per-shard`` chosen for >= 8 shards,
best of ``--repeats`` interleaved runs:

- whole process, as a user runs ``mattehub build i-him ...`` (a fresh interpreter per run,
  ``common.whole_process``: wall from outside, interpreter start and imports included; CPU
  of the process tree from ``RUSAGE_CHILDREN``; the parent's own CPU reported by the child):
  (1) ``--workers 1``; (1-pinned) the same pinned to one CPU; (2) ``--workers 2``;
  (ranges) two processes started together, each ``--workers 1 --index-range`` over half
  the shards into one folder; (2-small) (2) on its first 2 shards and (p-tiny),
  (p-tiny-small) the same on many tiny samples: their slopes give the CPU per further
  sample. Targets: samples/s of (2) >= 1.8x (1); total CPU per sample of (2) <= 1.1x (1);
  the parent's CPU per further sample <= 0.5 ms, with the ceiling it sets (1 / that) and
  what 64 workers would make;
- (ray) ``--distributor ray`` on a local Ray cluster of 2 CPUs, started in the child before
  the build (``ray.init`` timed apart, not counted); its build call against (2)'s. Target:
  within 15%;
- Ray's cost per shard: tiny samples (64x48 backgrounds), one per shard, written by the
  ``local`` distributor (``--index-range 0:``, one process) (t-local) and by Ray (t-ray),
  both timed on a second, warm build. Overhead per shard = (2 x t-ray - t-local) / shards;
  plus a no-op Ray task's round trip and throughput;
- the output disk's sequential write MB/s (tmpfs and ``--disk-dir``) and a projection
  (``scale_projection.py``) of a 50,000-sample I-HIM50K-like build on 16 and 64 cores and
  on Ray with 4 nodes of 16 cores: samples/s, wall time, which resource binds next.

Every run's shard files (``OUT/i-him``, ``OUT/wds``) are hashed (sha256) and compared across
(1), (1-pinned), (2), (ranges), (ray) (and t-local against t-ray). When (2) misses its
target, (2) is run once more in a child under cProfile. A full run first waits until the
1-minute load average is below 0.6 (the machine is shared), then rewrites its section of
``docs/benchmarks.md``; ``--quick`` only prints.

    python benchmarks/bench_scale_out.py            # full run, ~5 min on 2 cores (plus the wait)
    python benchmarks/bench_scale_out.py --quick    # ~1.5 min smoke run, prints only
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

from common import (HERE, best_of, check_snapshot, child_benchmark_parser, child_result,
                    machine, measured_lines, publish, run_child, snapshot_code, timed)
from scale_out_report import TARGET_WORKERS, report, speedup
from scale_out_setup import (FULL, IDENTICAL, LOAD_POLL, LOAD_QUIET, LOAD_WAIT, MAIN, PACKAGES,
                             QUICK, RAY_CPUS, RUNS, TINY, WORK, Plan, cli_args, outputs, sources,
                             whole_run)

SCRIPT = Path(__file__).resolve()
MARKS = ("<!-- bench_scale_out:start -->", "<!-- bench_scale_out:end -->")

# --- children: Ray and warm builds, in a fresh process ----------------------------------------
def child_main(spec: dict) -> None:
    """Run one build (``spec``) in this process and print its result (``common.child_result``)."""
    begin = time.perf_counter()
    os.chdir(spec["code"])  # Ray puts the driver's working folder on its workers' sys.path
    check_snapshot(Path(spec["code"]))
    from mattehub.cli import main as cli

    result = {"import_seconds": time.perf_counter() - begin}
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)
    ray = None
    if spec.get("distributor") == "ray":
        import ray

        started = time.perf_counter()
        ray.init(num_cpus=RAY_CPUS, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
        result["ray_start_seconds"] = time.perf_counter() - started
    if spec.get("warm"):  # a first build warms up (starts Ray's workers); the timed one follows
        cold = timed(lambda: {"exit": cli.main(cli_args(spec, out))})
        result.update(cold_seconds=cold["seconds"], cold_files=outputs(out)["files"])
        shutil.rmtree(out, ignore_errors=True)
    args = cli_args(spec, out)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_tree = tree_cpu() if ray else {}
    result.update(timed(lambda: {"exit": cli.main(args)}, spec.get("profile")))
    if result["exit"]:
        raise SystemExit(f"mattehub {shlex.join(args)} exited with {result['exit']}")
    if ray:  # Ray's processes (raylet, GCS, workers...) are not reaped children: ask psutil
        after = tree_cpu()
        result["helpers_cpu_seconds"] = sum(c - before_tree.get(pid, 0.0) for pid, c in after.items())
    else:  # a local pool's workers, reaped when it closes
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["helpers_cpu_seconds"] = (after_children.ru_utime + after_children.ru_stime
                                         - before_children.ru_utime - before_children.ru_stime)
    result.update(outputs(out), inside_seconds=result["seconds"],
                  inside_cpu_seconds=result["cpu_seconds"])
    result["tree_cpu_seconds"] = result["cpu_seconds"] + result["helpers_cpu_seconds"]
    shutil.rmtree(out, ignore_errors=True)
    if ray:
        result.update(ray_checks(ray, spec))
        started = time.perf_counter()
        ray.shutdown()
        result["ray_shutdown_seconds"] = time.perf_counter() - started
    child_result(result)


def tree_cpu() -> dict[int, float]:
    """User + system CPU seconds of every live descendant of this process, by pid."""
    import psutil

    cpu = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            times_ = proc.cpu_times()
            cpu[proc.pid] = times_.user + times_.system
        except psutil.Error:
            pass
    return cpu


def _noop() -> None:
    return None


def _mattehub_file() -> str:
    import mattehub

    return mattehub.__file__


def ray_checks(ray, spec: dict) -> dict:
    """After the timed build: which mattehub the Ray workers imported (must be the snapshot);
    with ``noop_tasks``, a no-op task's round trip (one at a time) and per-task time when
    ``noop_tasks`` are in flight together on the cluster."""
    remote = ray.remote(num_cpus=1)
    files = set(ray.get([remote(_mattehub_file).remote() for _ in range(2 * RAY_CPUS)]))
    code = Path(spec["code"]).resolve()
    if not all(Path(f).resolve().is_relative_to(code) for f in files):
        raise SystemExit(f"Ray workers imported mattehub from {files}, not from {code}")
    result = {}
    if spec.get("noop_tasks"):
        noop = remote(_noop)
        ray.get([noop.remote() for _ in range(2 * RAY_CPUS)])  # exported, workers ready
        rounds = 50
        started = time.perf_counter()
        for _ in range(rounds):
            ray.get(noop.remote())
        result["noop_round_trip_seconds"] = (time.perf_counter() - started) / rounds
        started = time.perf_counter()
        ray.get([noop.remote() for _ in range(spec["noop_tasks"])])
        result["noop_throughput_seconds"] = (time.perf_counter() - started) / spec["noop_tasks"]
    return result


# --- the parent -----------------------------------------------------------------------------
def wait_for_quiet() -> dict:
    """Wait until the 1-minute load average is below LOAD_QUIET (at most LOAD_WAIT s)."""
    started = time.perf_counter()
    while (load := os.getloadavg()[0]) >= LOAD_QUIET and time.perf_counter() - started < LOAD_WAIT:
        print(f"  load average {load:.2f} >= {LOAD_QUIET}: waiting ({time.perf_counter() - started:.0f} s "
              f"so far, at most {LOAD_WAIT // 60} min)", flush=True)
        time.sleep(LOAD_POLL)
    return {"waited_seconds": time.perf_counter() - started, "load": load, "quiet": load < LOAD_QUIET}


def child(kind: str, srcs: dict[str, Path], plan: Plan, **extra) -> dict:
    """Run workload ``kind``: a whole process (``whole_run``) or a child (``child_main``)."""
    which, spec, _ = RUNS[kind]
    spec = dict(spec, kind=kind, code=str(WORK / "code"), src=str(srcs[which]),
                out=str(WORK / "out"), **extra)  # one path: the cards name the folder
    if which == "main":
        spec.update(samples=plan.per_shard * 2 if spec.get("small") else plan.samples,
                    per_shard=plan.per_shard)
    elif spec.get("probe"):
        spec.update(samples=plan.probe_per_shard * 2 if spec.get("small") else plan.probe_samples,
                    per_shard=plan.probe_per_shard)
    else:
        spec.update(samples=plan.tiny_samples, per_shard=1)
        if kind == "t-ray":
            spec["noop_tasks"] = plan.noop_tasks
    cpu = min(os.sched_getaffinity(0)) if spec.get("pin") else None
    if spec.get("whole") and not spec.get("profile"):
        return whole_run(spec, cpu)
    return run_child(SCRIPT, WORK / "code", spec, cpu)


def identity(runs: dict[str, list[dict]]) -> list[dict]:
    """Per group of IDENTICAL: the files, whether every run of the group (all repeats, and
    the warm-up builds) has the same sha256 for each, and the files that differ."""
    groups = []
    for group in IDENTICAL:
        maps = [(kind, r["files"]) for kind in group for r in runs[kind]]
        maps += [(f"{kind} (cold)", r["cold_files"]) for kind in group for r in runs[kind]
                 if "cold_files" in r]
        first = maps[0][1]
        names = sorted(set().union(*(m.keys() for _, m in maps)))
        differ = [n for n in names if len({m.get(n) for _, m in maps}) > 1]
        groups.append({"group": group, "builds": len(maps), "files": len(first),
                       "identical": not differ, "differ": differ})
    return groups


def collect(srcs: dict[str, Path], plan: Plan) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """best_of over RUNS, keeping every run's result (for the identity check)."""
    every: dict[str, list[dict]] = {kind: [] for kind in RUNS}

    def run(kind: str) -> dict:
        result = child(kind, srcs, plan)
        every[kind].append(result)
        return result

    return best_of(RUNS, plan.repeats, run), every


def disk_speeds(plan: Plan, disk_dir: Path) -> dict[str, float]:
    """Sequential write MB/s to the tmpfs scratch folder and to ``disk_dir``."""
    from scale_projection import write_speed

    speeds = {str(folder): write_speed(folder, plan.disk_mb) for folder in (WORK, disk_dir)}
    print("  write speed: " + ", ".join(f"{k} {v:.0f} MB/s" for k, v in speeds.items()), flush=True)
    return speeds


def main(argv: list[str] | None = None) -> None:
    global WORK
    parser = child_benchmark_parser(
        __doc__, "A full run takes ~5 min on 2 cores, after the wait for a quiet machine.",
        (FULL.repeats, QUICK.repeats), WORK,
        "cProfile (2) in a child (default: when the 1.8x target is missed)")
    parser.add_argument("--samples", type=int, help=f"samples of (1), (2), (ray) (default "
                                                    f"{FULL.samples}, quick {QUICK.samples})")
    parser.add_argument("--wait", action=argparse.BooleanOptionalAction, default=None,
                        help=f"first wait for the load average to drop below {LOAD_QUIET} "
                             f"(default: yes for a full run, no with --quick)")
    parser.add_argument("--disk-dir", type=Path, default=HERE / "_work",
                        help="a folder on the disk a build would write to, for the write-speed "
                             "test (default %(default)s)")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    base = QUICK if args.quick else FULL
    samples = args.samples or base.samples
    per_shard = max(1, min(base.per_shard, samples // 8))  # >= 8 shards
    plan = Plan(samples, per_shard, base.tiny_samples, base.noop_tasks,
                args.repeats or base.repeats, base.disk_mb, base.probe_samples, base.probe_per_shard)
    WORK = args.work.resolve()
    WORK.mkdir(parents=True, exist_ok=True)
    wait = wait_for_quiet() if (args.wait if args.wait is not None else not args.quick) else None
    start, load = time.perf_counter(), os.getloadavg()[0]
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    srcs = {"main": sources(MAIN, WORK), "tiny": sources(TINY, WORK)}
    print(f"runs: {plan.samples} samples in {plan.shards} shards; {plan.tiny_samples} tiny shards; "
          f"{plan.repeats} rounds", flush=True)
    results, every = collect(srcs, plan)
    groups = identity(every)
    for group in groups:
        print(f"  identical {group['group']}: {group['identical']} ({group['files']} files, "
              f"{group['builds']} builds)", flush=True)
    speeds = disk_speeds(plan, args.disk_dir.resolve())  # the disk's is the projection's
    profile = None
    if args.profile or (args.profile is None and speedup(results) < TARGET_WORKERS):
        profile = WORK / "workers-2.prof"
        print("profile: (2) in a child under cProfile", flush=True)
        child("2", srcs, plan, profile=str(profile))
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_scale_out.py",
                          *(sys.argv[1:] if argv is None else argv)])
    head = measured_lines(info, command, time.perf_counter() - start, (load, os.getloadavg()[0]))
    section = report(head, results, every, plan, groups, profile, wait, speeds, WORK,
                     args.disk_dir.resolve(), MARKS)
    for runs in [*every.values(), results.values()]:
        for run in runs:
            run.pop("files", None), run.pop("cold_files", None)
    (WORK / "results-scale-out.json").write_text(json.dumps(
        dict(results=results, runs=every, identity=groups, plan=asdict(plan), machine=info,
             wait=wait, write_mb_s=speeds), indent=1, default=str))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()

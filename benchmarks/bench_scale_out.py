"""Benchmark of scaling out the ``i-him`` build (issue 12): more workers, Ray, cost per shard.

On synthetic HHM-style sources (``mattehub.families.standins.make_hhm_sources``, generated once in
``/dev/shm/mattehub-bench-scale-out``, else the temp folder; or ``--work``), each workload a
fresh process (not pinned: the machine's 2 CPUs are free to use) running
``mattehub.cli.main.main(["build", "i-him", ...])`` with the same options and seed, Parquet +
WebDataset, ``--max-samples-per-shard`` chosen for >= 8 shards; the time covers the build
only (not interpreter start, imports or Ray's start-up), best of ``--repeats`` interleaved
runs:

- (1) local ``--workers 1``; (1-pinned) the same in a process pinned to one CPU;
- (2) local ``--workers 2``. Target: samples/s of (2) >= 1.8x (1);
- (ranges) the ceiling without a single writer: two processes started together, each
  ``--workers 1 --index-range`` over half the shards into the same folder;
- (ray) ``--distributor ray`` on a local Ray cluster of 2 CPUs, started in the child with
  ``ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)`` before the build
  (so the build uses it); its start-up is timed apart and not counted. Target: time within
  15% of (2);
- Ray's cost per shard: tiny samples (64x48 backgrounds), one per shard, written by the
  ``local`` distributor (``--index-range 0:``: the same ``write_shard`` per shard as a Ray
  task, one process) (t-local) and by Ray (t-ray, timed on warm workers after a first,
  cold build whose extra time is the workers' start). Overhead per shard = (2 x t-ray -
  t-local) / shards: the time a shard holds one of the 2 Ray slots beyond its own work.
  Plus a no-op Ray task's round trip and throughput on the same cluster.

Every run's shard files (everything under ``OUT/i-him`` and ``OUT/wds``) are hashed
(sha256) and compared across (1), (1-pinned), (2), (ranges) and (ray) (and t-local against
t-ray). (1) and (2) also note when the writer gets its first sample (the spawn workers'
start-up); when (2) misses its target, its main process is run once more under cProfile. A full run
first waits until the 1-minute load average is below 0.6 (the machine is shared), then
rewrites its section of ``docs/benchmarks.md``; ``--quick`` only prints.

    python benchmarks/bench_scale_out.py            # full run, ~5 min on 2 cores (plus the wait)
    python benchmarks/bench_scale_out.py --quick    # ~1 min smoke run, prints only
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common import (child_benchmark_parser, best_of, cached, check_snapshot, child_result,
                    machine, md_table, measured_lines, publish, ratio_table, run_child,
                    snapshot_code, timed, times, top_functions, functions_table)

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-scale-out"  # tmpfs: outputs cost no disk
SCRIPT = Path(__file__).resolve()
SEED, CONFIG = 0, "i-him"
MARKS = ("<!-- bench_scale_out:start -->", "<!-- bench_scale_out:end -->")
PACKAGES = ("mattehub", "ray", "numpy", "opencv-python-headless", "pyarrow", "webdataset")
TARGET_WORKERS = 1.8
"""(2) samples/s >= this x (1)."""
TARGET_RAY = 1.15
"""(ray) seconds <= this x (2)."""
RAY_CPUS = 2
LOAD_QUIET, LOAD_POLL, LOAD_WAIT = 0.6, 20, 20 * 60
"""A full run starts once the 1-minute load average is below LOAD_QUIET (polled every
LOAD_POLL s, for at most LOAD_WAIT s)."""


@dataclass(frozen=True)
class Sources:
    """Arguments of ``make_hhm_sources`` (sizes are w x h)."""

    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    num_foregrounds: int
    num_backgrounds: int

    @property
    def name(self) -> str:
        return (f"hhm-F{self.num_foregrounds}-{self.fg_size[0]}x{self.fg_size[1]}"
                f"-B{self.num_backgrounds}-{self.bg_size[0]}x{self.bg_size[1]}")


MAIN = Sources(fg_size=(320, 400), bg_size=(800, 600), num_foregrounds=12, num_backgrounds=12)
TINY = Sources(fg_size=(64, 80), bg_size=(64, 48), num_foregrounds=4, num_backgrounds=4)


@dataclass(frozen=True)
class Plan:
    """``samples`` in shards of ``per_shard`` for (1), (2), (ray); ``tiny_samples`` one per
    shard for t-local and t-ray; ``noop_tasks`` for the no-op throughput; best of ``repeats``."""

    samples: int
    per_shard: int
    tiny_samples: int
    noop_tasks: int
    repeats: int

    @property
    def shards(self) -> int:
        return -(-self.samples // self.per_shard)


FULL = Plan(samples=320, per_shard=20, tiny_samples=120, noop_tasks=400, repeats=3)
QUICK = Plan(samples=48, per_shard=6, tiny_samples=40, noop_tasks=100, repeats=1)

RUNS = {  # kind: (sources, spec, what)
    "1": ("main", {"workers": 1}, "local, `--workers 1`"),
    "1-pinned": ("main", {"workers": 1, "pin": True},
                 "local, `--workers 1`, process pinned to one CPU"),
    "2": ("main", {"workers": 2}, "local, `--workers 2`"),
    "ranges": ("main", {"ranges": 2},
               "2 processes started together, each `--workers 1 --index-range` over half the "
               "shards, one output folder (the Slurm-array route; no single writer)"),
    "ray": ("main", {"distributor": "ray"},
            f"`--distributor ray`, local Ray cluster of {RAY_CPUS} CPUs (cold workers)"),
    "t-local": ("tiny", {"workers": 1, "index_range": "0:", "warm": True},
                "tiny samples, 1 per shard: `local` distributor (`--index-range 0:`), 1 process, "
                "warm"),
    "t-ray": ("tiny", {"distributor": "ray", "warm": True},
              "tiny samples, 1 per shard: `--distributor ray`, warm workers"),
}
IDENTICAL = (("1", "1-pinned", "2", "ranges", "ray"), ("t-local", "t-ray"))
"""Groups of runs whose shard files must be byte-identical."""


# --- sources ------------------------------------------------------------------------------
def sources(spec: Sources) -> Path:
    """The sources of ``spec`` under WORK (made once; reused while ``spec`` is unchanged)."""
    from mattehub.families.standins import make_hhm_sources

    return cached(WORK / spec.name, lambda root: make_hhm_sources(
        root, num_foregrounds=spec.num_foregrounds, num_backgrounds=spec.num_backgrounds,
        seed=SEED, fg_size=spec.fg_size, bg_size=spec.bg_size))


# --- children: one workload each, in a fresh process ----------------------------------------
def child_main(spec: dict) -> None:
    """Run one build (``spec``) and print its result (``common.child_result``)."""
    begin = time.perf_counter()
    os.chdir(spec["code"])  # Ray puts the driver's working folder on its workers' sys.path
    check_snapshot(Path(spec["code"]))  # imports mattehub, as a spawn worker does
    heavy = [name for name in ("torch", "datasets", "pandas", "pyarrow") if name in sys.modules]
    from mattehub.cli import main as cli

    result = {"import_seconds": time.perf_counter() - begin, "heavy_imports": heavy}
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)  # a build would resume from an old output
    ray = None
    if spec.get("distributor") == "ray":
        import ray

        started = time.perf_counter()
        ray.init(num_cpus=RAY_CPUS, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
        result["ray_start_seconds"] = time.perf_counter() - started
    if spec.get("warm"):  # a first build warms up (starts Ray's workers); the timed one follows
        cold = timed(lambda: {"exit": cli.main(cli_args(spec, out))})
        result.update(cold_seconds=cold["seconds"], cold_files=shard_digests(out))
        shutil.rmtree(out, ignore_errors=True)
    args = cli_args(spec, out)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_tree = tree_cpu() if ray else {}
    if spec.get("ranges"):
        result.update(run_ranges(spec, out))
    else:
        first = watch_first_sample() if not spec.get("distributor") else {}
        begin = time.perf_counter()
        result.update(timed(lambda: {"exit": cli.main(args)}, spec.get("profile")))
        if "at" in first:
            result["first_sample_seconds"] = first["at"] - begin
    if result["exit"]:
        raise SystemExit(f"mattehub {shlex.join(args)} exited with {result['exit']}")
    if ray:  # Ray's processes (raylet, GCS, workers...) are not reaped children: ask psutil
        after = tree_cpu()
        result["helpers_cpu_seconds"] = sum(cpu - before_tree.get(pid, 0.0) for pid, cpu in after.items())
    else:  # the spawn pool's workers, reaped when the pool closes
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["helpers_cpu_seconds"] = (after_children.ru_utime + after_children.ru_stime
                                         - before_children.ru_utime - before_children.ru_stime)
    if "ranges_cpu_seconds" in result:  # the range processes' CPU while timed (not their imports)
        result["helpers_cpu_seconds"] = result.pop("ranges_cpu_seconds")
    import pyarrow.parquet as pq

    parquet = sorted((out / CONFIG).glob("*.parquet"))
    result.update(samples=sum(pq.read_metadata(p).num_rows for p in parquet), shards=len(parquet),
                  files=shard_digests(out))
    shutil.rmtree(out, ignore_errors=True)
    if ray:
        result.update(ray_checks(ray, spec))
        started = time.perf_counter()
        ray.shutdown()
        result["ray_shutdown_seconds"] = time.perf_counter() - started
    child_result(result)


def cli_args(spec: dict, out: Path) -> list[str]:
    """The ``mattehub build i-him`` arguments of a spec."""
    src = Path(spec["src"])
    args = ["build", CONFIG, "--image-root", str(src / "hhm"), "--bg-root", str(src / "bg"),
            "--invalid-names", str(src / "invalid_him.txt"), "--out", str(out),
            "--num-samples", str(spec["samples"]), "--seed", str(SEED),
            "--workers", str(spec.get("workers", 1)), "--format", "parquet,webdataset",
            "--max-samples-per-shard", str(spec["per_shard"]), "--no-progress"]
    if spec.get("distributor"):
        args += ["--distributor", spec["distributor"]]
    if spec.get("index_range"):
        args += ["--index-range", spec["index_range"]]
    return args


def watch_first_sample() -> dict:
    """Note (``["at"]``, perf_counter) when a local build's writer receives its first sample:
    wraps ``ordered_outcomes`` as the shard loop ``mattehub.build.task`` calls it (nothing
    else changes)."""
    import mattehub.build.task

    original, seen = mattehub.build.task.ordered_outcomes, {}

    def watched(*args, **kwargs):
        for outcome in original(*args, **kwargs):
            seen.setdefault("at", time.perf_counter())
            yield outcome

    mattehub.build.task.ordered_outcomes = watched
    return seen


def run_ranges(spec: dict, out: Path) -> dict:
    """``spec["ranges"]`` spawn processes, each building its share of the shards with
    ``--index-range`` into ``out``; timed from the moment all have imported mattehub (a
    barrier) until the last one is done."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    count, per_shard = spec["ranges"], spec["per_shard"]
    shards = -(-spec["samples"] // per_shard)
    cuts = [per_shard * (-(-shards * k // count)) for k in range(count)]
    ranges = [f"{a}:{b}" for a, b in zip(cuts, cuts[1:])] + [f"{cuts[-1]}:"]
    barrier, queue = context.Barrier(count + 1), context.Queue()
    procs = [context.Process(target=range_worker, args=(spec, str(out), r, barrier, queue))
             for r in ranges]
    for proc in procs:
        proc.start()
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    done = [queue.get() for _ in procs]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    for proc in procs:
        proc.join()
    return {"exit": max(d["exit"] for d in done), "seconds": seconds, "cpu_seconds": cpu,
            "range_seconds": [d["seconds"] for d in done], "ranges": ranges,
            "ranges_cpu_seconds": sum(d["cpu_seconds"] for d in done)}


def range_worker(spec: dict, out: str, index_range: str, barrier, queue) -> None:
    """One process of ``run_ranges``: import, wait for the others, build ``index_range``."""
    os.chdir(spec["code"])
    check_snapshot(Path(spec["code"]))
    from mattehub.cli import main as cli

    barrier.wait()
    args = cli_args(dict(spec, index_range=index_range), Path(out))
    result = timed(lambda: {"exit": cli.main(args)})
    queue.put({"exit": result["exit"], "seconds": result["seconds"],
               "cpu_seconds": result["cpu_seconds"]})


def shard_digests(out: Path) -> dict[str, str]:
    """sha256 of every file under ``out/i-him`` and ``out/wds``, by path relative to ``out``."""
    return {str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in (CONFIG, "wds") for path in sorted((out / folder).rglob("*"))
            if path.is_file()}


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
    """Run workload ``kind`` in a fresh process (unpinned)."""
    which, spec, _ = RUNS[kind]
    spec = dict(spec, kind=kind, code=str(WORK / "code"), src=str(srcs[which]),
                out=str(WORK / "out"), **extra)  # one path: the cards name the folder
    if which == "main":
        spec.update(samples=plan.samples, per_shard=plan.per_shard)
    else:
        spec.update(samples=plan.tiny_samples, per_shard=1)
        if kind == "t-ray":
            spec["noop_tasks"] = plan.noop_tasks
    return run_child(SCRIPT, WORK / "code", spec,
                     min(os.sched_getaffinity(0)) if spec.get("pin") else None)


def identity(results: dict[str, dict], runs: dict[str, list[dict]]) -> list[dict]:
    """Per group of IDENTICAL: the files, whether every run of the group (all repeats, and
    t-ray's cold build) has the same sha256 for each, and the files that differ."""
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


STAGES = {  # title: (file, function) in (2)'s main-process profile, cumulative time
    "whole build (`cli.main`)": ("mattehub/cli/main.py", "main"),
    "scan sources (`prepare`)": ("families/image_him/recipe.py", "prepare"),
    "start the 2 spawn workers (`Pool.__init__`)": ("multiprocessing/pool.py", "__init__"),
    "wait for the workers' samples (`ApplyResult.get`)": ("multiprocessing/pool.py", "get"),
    "write samples to Parquet + tar (`ShardSequence.add`)": ("mattehub/build/sequence.py", "add"),
    "&nbsp;&nbsp;of which close shards: sha256/md5, stats (`ShardSequence.finish`)": ("mattehub/build/sequence.py", "finish"),
    "stop the workers (`Pool.__exit__`)": ("multiprocessing/pool.py", "__exit__"),
    "finalize: preview sheet, index, card (`finalize_split`)": ("mattehub/build/finalize.py", "finalize_split"),
}


def stage_rows(profile: Path, samples: int) -> list[tuple]:
    """(2)'s main process by stage: cumulative seconds, ms/sample, share of the whole build."""
    import pstats

    stats = pstats.Stats(str(profile)).stats
    found = {title: sum(s[3] for (path, _, func), s in stats.items()
                        if func == name and path.endswith(where))
             for title, (where, name) in STAGES.items()}
    total = next(iter(found.values())) or 1.0
    return [(title, f"{seconds:.2f}", f"{1000 * seconds / samples:.1f}", f"{100 * seconds / total:.0f}%")
            for title, seconds in found.items()]


# --- the report -----------------------------------------------------------------------------
def runs_rows(results: dict[str, dict]) -> list[str]:
    rows = []
    for kind, r in results.items():
        per = r["samples"]
        rows.append((f"({kind})", RUNS[kind][2], r["samples"], r["shards"],
                     f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
                     f"**{per / r['seconds']:.1f}**", f"{1000 * r['seconds'] / per:.1f}",
                     f"{1000 * r['cpu_seconds'] / per:.1f}",
                     f"{1000 * r['helpers_cpu_seconds'] / per:.1f}" if kind[0] != "1" else "-",
                     f"{r['ray_start_seconds']:.2f}" if "ray_start_seconds" in r else "-",
                     f"{r['peak_rss_mib']:.0f}"))
    return md_table(("run", "what", "samples:", "shards:", "build seconds, best (runs):",
                     "samples/s:", "ms/sample:", "main-process CPU ms/sample:",
                     "other processes' CPU ms/sample:", "Ray start-up s (not counted):",
                     "main-process peak RSS MiB:"), rows)


def ray_target_rows(results: dict[str, dict]) -> list[str]:
    """(ray) time against (2)'s: ratio of the best runs, per-round range, met."""
    best = results["ray"]["seconds"] / results["2"]["seconds"]
    per_round = [r / w for r, w in zip(results["ray"]["all_seconds"], results["2"]["all_seconds"])]
    low, high = min(per_round), max(per_round)
    met = ("yes" if best <= TARGET_RAY else "**no**") + (
        " (borderline: the per-run range crosses it)" if low <= TARGET_RAY < high else "")
    return md_table((f"seconds ratio (target <= {TARGET_RAY:g}x, i.e. within "
                     f"{100 * (TARGET_RAY - 1):.0f}%)", "best runs:", "per-run range:", "met"),
                    [("(ray)/(2)", f"**{best:.2f}x**", f"{low:.2f}x - {high:.2f}x", met)])


def overhead(results: dict[str, dict]) -> dict:
    """Ray's cost per shard from the tiny-shard runs (seconds)."""
    local, ray = results["t-local"], results["t-ray"]
    shards = ray["shards"]
    return {"shards": shards, "local_per_shard": local["seconds"] / shards,
            "ray_per_shard": ray["seconds"] / shards,
            "slot_per_shard": (RAY_CPUS * ray["seconds"] - local["seconds"]) / shards,
            "wall_per_shard": (ray["seconds"] - local["seconds"] / RAY_CPUS) / shards,
            "cold_extra": (ray["cold_seconds"] - ray["seconds"]) - (local["cold_seconds"] - local["seconds"]),
            "shard_work": results["1"]["seconds"] / results["1"]["shards"],
            "round_trip": ray["noop_round_trip_seconds"], "throughput": ray["noop_throughput_seconds"]}


def analysis(results: dict[str, dict], plan: Plan, cost: dict,
             waiting: float | None) -> list[str]:
    """Where the time of (2) and (ray) goes, from the runs' CPU times and the overhead runs."""
    one, pinned, two, ray, ranges = (results[k] for k in ("1", "1-pinned", "2", "ray", "ranges"))
    n = one["samples"]
    ms = lambda seconds: 1000 * seconds / n  # noqa: E731  (per sample)
    cpu_one = one["cpu_seconds"] + one["helpers_cpu_seconds"]
    cpu_two = two["cpu_seconds"] + two["helpers_cpu_seconds"]
    cpu_ranges = ranges["cpu_seconds"] + ranges["helpers_cpu_seconds"]
    cpu_ray = ray["cpu_seconds"] + ray["helpers_cpu_seconds"]
    starts = RAY_CPUS * one["import_seconds"]  # two workers' imports, estimated by a child's
    steady = (one["seconds"] - one["first_sample_seconds"]) / (two["seconds"] - two["first_sample_seconds"])
    start_share = (two["first_sample_seconds"] - one["first_sample_seconds"]) / two["seconds"]
    return [
        f"- The machine's ceiling: (ranges), two independent `--workers 1` builds of half the "
        f"shards each, no shared writer, finish in {ranges['seconds']:.2f} s (the two processes: "
        f"{', '.join(f'{x:.2f}' for x in ranges['range_seconds'])} s): **{times(one['seconds'] / ranges['seconds'])}** "
        f"(1)'s rate. (2)'s {times(one['seconds'] / two['seconds'])} is "
        f"{100 * ranges['seconds'] / two['seconds']:.0f}% of that, (ray)'s "
        f"{times(one['seconds'] / ray['seconds'])} {100 * ranges['seconds'] / ray['seconds']:.0f}%.",
        f"- (1) itself keeps {cpu_one / one['seconds']:.2f} CPUs busy ({ms(cpu_one):.1f} CPU "
        "ms/sample): the libraries run some work on helper threads (the same build pinned to "
        f"one CPU: {pinned['seconds']:.2f} s, unpinned {one['seconds']:.2f} s). At (1)'s CPU per sample, "
        f"2 saturated CPUs would give {times(RAY_CPUS * one['seconds'] / cpu_one)}; (ranges) gets "
        f"{times(one['seconds'] / ranges['seconds'])} with {ms(cpu_ranges):.1f} CPU ms/sample"
        + (" (two processes competing for the CPUs use less CPU per sample than a lone (1))."
           if cpu_ranges < 0.98 * cpu_one else "."),
        ("- **(2) is CPU-bound**: " if cpu_two / two["seconds"] >= 0.9 * RAY_CPUS else
         "- **(2) leaves CPU idle**: ")
        + f"its 3 processes keep {cpu_two / two['seconds']:.2f} CPUs busy "
        f"and use {ms(cpu_two):.1f} CPU ms/sample, {cpu_two / cpu_one:.2f}x (1)'s "
        f"({cpu_two / (pinned['cpu_seconds'] + pinned['helpers_cpu_seconds']):.2f}x (1-pinned)'s); "
        f"spread perfectly over 2 CPUs that bounds (2)/(1) at "
        f"{times(one['seconds'] / (cpu_two / RAY_CPUS))}, measured {times(one['seconds'] / two['seconds'])}. "
        f"The main process, the single ordered writer (unpickling each sample, Parquet + tar "
        f"writes, sha256/md5 per shard, preview sheet and card), uses {ms(two['cpu_seconds']):.1f} "
        f"CPU ms/sample, {100 * two['cpu_seconds'] / two['seconds']:.0f}% of one CPU over the run: "
        "it is not saturated" + (f" (under cProfile it waits for samples {100 * waiting:.0f}% of "
                                 "the build, below)" if waiting is not None else "")
        + ", but it is a third busy process on 2 CPUs. The 2 workers use "
        f"{ms(two['helpers_cpu_seconds']):.1f} ms/sample (making and encoding samples, pickling "
        "them, and their start-up).",
        f"- The extra CPU of (2) over (1), {cpu_two - cpu_one:.1f} s, is "
        f"{'mostly ' if starts > (cpu_two - cpu_one) / 2 else 'partly '}the workers' "
        f"start-up: the writer gets its first sample after **{two['first_sample_seconds']:.2f} s** "
        f"((1): {one['first_sample_seconds']:.2f} s), because each spawn worker starts an "
        "interpreter and imports mattehub before its first task, and `import mattehub` pulls in "
        f"{', '.join(f'`{m}`' for m in one['heavy_imports']) or 'no heavy package'} "
        f"(`from mattehub import cli`: {one['import_seconds']:.2f} s in a child here, so about "
        f"{starts:.1f} CPU s for both workers, done at once on the 2 CPUs while the writer "
        f"waits). That is {100 * start_share:.0f}% of (2)'s time at {n} samples and shrinks with "
        f"bigger builds: after the first sample (2) runs at {times(steady)} (1)'s rate. The rest, "
        f"about {ms(max(0.0, cpu_two - cpu_one - starts)):.1f} ms/sample, is what three processes "
        "cost beyond one (handing samples between processes, each process's library threads; "
        "not broken down further here).",
        f"- (ray): {plan.shards} tasks of {plan.per_shard} samples on {RAY_CPUS} slots, "
        f"{ms(cpu_ray):.1f} CPU ms/sample in all (driver {ms(ray['cpu_seconds']):.1f}, Ray's "
        f"processes: workers, raylet, GCS {ms(ray['helpers_cpu_seconds']):.1f}). Each task makes "
        "and writes its own shard: no third process, no sample crosses a process boundary; "
        "against that, Ray's own processes use CPU too. (ray) takes "
        f"{ray['seconds'] / two['seconds']:.2f}x (2)'s time with {cpu_ray / cpu_two:.2f}x its CPU. "
        "Its extra over (ranges) is the Ray "
        f"workers' cold start (about {cost['cold_extra']:.1f} s, from the tiny-shard runs) and "
        f"{1000 * cost['slot_per_shard']:.1f} ms of slot time per shard (about "
        f"{plan.shards * cost['slot_per_shard'] / RAY_CPUS:.2f} s for {plan.shards} shards). "
        f"Ray's start-up ({ray['ray_start_seconds']:.1f} s) is excluded; `mattehub build "
        "--distributor ray` with no cluster running pays it once per command (and "
        f"{ray['ray_shutdown_seconds']:.1f} s of shutdown).",
    ]


def report(info_lines: list[str], results: dict[str, dict], plan: Plan, groups: list[dict],
           profile: Path | None, wait: dict | None) -> str:
    cost = overhead(results)
    waiting = None
    if profile is not None:  # share of (2)'s main process spent waiting for samples
        import pstats

        stats = pstats.Stats(str(profile))
        where, name = STAGES["wait for the workers' samples (`ApplyResult.get`)"]
        whole = sum(v[3] for (path, _, func), v in stats.stats.items()
                    if func == "main" and path.endswith("mattehub/cli/main.py")) or stats.total_tt
        waiting = sum(v[3] for (path, _, func), v in stats.stats.items()
                      if func == name and path.endswith(where)) / whole
    speedup = (results["2"]["samples"] / results["2"]["seconds"]) / (
        results["1"]["samples"] / results["1"]["seconds"])
    ray_ratio = results["ray"]["seconds"] / results["2"]["seconds"]
    lines = [MARKS[0], "## Scale out: `--workers 2` and `--distributor ray` against `--workers 1` (i-him)", "",
             *info_lines]
    if wait is not None:
        lines.append(f"- Before the runs the benchmark waited {wait['waited_seconds'] / 60:.1f} min "
                     f"for the 1-minute load average to drop below {LOAD_QUIET} "
                     + ("(reached)." if wait["quiet"] else
                        f"(**not reached** within {LOAD_WAIT // 60} min: it was {wait['load']:.2f}; "
                        "the numbers below share the CPUs with other work)."))
    lines += [
        "- The load at the end includes this benchmark's own last runs (up to 2 busy processes); "
        "other benchmarks may start on the machine while it runs, hence the per-run times and "
        "ranges below.",
        f"- Sources in `{WORK}` (tmpfs, as are the outputs): `make_hhm_sources`, "
        f"{MAIN.num_foregrounds} foregrounds of {MAIN.fg_size[0]}x{MAIN.fg_size[1]} (one listed "
        f"invalid), {MAIN.num_backgrounds} backgrounds of {MAIN.bg_size[0]}x{MAIN.bg_size[1]}; "
        f"{plan.samples} samples, `--max-samples-per-shard {plan.per_shard}` ({plan.shards} "
        "shards), seed 0, `--format parquet,webdataset`.",
        "- Each run is a fresh, unpinned process calling `mattehub.cli.main.main([\"build\", \"i-him\", "
        "...])`; the build seconds cover that call only (not interpreter start or imports). For "
        f"(ray) the child first runs `ray.init(num_cpus={RAY_CPUS}, include_dashboard=False, "
        "log_to_driver=False)`, so the build uses that cluster: **Ray's start-up is timed "
        "separately and excluded from the build time** (the workers' cold start, i.e. importing "
        "mattehub in each Ray worker, is included, as the spawn workers' start is in (2)). "
        f"Best of {plan.repeats} interleaved runs, every run listed. \"Other processes' CPU\": "
        "(2) the spawn workers; (ray) every Ray process (workers, raylet, GCS), via psutil.", "",
        *runs_rows(results), "",
        *ratio_table(results, (("2", "1"), ("2", "1-pinned")), TARGET_WORKERS), "",
        "The target is (2)/(1): both unpinned, as a user runs them. (2)/(1-pinned) is against "
        "exactly one CPU, for reference.", "",
        *ray_target_rows(results), ""]
    for group in groups:
        names = ", ".join(f"({k})" for k in group["group"])
        if group["identical"]:
            lines.append(f"**Byte-identical: yes.** {names}: all {group['builds']} builds (every "
                         f"repeat{', warm-up builds included' if 't-ray' in group['group'] else ''}) wrote "
                         f"the same {group['files']} files under `OUT/i-him` and `OUT/wds` (shards, "
                         "`train.index.json`), equal sha256 for every file.")
        else:
            lines.append(f"**Byte-identical: NO.** {names}: {len(group['differ'])} of "
                         f"{group['files']} files differ between builds: "
                         + ", ".join(f"`{d}`" for d in group["differ"][:10]))
        lines.append("")
    verdict_workers = "met" if speedup >= TARGET_WORKERS else "missed"
    verdict_ray = "met" if ray_ratio <= TARGET_RAY else "missed"
    lines += [f"**(2)/(1) = {times(speedup)}: the {TARGET_WORKERS:g}x target is {verdict_workers}. "
              f"(ray) takes {ray_ratio:.2f}x (2)'s time: the within-{100 * (TARGET_RAY - 1):.0f}% "
              f"target is {verdict_ray}.**", "",
              "### Where the time goes", "", *analysis(results, plan, cost, waiting), ""]
    if profile is not None:
        samples = results["2"]["samples"]
        lines += [f"(2)'s main process under cProfile ({samples} samples, one more run; cumulative "
                  "time, share of the whole build). Profiling inflates the writer's many small "
                  "Python calls (tar members), so its stages read higher here than its unprofiled "
                  f"CPU above ({1000 * results['2']['cpu_seconds'] / samples:.1f} ms/sample):", "",
                  *md_table(("stage", "s:", "ms/sample:", "share:"), stage_rows(profile, samples)),
                  "", "Top functions of (2)'s main process by own time:", "",
                  *functions_table(top_functions(profile, 10)), ""]
    lines += [
        "### Ray's cost per shard", "",
        f"{cost['shards']} tiny samples (backgrounds {TINY.bg_size[0]}x{TINY.bg_size[1]}, "
        f"foregrounds {TINY.fg_size[0]}x{TINY.fg_size[1]}), `--max-samples-per-shard 1`: "
        f"{cost['shards']} shards of one sample, so the time is mostly per-shard cost (two "
        "files, their sha256/md5 and the stats per shard). (t-local) writes them with the "
        "`local` distributor (`--index-range 0:` makes the build planned: the same "
        "`write_shard` per shard as a Ray task, in one process); (t-ray) with "
        f"`--distributor ray` on the {RAY_CPUS}-CPU cluster. Both are timed on a second build "
        "in the same child: the first one warms up (first calls in the process; for Ray also "
        f"starting its workers: cold builds {results['t-local']['cold_seconds']:.2f} s local, "
        f"{results['t-ray']['cold_seconds']:.2f} s Ray). **Method**: with no overhead Ray would "
        f"take t-local / {RAY_CPUS} on {RAY_CPUS} slots, so **overhead per shard = "
        f"({RAY_CPUS} x t-ray - t-local) / shards**, the time a shard holds a Ray slot beyond "
        "its own work: submitting the task, fetching and unpickling the recipe from the object "
        "store in the task, returning the stats, the driver's `ray.wait` loop, and Ray's own "
        f"processes competing for the {RAY_CPUS} CPUs. Measured directly on the same cluster "
        "too: a no-op task's round trip, one at a time, and the time per task with "
        f"{plan.noop_tasks} in flight.", "",
        *md_table(("measure", "value:"), [
            ("(t-local): per shard, written locally (warm process)", f"{1000 * cost['local_per_shard']:.1f} ms"),
            (f"(t-ray): per shard, {RAY_CPUS} slots (warm workers)", f"{1000 * cost['ray_per_shard']:.1f} ms"),
            (f"**overhead per shard**, slot time: ({RAY_CPUS} x t-ray - t-local) / shards",
             f"**{1000 * cost['slot_per_shard']:.1f} ms**"),
            (f"same in wall time of a {RAY_CPUS}-slot build: (t-ray - t-local / {RAY_CPUS}) / shards",
             f"{1000 * cost['wall_per_shard']:.1f} ms"),
            ("no-op Ray task, round trip (one at a time)", f"{1000 * cost['round_trip']:.2f} ms"),
            ("no-op Ray task, per task with many in flight", f"{1000 * cost['throughput']:.2f} ms"),
            ("Ray workers' cold start: (t-ray cold - warm) - (t-local cold - warm)",
             f"{cost['cold_extra']:.2f} s"),
            ("`ray.init` (Ray start-up, in no build time)", f"{results['t-ray']['ray_start_seconds']:.2f} s"),
        ]), "",
        f"A shard of this benchmark's {plan.per_shard} samples is about "
        f"{1000 * cost['shard_work']:.0f} ms of work on one CPU (from (1)), so the overhead is "
        f"{100 * cost['slot_per_shard'] / cost['shard_work']:.1f}% of it; at the default 1,000 "
        f"samples per shard, {100 * cost['slot_per_shard'] / (cost['shard_work'] * 1000 / plan.per_shard):.2f}%. "
        "What a Ray build pays beyond that is the workers' cold start, once per build, and "
        "`ray.init` when no cluster is running.",
        MARKS[1]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    global WORK
    parser = child_benchmark_parser(
        __doc__, "A full run takes ~5 min on 2 cores, after the wait for a quiet machine.",
        (FULL.repeats, QUICK.repeats), WORK,
        f"cProfile the main process of (2) (default: when the {TARGET_WORKERS:g}x target is missed)")
    parser.add_argument("--samples", type=int, help=f"samples of (1), (2), (ray) (default "
                                                    f"{FULL.samples}, quick {QUICK.samples})")
    parser.add_argument("--wait", action=argparse.BooleanOptionalAction, default=None,
                        help=f"first wait for the load average to drop below {LOAD_QUIET} "
                             f"(default: yes for a full run, no with --quick)")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    base = QUICK if args.quick else FULL
    samples = args.samples or base.samples
    per_shard = max(1, min(base.per_shard, samples // 8))  # >= 8 shards
    plan = Plan(samples, per_shard, base.tiny_samples, base.noop_tasks, args.repeats or base.repeats)
    WORK = args.work.resolve()
    WORK.mkdir(parents=True, exist_ok=True)
    wait = wait_for_quiet() if (args.wait if args.wait is not None else not args.quick) else None
    start, load = time.perf_counter(), os.getloadavg()[0]
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    srcs = {"main": sources(MAIN), "tiny": sources(TINY)}
    print(f"runs: {plan.samples} samples in {plan.shards} shards; {plan.tiny_samples} tiny shards; "
          f"{plan.repeats} rounds", flush=True)
    results, every = collect(srcs, plan)
    groups = identity(results, every)
    for group in groups:
        print(f"  identical {group['group']}: {group['identical']} ({group['files']} files, "
              f"{group['builds']} builds)", flush=True)
    speedup = (results["2"]["samples"] / results["2"]["seconds"]) / (
        results["1"]["samples"] / results["1"]["seconds"])
    profile = None
    if args.profile or (args.profile is None and speedup < TARGET_WORKERS):
        profile = WORK / "workers-2.prof"
        print("profile: (2)'s main process under cProfile", flush=True)
        child("2", srcs, plan, profile=str(profile))
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_scale_out.py",
                          *(sys.argv[1:] if argv is None else argv)])
    head = measured_lines(info, command, time.perf_counter() - start, (load, os.getloadavg()[0]))
    section = report(head, results, plan, groups, profile, wait)
    for runs in every.values():
        for run in runs:
            run.pop("files", None), run.pop("cold_files", None)
    for r in results.values():
        r.pop("files", None), r.pop("cold_files", None)
    (WORK / "results-scale-out.json").write_text(json.dumps(
        dict(results=results, runs=every, identity=groups, plan=asdict(plan), machine=info,
             wait=wait), indent=1, default=str))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()

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
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from common import benchmark_parser, check_snapshot, label, machine, snapshot_code, write_docs

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
CODE = WORK / "code"
DOCS = HERE.parent / "docs" / "benchmarks.md"
SEED = 0
CONFIG = "i-him"
MARK_START, MARK_END = "<!-- bench_i_him:start -->", "<!-- bench_i_him:end -->"
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset")
TARGET_AB, TARGET_AC = 4.0, 1.3  # (a) >= 4x (b): issue 20
STAGES = (  # (file, function) of (a)'s stages, profiled by cumulative time; nested ones indented
    ("families/image_him/recipe.py", "prepare", "scan sources (once per build)"),
    ("families/image_him/synth.py", "synthesise", "synthesis (all pixel work of an attempt)"),
    ("families/image_him/synth.py", "_load_patch", "  read + decode fg JPEG and alpha PNG, crop"),
    ("synthesis/layers.py", "resize_patch", "  resize instance (cv2: RGB and matte)"),
    ("synthesis/layers.py", "try_place", "  placement tries (occlusion test)"),
    ("synthesis/layers.py", "union_alpha", "  union matte"),
    ("families/image_him/synth.py", "_fill", "  final arrays: composite, mattes, canvas-size fg"),
    ("synthesis/layers.py", "composite", "    of which composite"),
    ("families/image_him/recipe.py", "_encode", "encode outputs (JPEG/PNG)"),
    ("build/sequence.py", "add", "write to Parquet + tar writers"),
    ("build/sequence.py", "finish", "close shards, sha256/md5, stats"),
    ("build/finalize.py", "finalize_split", "finalize: preview sheet, index, card (once per build)"),
)
KINDS = {
    "a": "mattehub `build()`: Parquet + WebDataset shards",
    "b": "reference: Pillow + numpy, release folder layout",
    "c": "codec floor: decode inputs + encode outputs (mattehub.contract.codecs)",
}


@dataclass(frozen=True)
class SourceSpec:
    """Synthetic sources made by ``mattehub.families.standins.make_hhm_sources`` (sizes are w x h)."""

    name: str
    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    num_foregrounds: int = 40
    num_backgrounds: int = 20


@dataclass(frozen=True)
class Plan:
    """How much to run."""

    samples: int
    repeats: int
    rss_counts: tuple[int, ...]
    profile_samples: int


LARGE = SourceSpec("hhm-1024", (800, 1000), (1024, 768))
SMALL = SourceSpec("hhm-512", (400, 500), (512, 384))
FULL = Plan(samples=200, repeats=3, rss_counts=(500, 2000, 5000), profile_samples=60)
QUICK = Plan(samples=16, repeats=1, rss_counts=(50, 200), profile_samples=10)


# --- sources -----------------------------------------------------------------------------


def ensure_sources(spec: SourceSpec) -> Path:
    """Generate the sources under ``_work/<name>`` unless an identical set is already there."""
    root = WORK / spec.name
    manifest = root / "sources.json"
    if manifest.is_file() and json.loads(manifest.read_text())["spec"] == json.loads(
            json.dumps(asdict(spec))):
        return root
    from mattehub.families.standins import make_hhm_sources

    shutil.rmtree(root, ignore_errors=True)
    made = make_hhm_sources(root, num_foregrounds=spec.num_foregrounds,
                            num_backgrounds=spec.num_backgrounds, seed=SEED,
                            fg_size=spec.fg_size, bg_size=spec.bg_size)
    paths = {"image_root": made.image_root, "bg_root": made.bg_root,
             "invalid_names": made.invalid_names}
    manifest.write_text(json.dumps({"spec": asdict(spec), **{k: str(v.relative_to(root))
                                                             for k, v in paths.items()}}))
    return root


def source_paths(root: Path) -> tuple[Path, Path, Path]:
    """(image_root, bg_root, invalid_names) of a generated source folder."""
    manifest = json.loads((root / "sources.json").read_text())
    return tuple(root / manifest[key] for key in ("image_root", "bg_root", "invalid_names"))




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



# --- reporting ----------------------------------------------------------------------------




def rate(result: dict) -> float:
    """Samples per second (single core)."""
    return result["samples"] / result["seconds"]


def throughput_table(results: dict[str, dict]) -> list[str]:
    """Markdown rows of the (a)/(b)/(c) comparison."""
    lines = ["| run | what | samples | seconds (runs) | samples/s per core | ms/sample | "
             "CPU s/sample | instances/sample | peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, r in results.items():
        runs = ", ".join(f"{s:.1f}" for s in r["all_seconds"])
        lines.append(f"| ({kind}) | {KINDS[kind]} | {r['samples']} | {r['seconds']:.1f} ({runs}) | "
                     f"**{rate(r):.2f}** | {1000 * r['seconds'] / r['samples']:.0f} | "
                     f"{r['cpu_seconds'] / r['samples']:.3f} | {r['instances']:.2f} | "
                     f"{r['peak_rss_mib']:.0f} |")
    return lines


def per_run_ratios(results: dict[str, dict], slow: str, fast: str) -> list[float]:
    """time(slow) / time(fast) for each interleaved repeat (same samples in every run)."""
    return [t_slow / t_fast for t_slow, t_fast in
            zip(results[slow]["all_seconds"], results[fast]["all_seconds"])]


def target_row(name: str, ratio: float, runs: list[float], met: bool, straddles: bool) -> str:
    """One markdown row of the targets table."""
    verdict = "yes" if met else "**no**"
    if straddles:
        verdict += " (borderline: the per-run range crosses the target)"
    return (f"| {name} | **{ratio:.2f}x** | {min(runs):.2f}x - {max(runs):.2f}x | "
            f"{verdict} |")


def targets_table(results: dict[str, dict]) -> tuple[list[str], bool]:
    """Markdown rows of the two targets (best-of ratio and per-run range); both met?"""
    ab, ac = rate(results["a"]) / rate(results["b"]), rate(results["c"]) / rate(results["a"])
    ab_runs, ac_runs = per_run_ratios(results, "b", "a"), per_run_ratios(results, "a", "c")
    met_ab, met_ac = ab >= TARGET_AB, ac <= TARGET_AC
    lines = ["| target | ratio of best runs | per-run ratio range | met |", "|---|---:|---:|---|",
             target_row(f"(a) samples/s >= {TARGET_AB:g} x (b): a/b", ab, ab_runs, met_ab,
                        min(ab_runs) < TARGET_AB <= max(ab_runs)),
             target_row(f"(a) time per sample <= {TARGET_AC:g} x (c): a/c", ac, ac_runs, met_ac,
                        min(ac_runs) <= TARGET_AC < max(ac_runs))]
    return lines, met_ab and met_ac


def memory_table(rows: list[dict]) -> list[str]:
    """Markdown rows of the RSS-vs-sample-count runs."""
    lines = ["| samples | shards | seconds | samples/s | peak RSS MiB |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['samples']:,} | {r['shards']} | {r['seconds']:.0f} | {rate(r):.1f} | "
              f"**{r['peak_rss_mib']:.0f}** |" for r in rows]
    return lines


def profile_tables(profile: dict) -> list[str]:
    """Markdown of the cProfile summary of (a)."""
    head = ["| function | calls | own s | cum s | share |", "|---|---:|---:|---:|---:|"]

    def body(rows: list[dict]) -> list[str]:
        return [f"| `{r['function']}` | {r['calls']} | {r['own_s']:.2f} | {r['cum_s']:.2f} | "
                f"{100 * r['share']:.0f}% |" for r in rows]

    return ([f"cProfile of (a), {profile['samples']} samples at the large size, "
             f"{profile['total_s']:.1f} s profiled (profiling adds overhead; shares are of "
             "that total).", "", "Top functions by own time (share = own time):", ""]
            + head + body(profile["by_own"])
            + ["", "Stages of (a) by cumulative time (indented rows are part of the row above):",
               "", "| stage | function | cum s | ms/sample | share |", "|---|---|---:|---:|---:|"]
            + [f"| {r['stage'].replace('  ', '&nbsp;&nbsp;')} | `{r['function']}` | "
               f"{r['cum_s']:.2f} | {1000 * r['cum_s'] / profile['samples']:.0f} | "
               f"{100 * r['share']:.0f}% |" for r in profile["stages"]])


def report(info: dict, plan: Plan, results: dict[str, dict], memory: list[dict],
           profile: dict | None, elapsed: float) -> str:
    """The markdown section for docs/benchmarks.md (also printed)."""
    targets, _ = targets_table(results)
    v = info["versions"]
    lines = [MARK_START, "## i-him: build throughput per core, and memory", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"`python benchmarks/bench_i_him.py` (whole run {elapsed / 60:.1f} min) at "
             f"commit `{info['commit']}` (a copy of the package taken at the start).", "",
             f"- Machine: {info['cpu']}, nproc = {info['nproc']}, {info['mem_gib']:.0f} GiB RAM, "
             f"{info['os']}",
             f"- Python {info['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items()),
             f"- Sources: `make_hhm_sources`, {LARGE.num_foregrounds} foregrounds of "
             f"{LARGE.fg_size[0]}x{LARGE.fg_size[1]} (one listed invalid), "
             f"{LARGE.num_backgrounds} backgrounds of {LARGE.bg_size[0]}x{LARGE.bg_size[1]} "
             "(output size = background size); inputs are in the page cache.",
             f"- Each run is one process pinned to one CPU; the time covers the work only "
             f"(not interpreter start or imports); best of {plan.repeats} interleaved runs, "
             "all run times listed (they vary from run to run, hence the per-run ratio range "
             "below). Every run draws instance count, foregrounds and background per sample "
             "from mattehub's per-sample generator, so all three see the same inputs.",
             "", *throughput_table(results), "", *targets, "",
             "(b)'s peak RSS includes importing mattehub (for the shared random stream). (c) "
             "decodes every drawn foreground, as (a) does, and encodes outputs only for the "
             "instances (a) placed (read from (a)'s meta), so it encodes what (a) encodes. "
             "(c) also copies crops onto blank canvases and masks the foregrounds (a few ms "
             "per sample), so it sits a little above a pure codec cost: a/c is, if anything, "
             "understated.",
             "",
             "### Peak RSS of (a) against sample count", "",
             f"Smaller sources to keep the run short: foregrounds {SMALL.fg_size[0]}x"
             f"{SMALL.fg_size[1]}, backgrounds {SMALL.bg_size[0]}x{SMALL.bg_size[1]}; "
             "default shard limits (1,000 samples per shard); peak RSS of the whole process "
             "from `wait4`.", "", *memory_table(memory)]
    if profile:
        lines += ["", "### Where (a)'s time goes", "", *profile_tables(profile)]
    return "\n".join(lines + [MARK_END]) + "\n"



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

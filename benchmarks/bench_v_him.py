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
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from common import benchmark_parser, check_snapshot, label, machine, snapshot_code, write_docs

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "v_him"
CODE = WORK / "code"
DOCS = HERE.parent / "docs" / "benchmarks.md"
SEED = 0
CONFIG = "v-him"
MARK_START, MARK_END = "<!-- bench_v_him:start -->", "<!-- bench_v_him:end -->"
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset", "av")
TARGET_AB = 2.0
CHOICE_KEYS = ("level", "sources", "start_frames", "background", "background_start",
               "crop_boxes", "boxes", "attempt")
STAGES = (  # (file, function, label) of (a)'s stages by cumulative time; nested ones indented
    ("families/video_him/recipe.py", "scan_sources", "scan sources (once per build)"),
    ("families/video_him/recipe.py", "make", "all attempts of a clip (synthesis + encoding)"),
    ("families/video_him/synth.py", "synthesise_clip", "  synthesis (every attempt, rejected ones too)"),
    ("families/video_him/sources.py", "read_rgb_alpha", "    read + decode frames (fg JPEG + PNG, bg JPEG)"),
    ("families/video_him/synth.py", "_union_box", "    union crop boxes"),
    ("families/video_him/synth.py", "_judge", "    occlusion per frame, from the mattes alone"),
    ("families/video_him/synth.py", "_render", "    per-frame work of an accepted attempt"),
    ("synthesis/layers.py", "resize_patch", "      crop + resize instances (cv2)"),
    ("synthesis/layers.py", "try_place", "      occlusion of earlier instances"),
    ("synthesis/layers.py", "on_canvas", "      canvas-sized 8-bit mattes"),
    ("synthesis/layers.py", "composite", "      blend over the background"),
    ("families/video_him/recipe.py", "_encode", "  encode outputs (JPEG frames, PNG mattes)"),
    ("build/sequence.py", "add", "write to Parquet + tar writers"),
    ("build/sequence.py", "finish", "close shards, sha256/md5, stats"),
    ("build/finalize.py", "finalize_split", "finalize: preview sheet, index, card (once per build)"),
)
KINDS = {
    "a": "mattehub `build()`: Parquet + WebDataset shards",
    "b": "reference: Pillow + numpy, release folder layout",
}


@dataclass(frozen=True)
class SourceSpec:
    """Synthetic video sources (sizes are w x h): frame folders and still images."""

    name: str
    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    fg_clips: int = 16
    fg_frames: int = 40
    bg_stills: int = 8
    bg_clips: int = 4
    bg_frames: int = 40


@dataclass(frozen=True)
class Plan:
    """How much to run."""

    clips: int
    repeats: int
    rss_counts: tuple[int, ...]
    profile_clips: int


SOURCES = SourceSpec("sources-512x640", fg_size=(512, 640), bg_size=(1024, 576))
FULL = Plan(clips=12, repeats=3, rss_counts=(20, 60), profile_clips=6)
QUICK = Plan(clips=6, repeats=1, rss_counts=(6, 12), profile_clips=3)


# --- sources -----------------------------------------------------------------------------


def _drifting(rgb, alpha, number: int, frames: int):
    """(rgb, alpha) frames of a person drifting sideways (1-3 px a frame) and bobbing."""
    import cv2
    import numpy as np

    height, width = alpha.shape
    step = 1 + number % 3
    for t in range(frames):
        dx = step * (t - frames // 2)
        dy = 3.0 * np.sin(2 * np.pi * t / 12 + number)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        yield (cv2.warpAffine(rgb, shift, (width, height), borderMode=cv2.BORDER_REFLECT),
               cv2.warpAffine(alpha, shift, (width, height)))


def ensure_sources(spec: SourceSpec) -> Path:
    """Write the clips and their lists under ``_work/v_him/<name>`` unless already there.

    People and scenes come from ``mattehub.families.standins.make_hhm_sources``; they are laid out
    like ``mattehub.families.video_him.standin.make_video_sources`` does (VideoMatte-style frame folders
    ``fgr/<clip>/NNNNN.jpg`` + ``pha/<clip>/NNNNN.png``, still JPEGs, background frame
    folders panning across a scene), only larger and longer.
    """
    root = WORK / spec.name
    manifest = root / "sources.json"
    if manifest.is_file() and json.loads(manifest.read_text())["spec"] == json.loads(
            json.dumps(asdict(spec))):
        return root
    import numpy as np

    from mattehub.contract import codecs
    from mattehub.inputs import gate
    from mattehub.families.standins import make_hhm_sources

    shutil.rmtree(root, ignore_errors=True)
    hhm = make_hhm_sources(root / "hhm", num_foregrounds=spec.fg_clips + 1,
                           num_backgrounds=spec.bg_stills + spec.bg_clips, seed=SEED,
                           fg_size=spec.fg_size, bg_size=spec.bg_size)

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    fg_lines, bg_lines = [], []
    for clip, name in enumerate(hhm.foreground_names[:spec.fg_clips]):
        rgb = gate.decode_rgb(gate.read_file(hhm.image_root / "images" / name), name)
        alpha = gate.decode_matte(
            gate.read_file(hhm.image_root / "alphas" / (name[:-4] + ".png")), name).array
        base = f"VideoMatte/train/fgr/clip_{clip:02d}"
        for t, (frame, matte) in enumerate(_drifting(rgb, alpha, clip, spec.fg_frames)):
            write(root / base / f"{t:05d}.jpg", codecs.encode_jpeg(frame))
            write(root / base.replace("/fgr/", "/pha/") / f"{t:05d}.png", codecs.encode_png(matte))
        fg_lines.append(base)
    scenes = sorted(Path(hhm.bg_root).glob("*.jpg"))
    for path in scenes[:spec.bg_stills]:
        write(root / "BG/stills" / path.name, path.read_bytes())
        bg_lines.append(f"BG/stills/{path.name}")
    for clip, path in enumerate(scenes[spec.bg_stills:]):
        scene = gate.decode_rgb(gate.read_file(path), path)
        for t in range(spec.bg_frames):
            write(root / f"BG/clips/pan_{clip:02d}" / f"{t:05d}.jpg",
                  codecs.encode_jpeg(np.roll(scene, 4 * t, axis=1)))
        bg_lines.append(f"BG/clips/pan_{clip:02d}")
    (root / "fg_train.txt").write_text("\n".join(fg_lines) + "\n")
    (root / "bg_train.txt").write_text("\n".join(bg_lines) + "\n")
    manifest.write_text(json.dumps({"spec": asdict(spec)}))
    return root




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



# --- reporting ----------------------------------------------------------------------------




def rate(result: dict) -> float:
    """Clips per second (single core)."""
    return result["clips"] / result["seconds"]


def throughput_table(results: dict[str, dict]) -> list[str]:
    """Markdown rows of the (a)/(b) comparison."""
    lines = ["| run | what | clips written (skipped) | attempts | frames | seconds (runs) | "
             "clips/s per core | s/clip | frames/s | CPU s/clip | time in rejected attempts "
             "| peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, r in results.items():
        runs = ", ".join(f"{s:.1f}" for s in r["all_seconds"])
        rejected = r["rejected_seconds"]
        rejected = f"{rejected:.1f} s ({100 * rejected / r['seconds']:.0f}%)"
        lines.append(f"| ({kind}) | {KINDS[kind]} | {r['clips']} ({r['skipped']}) | "
                     f"{r['attempts']} | {r['frames']} | {r['seconds']:.1f} ({runs}) | "
                     f"**{rate(r):.3f}** | {r['seconds'] / r['clips']:.2f} | "
                     f"{r['frames'] / r['seconds']:.1f} | {r['cpu_seconds'] / r['clips']:.2f} | "
                     f"{rejected} | {r['peak_rss_mib']:.0f} |")
    return lines


def targets_table(results: dict[str, dict]) -> tuple[list[str], bool, float]:
    """Markdown rows of the target (best-of ratio and per-run range); met? and the ratio."""
    ratio = rate(results["a"]) / rate(results["b"])
    runs = [tb / ta for ta, tb in zip(results["a"]["all_seconds"], results["b"]["all_seconds"])]
    met = ratio >= TARGET_AB
    verdict = "yes" if met else "**no**"
    if min(runs) < TARGET_AB <= max(runs):
        verdict += " (borderline: the per-run range crosses the target)"
    lines = ["| target | ratio of best runs | per-run ratio range | met |", "|---|---:|---:|---|",
             f"| (a) clips/s >= {TARGET_AB:g} x (b): a/b | **{ratio:.2f}x** | "
             f"{min(runs):.2f}x - {max(runs):.2f}x | {verdict} |"]
    return lines, met, ratio


def memory_table(rows: list[dict]) -> list[str]:
    """Markdown rows of the RSS-vs-clip-count runs."""
    lines = ["| clips requested | written (skipped) | frames | shards | seconds | clips/s | "
             "peak RSS MiB |", "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['clips'] + r['skipped']} | {r['clips']} ({r['skipped']}) | {r['frames']:,} | "
              f"{r['shards']} | {r['seconds']:.0f} | {rate(r):.3f} | "
              f"**{r['peak_rss_mib']:.0f}** |" for r in rows]
    return lines


def profile_tables(profile: dict) -> list[str]:
    """Markdown of the cProfile summary of (a)."""
    att = profile["attempts"]
    total = profile["total_s"]
    lines = [f"cProfile of (a), {profile['clips']} clips requested ({profile['written']} written), "
             f"{total:.1f} s profiled (profiling adds overhead; shares are of that total).", "",
             f"Attempts: {att['accepted']} accepted took {att['accepted_s']:.1f} s "
             f"({100 * att['accepted_s'] / total:.0f}%), {att['rejected']} rejected took "
             f"{att['rejected_s']:.1f} s ({100 * att['rejected_s'] / total:.0f}%) "
             "(synthesis only; encoding happens for accepted clips only).", "",
             "Top functions by own time (share = own time):", "",
             "| function | calls | own s | cum s | share |", "|---|---:|---:|---:|---:|"]
    lines += [f"| `{r['function']}` | {r['calls']} | {r['own_s']:.2f} | {r['cum_s']:.2f} | "
              f"{100 * r['share']:.0f}% |" for r in profile["by_own"]]
    lines += ["", "Stages of (a) by cumulative time (indented rows are part of the row above):",
              "", "| stage | function | cum s | share |", "|---|---|---:|---:|"]
    lines += [f"| {r['stage'].replace('  ', '&nbsp;&nbsp;')} | `{r['function']}` | "
              f"{r['cum_s']:.2f} | {100 * r['share']:.0f}% |" for r in profile["stages"]]
    return lines


def report(info: dict, plan: Plan, results: dict[str, dict], check: dict, memory: list[dict],
           profile: dict | None, elapsed: float) -> str:
    """The markdown section for docs/benchmarks.md (also printed)."""
    targets, _, _ = targets_table(results)
    v, s = info["versions"], SOURCES
    same = (f"{check['same']} of {check['a_clips']} clips written by (a) were made by (b) from "
            "identical choices (level, attempt, sources, start frames, background and its start, "
            "crop boxes, placed boxes)")
    same += "." if not check["differ"] else f"; clip ids that differ: {check['differ']}."
    lines = [MARK_START, "## v-him: build throughput per core, and memory", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"`python benchmarks/bench_v_him.py` (whole run {elapsed / 60:.1f} min) at "
             f"commit `{info['commit']}` (a copy of the package taken at the start).", "",
             f"- Machine: {info['cpu']}, nproc = {info['nproc']}, {info['mem_gib']:.0f} GiB RAM, "
             f"{info['os']}",
             f"- Python {info['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items()),
             f"- Sources (generated by the benchmark from `make_hhm_sources` people and scenes, "
             f"laid out like `make_video_sources`): {s.fg_clips} foreground frame folders of "
             f"{s.fg_frames} frames at {s.fg_size[0]}x{s.fg_size[1]} (JPEG + PNG matte, person "
             f"drifting and bobbing), {s.bg_stills} still backgrounds and {s.bg_clips} background "
             f"frame folders of {s.bg_frames} frames at {s.bg_size[0]}x{s.bg_size[1]} (output "
             "size); `level=mix` (easy/medium/hard by clip id), T = 30 frames per clip; inputs "
             "are in the page cache.",
             f"- Each run is one process pinned to one CPU; the time covers the work only (not "
             f"interpreter start or imports); best of {plan.repeats} interleaved runs, all run "
             "times listed. Both draw every attempt's choices from mattehub's per-clip generator, "
             "so they make the same clips, redraws included: " + same,
             "", *throughput_table(results), "", *targets, "",
             "An attempt is one draw of a clip; medium and hard clips are redrawn while their "
             "occlusion is out of range (up to 10 attempts, then the clip is skipped), so most "
             "of the work of both runs goes into attempts that are thrown away. (b) stops "
             "compositing an attempt at the first frame whose occlusion is over the level's "
             "upper limit (a straightforward per-frame check); (a) composites all frames of an "
             "attempt and then judges it. Both decode every frame of the chosen clips before "
             "the layout can be made (the crop box is the union over the clip). (b) writes the "
             "release's folders (`fgr/<vid>/<i:05d>.jpg` at JPEG q95, `pha/<vid>/<i:05d>/"
             "<k:02d>.png` with Pillow's default PNG settings); (a) writes Parquet and "
             "WebDataset shards (each clip's encoded frames go to both). (b)'s peak RSS includes "
             "importing mattehub (for the shared random stream).", "",
             "### Peak RSS of (a) against clip count", "",
             "Same sources; default shard limits; peak RSS of the whole process from `wait4`. "
             f"The {len(memory)} runs ran at the same time, one CPU each, so their times are "
             "not comparable with the table above.", "", *memory_table(memory)]
    if profile:
        lines += ["", "### Where (a)'s time goes", "", *profile_tables(profile)]
    return "\n".join(lines + [MARK_END]) + "\n"



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

"""Benchmark of the ``surreal-alpha`` build: decodes per clip, samples/s per core, memory.

On sources generated once (``mattehub.families.surreal_alpha.standin.write_clip`` clips, ``make_hhm_sources``
backgrounds) in ``/dev/shm/mattehub-bench-surreal`` (else the temp folder; or ``--work``):

1. decodes per clip (``mattehub.families.surreal_alpha.sources.DECODES``) of a ``workers=1`` build, of
   ``load_dataset("mattehub", "surreal-alpha", ..., streaming=True)`` iterated in one process,
   and per worker of ``workers=2`` builds;
2. samples/s per core with ``--layout dim --bg-size 1280``, best of ``--repeats`` interleaved
   runs, each a fresh process pinned to one CPU timing the work only: (a) ``build()`` to
   Parquet + WebDataset, (p) Parquet only, (b) ``reference_surreal.py`` (the original tool's
   way, same backgrounds); target (a) >= 3x (b) (issue 20);
3. peak RSS of a build for a growing number of clips;
4. cProfile of (a) and (b): top functions by own time; mattehub's (a) by cumulative time.

    python benchmarks/bench_surreal.py            # full run, ~3.5 min on 2 cores; rewrites
                                                  # its section of docs/benchmarks.md
    python benchmarks/bench_surreal.py --quick    # ~45 s smoke run, prints only
    python benchmarks/bench_surreal.py --help     # --clips, --repeats, --rss-clips, --work ...
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from common import (publish, benchmark_parser, best_of, cached, check_snapshot, child_result,
                    functions_table, machine, md_table, measured_lines, rate, ratio_table,
                    run_child, runs_table, snapshot_code, timed, times, top_functions)

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-surreal"  # tmpfs: outputs cost no disk
SEED, CONFIG, BG_SIZE, TARGET = 0, "surreal-alpha", 1280, 3.0
MARKS = ("<!-- bench_surreal:start -->", "<!-- bench_surreal:end -->")
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "scipy", "av", "pyarrow",
            "webdataset", "datasets")
BACKGROUNDS, BG_PIXELS = 20, ((1024, 768), (1280, 720))
"""Half 4:3, half 16:9, as a real background set mixes sizes: mattehub encodes a frame's
alpha/fg/depth/segmentation once for the backgrounds of one size, so a single-size set
would flatter it."""
FRAME_BYTES = 320 * 240 * (3 + 1 + 4)  # a decoded frame: RGB, labels, float32 depth
BOTH = ["parquet", "webdataset"]
RUNS = {  # kind: (child, its spec, what)
    "a": ("build", {"formats": BOTH, "choices": True}, "mattehub `build()`, Parquet + WebDataset"),
    "p": ("build", {"formats": ["parquet"]}, "mattehub `build()`, Parquet only"),
    "b": ("reference", {}, "reference: cv2, the DIM tool's way, eps/alpha/bg PNG folders"),
}
W2_CLIPS, W2_NUM_BGS = 3, 2  # workers=2 runs: at most 3 clips, 2 backgrounds a frame
PROFILES = {"(a) by own time": (12,), "(a), mattehub's functions by cumulative time":
            (16, "cumulative", "mattehub/"), "(b) by own time": (5,)}  # top_functions(top, ...)
COUNTS: defaultdict[int, Counter] = defaultdict(Counter)  # a worker's decodes per clip


@dataclass(frozen=True)
class Plan:
    """How much to run: a tree of ``clips`` x ``frames`` (throughput, streaming, workers=2 on
    short clips) and one of ``rss_frames``-frame clips (memory, workers=2 on long clips)."""

    clips: int
    frames: int
    num_bgs: int
    repeats: int
    rss_counts: tuple[int, ...]
    rss_frames: int


FULL = Plan(clips=2, frames=30, num_bgs=2, repeats=3, rss_counts=(2, 4, 8), rss_frames=60)
QUICK = Plan(clips=1, frames=20, num_bgs=2, repeats=1, rss_counts=(1, 2), rss_frames=40)


# --- sources --------------------------------------------------------------------------------
def backgrounds() -> Path:
    """A folder of background JPEGs, ``BACKGROUNDS // 2`` of each size in BG_PIXELS."""
    from mattehub.families.standins import make_hhm_sources

    def make(root: Path) -> None:
        for number, (width, height) in enumerate(BG_PIXELS):
            made = make_hhm_sources(root / "tmp", 2, BACKGROUNDS // 2, seed=SEED + number,
                                    bg_size=(width, height))
            shutil.move(made.bg_root, root / "bg" / f"{width}x{height}")
            shutil.rmtree(root / "tmp")

    return cached(WORK / f"bg-mixed-{BACKGROUNDS}", make) / "bg"


def tree(clips: int, frames: int) -> Path:
    """``cmu/train/run0/<seq>/<seq>_c0001`` x ``clips``; returns the folder holding cmu."""
    from mattehub.families.surreal_alpha.standin import write_clip

    def make(root: Path) -> None:
        for number in range(clips):
            seq = f"{10 + number:02d}_01"
            write_clip(root / "cmu/train/run0" / seq / f"{seq}_c0001", 1000 + number, frames)

    return cached(WORK / f"tree-C{clips}-F{frames}", make)


# --- children: one workload each, in a fresh process ----------------------------------------
def child_main(spec: dict) -> None:
    """Run the workload ``spec["kind"]`` and print its result (``common.child_result``)."""
    check_snapshot(Path(spec["code"]))
    shutil.rmtree(spec["out"], ignore_errors=True)  # a build would resume from an old output
    result = globals()[f"{spec['kind']}_child"](spec)
    shutil.rmtree(spec["out"], ignore_errors=True)
    child_result(result)


def build_child(spec: dict) -> dict:
    """One ``build()``: (a), (p), the memory runs and the workers=2 counts."""
    from mattehub.build.run import BuildOptions, build
    from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
    from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
    from mattehub.families.surreal_alpha import sources as surreal

    import bench_surreal  # the module (not __main__): where spawned workers find the class

    cls = bench_surreal.CountingRecipe if spec["workers"] > 1 else SurrealAlphaRecipe
    recipe = cls(SurrealAlphaOptions(data_dir=spec["src"], bg_root=spec["bg"], bg_size=BG_SIZE,
                                     num_bgs=spec["num_bgs"], layout=spec["layout"]), SEED)
    recipe.count_dir = spec.get("count_dir")
    options = BuildOptions(out=Path(spec["out"]), num_samples=spec.get("samples"),
                           workers=spec["workers"], formats=tuple(spec["formats"]), progress=False)
    result = timed(lambda: asdict(build(recipe, options)), spec.get("profile"))
    clips = {recipe.locate(i)[0] for i in range(result["samples"] + result["skipped"])}
    result.update(decodes=dict(surreal.DECODES), clips=len(clips))
    if spec.get("choices"):  # (clip below cmu/train, frame, background, k) of every sample
        import pyarrow.parquet as pq

        metas = [m for shard in sorted((Path(spec["out"]) / CONFIG).glob("*.parquet"))
                 for m in pq.read_table(shard, columns=["meta"]).column("meta").to_pylist()]
        result["choices"] = [[m["clip"].removeprefix("cmu/train/"), m["frame"], m["background"],
                              m["background_number"]] for m in metas]
    return result


def __getattr__(name: str):
    """``bench_surreal.CountingRecipe``, defined on first use (in a child, so that mattehub
    comes from the snapshot); spawned workers unpickle the recipe through this."""
    if name != "CountingRecipe":
        raise AttributeError(name)
    from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
    from mattehub.families.surreal_alpha import sources as surreal

    class CountingRecipe(SurrealAlphaRecipe):
        """After each sample: this process's DECODES per clip to ``<count_dir>/<pid>.json``."""

        def make(self, index: int):
            before = Counter(surreal.DECODES)
            outcome = super().make(index)
            COUNTS[self.locate(index)[0]].update(Counter(surreal.DECODES) - before)
            (Path(self.count_dir) / f"{os.getpid()}.json").write_text(json.dumps(COUNTS))
            return outcome

    CountingRecipe.__qualname__ = name
    globals()[name] = CountingRecipe
    return CountingRecipe


def reference_child(spec: dict) -> dict:
    """(b), drawing each frame's backgrounds as ``SurrealAlphaRecipe.pick_background`` does."""
    from mattehub.core.rng import sample_rng
    from reference_surreal import list_backgrounds, run_reference

    count, num_bgs = len(list_backgrounds(Path(spec["bg"]))), spec["num_bgs"]
    return timed(lambda: asdict(run_reference(
        Path(spec["src"]) / "cmu" / "train", Path(spec["bg"]), Path(spec["out"]), num_bgs,
        BG_SIZE, choose=lambda n: sample_rng(CONFIG, SEED, n).choice(count, num_bgs, False))),
        spec.get("profile"))


def stream_child(spec: dict) -> dict:
    """``load_dataset(..., streaming=True)`` iterated to the end in this process."""
    import datasets

    import mattehub  # noqa: F401  (registers the "mattehub" builder)
    from mattehub.families.surreal_alpha import sources as surreal

    split = datasets.load_dataset("mattehub", CONFIG, data_dir=spec["src"], bg_root=spec["bg"],
                                  num_bgs=spec["num_bgs"], streaming=True)["train"]
    result = timed(lambda: {"samples": sum(1 for _ in split)})
    clips = sum(1 for _ in Path(spec["src"]).rglob("*.mp4"))
    return dict(result, decodes=dict(surreal.DECODES), clips=clips)


# --- the parent -----------------------------------------------------------------------------
def child(kind: str, src: Path, bg: Path, num_bgs: int, pinned: bool = True, **spec) -> dict:
    """Run one workload (``child_main``) in a fresh process, on our first CPU if ``pinned``."""
    spec = dict(kind=kind, code=str(WORK / "code"), src=str(src), bg=str(bg), num_bgs=num_bgs,
                out=str(WORK / "out"), layout="dim", workers=1, formats=BOTH) | spec
    return run_child(Path(__file__), WORK / "code", spec,
                     min(os.sched_getaffinity(0)) if pinned else None)


def throughput(src: Path, bg: Path, plan: Plan) -> tuple[dict[str, dict], dict]:
    """Best-of interleaved runs of (a), (p), (b); do (a) and (b) make the same samples?"""
    results = best_of(RUNS, plan.repeats,
                      lambda kind: child(RUNS[kind][0], src, bg, plan.num_bgs, **RUNS[kind][1]))
    a, b = results["a"].pop("choices"), results["b"].pop("choices")
    return results, {"a": len(a), "b": len(b), "same": sum(x == y for x, y in zip(a, b))}


def decode_runs(src: Path, long_src: Path, bg: Path, plan: Plan) -> dict:
    """Streaming, then workers=2 builds of clips with at most and with more than
    TASK_SAMPLES samples, each worker's decodes per clip; native layout."""
    from mattehub.families.surreal_alpha import recipe as surreal_alpha

    runs = {"stream": child("stream", src, bg, plan.num_bgs, layout="native"),
            "task_samples": getattr(surreal_alpha, "TASK_SAMPLES", "?")}
    print(f"  streaming: decodes {runs['stream']['decodes']}", flush=True)
    for name, tree_src, clips, frames in (("short", src, plan.clips, plan.frames),
                                          ("long", long_src, W2_CLIPS, plan.rss_frames)):
        counts = WORK / f"counts-{name}"
        shutil.rmtree(counts, ignore_errors=True)
        counts.mkdir()
        run = runs[name] = child("build", tree_src, bg, W2_NUM_BGS, pinned=False, workers=2,
                                 layout="native", samples=clips * frames * W2_NUM_BGS,
                                 count_dir=str(counts))
        run["workers"] = [json.loads(p.read_text()) for p in sorted(counts.glob("*.json"))]
        print(f"  workers=2, {name} clips: decodes per worker and clip {run['workers']}", flush=True)
    return runs


def memory_runs(long_src: Path, bg: Path, plan: Plan) -> list[dict]:
    """A build of the first N whole clips of the long tree for each N, native layout."""
    rows = [child("build", long_src, bg, 1, layout="native", samples=count * plan.rss_frames)
            for count in plan.rss_counts]
    print("  peak RSS: " + ", ".join(f"{r['clips']} clips {r['peak_rss_mib']:.0f} MiB"
                                     for r in rows), flush=True)
    return rows


def profile_runs(src: Path, bg: Path, plan: Plan) -> dict:
    """(a) and (b) under cProfile on the throughput workload: the PROFILES tables."""
    for kind in ("a", "b"):
        child(RUNS[kind][0], src, bg, plan.num_bgs, profile=str(WORK / f"{kind}.prof"),
              **RUNS[kind][1])
    return {title: top_functions(WORK / f"{title[1]}.prof", *how) for title, how in PROFILES.items()}


# --- the report -----------------------------------------------------------------------------
def decode_row(what: str, run: dict, counts: dict | None = None) -> tuple:
    """(path, clips, samples, decodes per kind, decodes per clip) of the decode table."""
    counts = run["decodes"] if counts is None else counts
    kinds = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("video", "segm", "depth", "info"))
    return what, run["clips"], run["samples"], kinds, f"{max(counts.values()) / run['clips']:g}"


def workers_row(name: str, run: dict) -> tuple:
    """A workers=2 build: decodes summed over its workers; per (worker, clip) in words."""
    pairs = [kinds for worker in run["workers"] for kinds in worker.values()]
    return decode_row(
        f"build, `workers=2`, {name} clips ({run['samples'] // run['clips']} samples each), "
        f"summed over {len(run['workers'])} worker(s); {len(pairs)} (worker, clip) pairs, at "
        f"most {max(max(k.values()) for k in pairs)} decode per file kind and pair; main "
        f"process {sum(run['decodes'].values())}", run, sum(map(Counter, pairs), Counter()))


def decode_section(runs: dict, plan: Plan) -> list[str]:
    decodes, task = runs["decodes"], runs["decodes"]["task_samples"]
    rows = [decode_row("build, `workers=1`, `--layout dim` (run (a))", runs["throughput"]["a"]),
            *(decode_row(f"build, `workers=1`, {plan.rss_frames}-frame clips (memory run)", run)
              for run in runs["memory"]),
            decode_row("streaming: `load_dataset(\"mattehub\", \"surreal-alpha\", data_dir=, "
                       "bg_root=, num_bgs=, streaming=True)` iterated in one process",
                       decodes["stream"]),
            workers_row("short", decodes["short"]), workers_row("long", decodes["long"])]
    return ["`mattehub.families.surreal_alpha.sources.DECODES` counts the files a process decodes, per kind "
            "(in `workers=2` builds each worker writes its counts per clip: a `SurrealAlphaRecipe` "
            "subclass in the benchmark). All but run (a) use the native layout.", "",
            *md_table(("path", "clips:", "samples:", "files decoded", "per clip:"), rows), "",
            f"Design: `workers>1` build tasks are runs of at most {task} ids (`TASK_SAMPLES`) "
            "within one clip, and each process keeps one decoded clip, so a clip of at most "
            f"{task} samples is decoded once per build, a longer one at most once per worker."]


def throughput_section(runs: dict, plan: Plan) -> list[str]:
    """Throughput table, target, what dominates, what the runs write."""
    results, check = runs["throughput"], runs["check"]
    ab = rate(results["a"]) / rate(results["b"])
    own = [(title[:3], p["rows"][:3]) for title, p in (runs["profile"] or {}).items()
           if title.endswith("own time")]
    verdict = (f"**The {TARGET:g}x target is {'met' if ab >= TARGET else 'missed'}**: (a) makes "
               f"{times(ab)} (b)'s samples per second. " + (
                   "What dominates (cProfile, own time; tables below): " + "; ".join(
                       f"{run} " + ", ".join(f"`{r['function']}` {100 * r['share']:.0f}%"
                                             for r in rows) for run, rows in own) + "."
                   if own else "`--profile` shows what dominates."))
    return [f"Fresh processes pinned to one CPU, timing the work only (not imports); best of "
            f"{plan.repeats} interleaved runs, every run listed. (a) and (b) draw the same "
            f"backgrounds (mattehub's per-frame generator): {check['same']} of (a)'s {check['a']} "
            "samples have the clip, frame, background and number of (b)'s at the same position "
            f"((b) wrote {check['b']}).", "",
            *runs_table(results, {kind: what for kind, (_, _, what) in RUNS.items()}), "",
            *ratio_table(results, (("a", "b"), ("p", "b")), TARGET), "", verdict, "",
            "Not the same outputs: (b) writes three canvas-sized PNGs per sample (`eps`, the padded "
            "frame, unmasked as upstream; `alpha`; `bg`) and no composite, from the mp4 and "
            "`_segm.mat` only; (a) also reads depth and info and writes six canvas-sized fields "
            "(`image`, `fg`, `bg` JPEG q95; `alpha`, 16-bit `depth`, `segmentation` PNG) and the "
            "meta, and once per build a preview sheet, stats and card. (b)'s RSS includes "
            "importing mattehub (for the shared random stream)."]


def memory_section(memory: list[dict], plan: Plan) -> list[str]:
    rows = [(r["clips"], r["samples"], r["shards"], f"{r['seconds']:.1f}",
             f"**{r['peak_rss_mib']:.0f}**") for r in memory]
    clip_mib, first, last = plan.rss_frames * FRAME_BYTES / 2**20, memory[0], memory[-1]
    rise = last["peak_rss_mib"] - first["peak_rss_mib"]
    return [f"`workers=1` builds of the first N whole {plan.rss_frames}-frame clips (native, "
            "`--num-bgs 1`, Parquet + WebDataset), one after another on one CPU; peak RSS of "
            "the build's process (`ru_maxrss`, imports included).", "",
            *md_table(("clips:", "samples:", "shards:", "seconds:", "peak RSS MiB:"), rows), "",
            f"From {first['clips']} to {last['clips']} clips: {rise:+.0f} MiB. A cache keeping "
            f"every clip's decoded arrays (~{clip_mib:.0f} MiB a clip) would have added "
            f"~{(last['clips'] - first['clips']) * clip_mib:.0f} MiB."]


def report(runs: dict, plan: Plan, head: list[str]) -> str:
    """The markdown section for docs/benchmarks.md (also printed); ``head``: measured_lines."""
    lines = [MARKS[0], "## surreal-alpha: decodes per clip, build throughput per core, memory", "",
             *head,
             f"- Sources in `{WORK}`: `mattehub.families.surreal_alpha.standin.write_clip` clips (H.264 mp4, "
             f"compressed `_segm/_depth/_info.mat`, 320x240), {plan.clips} of {plan.frames} frames "
             f"(throughput, streaming, short clips), {max(plan.rss_counts + (W2_CLIPS,))} of "
             f"{plan.rss_frames} (memory, long clips); {BACKGROUNDS} `make_hhm_sources` "
             f"backgrounds, half {BG_PIXELS[0][0]}x{BG_PIXELS[0][1]}, half {BG_PIXELS[1][0]}x{BG_PIXELS[1][1]}",
             f"- Throughput: `--num-bgs {plan.num_bgs} --layout dim --bg-size {BG_SIZE}`: frame "
             f"scaled to 640x480 on the background scaled to {BG_SIZE} px on its shorter side: "
             f"outputs of " + " or ".join(f"{round(w * BG_SIZE / h)}x{BG_SIZE}" for w, h in BG_PIXELS),
             "", "### Decodes per clip", "", *decode_section(runs, plan), "",
             "### Throughput: (a) mattehub against (b) the Deep Image Matting tool's way", "",
             *throughput_section(runs, plan), "",
             "### Peak RSS of a build against clip count", "", *memory_section(runs["memory"], plan)]
    for title, p in (runs["profile"] or {}).items():
        lines += ["", f"### cProfile of {title}", "", f"The throughput workload, {p['total_s']:.1f}"
                  " s profiled (profiling adds overhead; share: of that total):", "",
                  *functions_table(p)]
    return "\n".join(lines + [MARKS[1]]) + "\n"


# --- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Measure, print, and (full run, or --docs) rewrite the section of docs/benchmarks.md."""
    global WORK
    parser = benchmark_parser(__doc__, "clips", FULL, QUICK,
                              "cProfile (a) and (b) (default: yes, but not with --quick)",
                              "A full run takes ~3.5 min on 2 cores.", ("--child",))
    parser.add_argument("--work", type=Path, default=WORK,
                        help="scratch folder: sources, outputs, code snapshot (default %(default)s)")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    start, load, WORK, base = time.perf_counter(), os.getloadavg()[0], args.work.resolve(), (
        QUICK if args.quick else FULL)
    plan = Plan(args.clips or base.clips, base.frames, base.num_bgs, args.repeats or base.repeats,
                args.rss_clips or base.rss_counts, base.rss_frames)
    WORK.mkdir(parents=True, exist_ok=True)
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    bg, src = backgrounds(), tree(plan.clips, plan.frames)
    long_src = tree(max(plan.rss_counts + (W2_CLIPS,)), plan.rss_frames)
    runs = dict(zip(("throughput", "check"), throughput(src, bg, plan)),
                decodes=decode_runs(src, long_src, bg, plan), memory=memory_runs(long_src, bg, plan))
    profile = args.profile if args.profile is not None else not args.quick
    runs["profile"] = profile_runs(src, bg, plan) if profile else None
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_surreal.py",
                          *(sys.argv[1:] if argv is None else argv)])
    section = report(runs, plan, measured_lines(info, command, time.perf_counter() - start,
                                                (load, os.getloadavg()[0])))
    (WORK / "results-surreal.json").write_text(json.dumps(dict(runs, machine=info,
                                                               plan=asdict(plan)), indent=1))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()

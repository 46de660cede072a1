"""Benchmark of the ``aim`` train build: samples/s per core against Deep Image Matting's way.

On sources generated once in ``/dev/shm/mattehub-bench-aim`` (else the temp folder; or
``--work``): ``FOREGROUNDS`` AIM-like foregrounds of 800x600 to 1200x900 (``train/fg`` PNG
contaminated by their backdrop where alpha < 1, ``train/alpha`` PNG, made by
``bench_foreground.make_case``) and ``BACKGROUNDS`` COCO-like JPEGs (mostly 640x480), each
workload a fresh process pinned to one CPU timing the work only, best of ``--repeats``
interleaved runs:

- (a) ``mattehub build aim --data-dir D --bg-root BG --num-bgs N`` (the CLI's ``main`` in the
  child, ``--workers 1``), Parquet + WebDataset, with the default ``--image-format jpg``
  (q95) and with ``--image-format png`` (the reference's format); (p) the same, Parquet only;
- (b) ``reference_aim.py``: Deep Image Matting's composition script's algorithm with OpenCV
  (read fg and alpha; per background: read, scale up by the DIM ratio with bicubic, crop
  top-left, composite in float, write the composite PNG into a folder), on the same
  backgrounds per foreground as mattehub draws;
- (a1), (p1): (a) and (p) with ``--image-format jpg`` on one foreground, to split each build
  into a once-per-build cost and a cost per further sample;
- encoding only (``floor``), on the arrays of one foreground's samples: what mattehub encodes
  per sample (composite and background, JPEG q95 or PNG level 3) against the reference's
  composite PNG (OpenCV's defaults);
- cProfile of (a) (jpg and png) and (b): top functions by own time.

Target: (a) >= 2x (b) in samples/s per core.

    python benchmarks/bench_aim.py            # full run, ~3 min on 2 cores; rewrites its
                                              # section of docs/benchmarks.md
    python benchmarks/bench_aim.py --quick    # ~1 min smoke run, prints only
"""
from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common import (build_child_result, child_benchmark_parser, publish, best_of, cached, check_snapshot,
                    functions_table, machine, md_table, measured_lines, rate,
                    ratio_table, run_child, snapshot_code, timed, times, top_functions)

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-aim"  # tmpfs: outputs cost no disk
SEED, CONFIG, TARGET = 0, "aim", 2.0
MARKS = ("<!-- bench_aim:start -->", "<!-- bench_aim:end -->")
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pyarrow", "webdataset", "datasets")
FOREGROUNDS = (("hair", 800, 600), ("fur", 900, 675), ("glass", 1000, 750), ("lace", 1080, 810),
               ("hair", 1200, 900), ("fur", 960, 720))
"""(kind, width, height) of the training foregrounds (``bench_foreground.make_case``)."""
BG_SIZES = ((640, 480),) * 16 + ((640, 427),) * 2 + ((480, 640),) * 2
"""COCO-like: mostly 640x480, a few 640x427 and portrait 480x640."""
BOTH = "parquet,webdataset"
RUNS = {  # kind: (child, spec, what)
    "a-jpg": ("mattehub", {"formats": BOTH, "image_format": "jpg"},
              "mattehub CLI, `--image-format jpg` (q95, default), Parquet + WebDataset"),
    "p-jpg": ("mattehub", {"formats": "parquet", "image_format": "jpg"},
              "mattehub CLI, `--image-format jpg`, Parquet only"),
    "a-png": ("mattehub", {"formats": BOTH, "image_format": "png"},
              "mattehub CLI, `--image-format png`, Parquet + WebDataset"),
    "p-png": ("mattehub", {"formats": "parquet", "image_format": "png"},
              "mattehub CLI, `--image-format png`, Parquet only"),
    "b": ("reference", {}, "reference: cv2, DIM's composition script's way, composite PNG folder"),
    "a1-jpg": ("mattehub", {"formats": BOTH, "image_format": "jpg", "foregrounds": 1},
               "(a-jpg) on one foreground"),
    "p1-jpg": ("mattehub", {"formats": "parquet", "image_format": "jpg", "foregrounds": 1},
               "(p-jpg) on one foreground"),
}
PROFILED = ("a-jpg", "a-png", "b")


@dataclass(frozen=True)
class Plan:
    """``foregrounds`` of FOREGROUNDS over ``num_bgs`` of ``backgrounds`` each, best of ``repeats``."""

    foregrounds: int
    backgrounds: int
    num_bgs: int
    repeats: int

    @property
    def samples(self) -> int:
        return self.foregrounds * self.num_bgs


FULL = Plan(foregrounds=6, backgrounds=20, num_bgs=10, repeats=3)
QUICK = Plan(foregrounds=3, backgrounds=20, num_bgs=5, repeats=1)


# --- sources --------------------------------------------------------------------------------
def sources(plan: Plan) -> Path:
    """``data/train/{fg,alpha}/<name>.png`` and ``bg/coco_<n>.jpg``."""
    import cv2
    import numpy as np

    from bench_foreground import make_background, make_case

    def make(root: Path) -> None:
        for folder in ("data/train/fg", "data/train/alpha", "bg"):
            (root / folder).mkdir(parents=True)
        for number, (kind, width, height) in enumerate(FOREGROUNDS[:plan.foregrounds]):
            _, raw, alpha, _ = make_case(kind, width, height, seed=SEED + number)
            name = f"{number:02d}_{kind}.png"
            cv2.imwrite(str(root / "data/train/fg" / name), raw)
            cv2.imwrite(str(root / "data/train/alpha" / name), alpha)
        rng = np.random.default_rng([SEED, 11])
        for number, (width, height) in enumerate(BG_SIZES[:plan.backgrounds]):
            cv2.imwrite(str(root / "bg" / f"coco_{number:03d}.jpg"),
                        make_background(rng, width, height), [cv2.IMWRITE_JPEG_QUALITY, 90])

    return cached(WORK / f"src-F{plan.foregrounds}-B{plan.backgrounds}", make)


def draws(src: Path, plan: Plan) -> list[list[str]]:
    """Per foreground, the background paths mattehub's build composites it over (its
    per-foreground generator), for the reference to use the same ones."""
    from mattehub.families.aim.options import AimOptions
    from mattehub.families.aim.recipe import AimRecipe

    recipe = AimRecipe(AimOptions(data_dir=str(src / "data"), bg_root=str(src / "bg"),
                                  num_bgs=plan.num_bgs), SEED)
    recipe.prepare()
    return [[recipe.sources.backgrounds[recipe.pick_background(n * plan.num_bgs + k)].path
             for k in range(plan.num_bgs)] for n in range(len(recipe.sources.foregrounds))]


# --- children: one workload each, in a fresh process ----------------------------------------
def child_main(spec: dict) -> None:
    """Run the workload ``spec["kind"]`` and print its result (``common.child_result``)."""
    global CHILD_START
    CHILD_START = time.perf_counter()
    check_snapshot(Path(spec["code"]))  # imports mattehub
    build_child_result(spec, globals()[f"{spec['kind']}_child"])


def cli_args(spec: dict) -> list[str]:
    """``mattehub build aim`` arguments of a spec."""
    src = Path(spec["src"])
    args = ["build", CONFIG, "--data-dir", str(src / "data"), "--bg-root", str(src / "bg"),
            "--num-bgs", str(spec["num_bgs"]), "--out", spec["out"], "--workers", "1",
            "--format", spec["formats"], "--image-format", spec["image_format"],
            "--seed", str(SEED), "--no-progress"]
    if spec.get("foregrounds"):
        args += ["--num-samples", str(spec["foregrounds"] * spec["num_bgs"])]
    return args


def mattehub_child(spec: dict) -> dict:
    """(a), (p) and their one-foreground runs: the CLI's ``main`` in this process."""
    from mattehub.cli import main as cli

    imports = time.perf_counter() - CHILD_START
    args = cli_args(spec)
    result = timed(lambda: {"exit": cli.main(args)}, spec.get("profile"))
    if result["exit"]:
        raise SystemExit(f"mattehub {shlex.join(args)} exited with {result['exit']}")
    import pyarrow.parquet as pq

    shards = sorted((Path(spec["out"]) / CONFIG).glob("*.parquet"))
    result["samples"] = sum(pq.read_metadata(shard).num_rows for shard in shards)
    result["import_seconds"] = imports
    return result


def reference_child(spec: dict) -> dict:
    """(b): ``reference_aim.run_reference`` on the same sources and backgrounds."""
    from reference_aim import run_reference

    src, chosen = Path(spec["src"]), spec["draws"]
    return timed(lambda: asdict(run_reference(
        src / "data/train/fg", src / "data/train/alpha", src / "bg", Path(spec["out"]),
        spec["num_bgs"], lambda n: chosen[n])), spec.get("profile"))


def floor_child(spec: dict) -> dict:
    """Encoding only, to memory, on the first foreground's composites and backgrounds (made
    with mattehub's rule): per sample mattehub's two encodes (composite and background, jpg
    q95 or png) and the reference's one composite PNG (OpenCV's defaults); best of 3."""
    import cv2

    from mattehub.contract import codecs
    from mattehub.families.aim.compose import composite, dim_background

    src, chosen = Path(spec["src"]), spec["draws"][0]
    name = sorted((src / "data/train/fg").iterdir())[0].name
    fg = cv2.imread(str(src / "data/train/fg" / name))
    alpha = cv2.imread(str(src / "data/train/alpha" / name), cv2.IMREAD_GRAYSCALE)
    pairs = []
    for path in chosen:
        bg, _ = dim_background(cv2.imread(str(src / "bg" / path)), (fg.shape[1], fg.shape[0]))
        pairs.append((composite(fg, bg, alpha), bg))

    def encode(kind: str) -> None:
        for image, bg in pairs:
            if kind == "reference":
                cv2.imencode(".png", image)
            else:
                codecs.encode_rgb(image, kind, codecs.DEFAULT_JPEG_QUALITY, bgr=True)
                codecs.encode_rgb(bg, kind, codecs.DEFAULT_JPEG_QUALITY, bgr=True)

    result = {}
    for kind in ("jpg", "png", "reference"):
        result[kind] = min(timed(lambda: encode(kind) or {})["seconds"] for _ in range(3)) / len(pairs)
    return dict(result, samples=len(pairs))


# --- the parent -----------------------------------------------------------------------------
def child(kind: str, src: Path, plan: Plan, chosen: list, **spec) -> dict:
    spec = dict(kind=kind, code=str(WORK / "code"), src=str(src), out=str(WORK / "out"),
                num_bgs=plan.num_bgs, draws=chosen) | spec
    return run_child(Path(__file__), WORK / "code", spec, min(os.sched_getaffinity(0)))


def throughput(src: Path, plan: Plan, chosen: list) -> dict[str, dict]:
    return best_of(RUNS, plan.repeats, lambda kind: child(RUNS[kind][0], src, plan, chosen,
                                                          **RUNS[kind][1]))


def profile_runs(src: Path, plan: Plan, chosen: list) -> dict[str, Path]:
    done = {}
    for kind in PROFILED:
        done[kind] = WORK / f"{kind}.prof"
        name, spec, _ = RUNS[kind]
        child(name, src, plan, chosen, profile=str(done[kind]), **spec)
    print("  profiles written", flush=True)
    return done


def marginal(results: dict, run: str) -> dict:
    """Once-per-build seconds and seconds per further sample of ``run`` (``a`` or ``p``,
    jpg) from its full and one-foreground runs (a straight line through both)."""
    full, one = results[f"{run}-jpg"], results[f"{run}1-jpg"]
    per_sample = (full["seconds"] - one["seconds"]) / (full["samples"] - one["samples"])
    return {"fixed": one["seconds"] - one["samples"] * per_sample, "per_sample": per_sample}


def fmt_runs(results: dict) -> list[str]:
    rows = [(f"({kind})", RUNS[kind][2], r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{rate(r):.1f}**", f"{1000 * r['seconds'] / r['samples']:.1f}",
             f"{1000 * r['cpu_seconds'] / r['samples']:.1f}", f"{r['mb_written']:.1f}",
             f"{r['peak_rss_mib']:.0f}")
            for kind, r in results.items()]
    return md_table(("run", "what", "samples:", "seconds, best (runs):", "samples/s per core:",
                     "ms/sample:", "CPU ms/sample:", "MB written:", "peak RSS MiB:"), rows)


STAGES = {  # title: (file, function) whose cumulative time it is, in (a)'s profile
    "whole build": ("build/run.py", "build"),
    "foreground: decode + encode (once per foreground)": ("families/aim/compose.py", "prepare_foreground"),
    "background: decode": ("inputs/gate.py", "decode_rgb"),
    "background: DIM scale + crop": ("families/aim/compose.py", "dim_background"),
    "composite (blendLinear + float32 weights)": ("families/aim/compose.py", "composite"),
    "encode composite + background": ("families/aim/recipe.py", "_encode"),
    "Parquet writer": ("formats/parquet.py", "write"),
    "WebDataset writer": ("formats/webdataset.py", "write"),
    "shard digests (sha256/md5)": ("build/sequence.py", "file_digests"),
    "finalize: preview sheet, card": ("build/finalize.py", "finalize_split"),
}
REFERENCE_STAGES = {"whole run": ("reference_aim.py", "run_reference"),
                    "cv2.imread (fg, alpha, bg)": ("~", "<imread>"),
                    "scale background": ("reference_aim.py", "scale_background"),
                    "composite4 (numpy float32)": ("reference_aim.py", "composite4"),
                    "cv2.imwrite PNG": ("~", "<imwrite>")}


def stage_rows(profile: Path, stages: dict, samples: int) -> list[tuple]:
    """Cumulative seconds, ms per sample and share of the first stage, per stage present."""
    import pstats

    stats = pstats.Stats(str(profile)).stats
    found = {}
    for title, (where, name) in stages.items():
        found[title] = sum(s[3] for (path, _, func), s in stats.items()
                           if func == name and (where == "~" or where in path))
    total = next(iter(found.values())) or 1.0
    return [(title, f"{seconds:.2f}", f"{1000 * seconds / samples:.1f}", f"{100 * seconds / total:.0f}%")
            for title, seconds in found.items() if seconds]


def dominates(results: dict, profiles: dict | None) -> str:
    """(a-jpg)'s and (b)'s per-sample stages, from the profiles."""
    if not profiles:
        return ""
    ours = {row[0]: row[2] for row in stage_rows(profiles["a-jpg"], STAGES, results["a-jpg"]["samples"])}
    theirs = {row[0]: row[2] for row in stage_rows(profiles["b"], REFERENCE_STAGES, results["b"]["samples"])}
    parts = ", ".join(f"{title} {ms}" for title, ms in list(ours.items())[1:])
    ref = ", ".join(f"{title} {ms}" for title, ms in list(theirs.items())[1:])
    return (f" Per sample under cProfile (ms, profiled, {results['a-jpg']['samples']} samples so the "
            f"once-per-build stages weigh in): (a-jpg) {ours.get('whole build', '?')} in all: {parts}; "
            f"(b) {theirs.get('whole run', '?')} in all: {ref}. The reference's time is its PNG "
            "write and its numpy float32 blend; mattehub's is spread over the blend, two JPEG "
            "encodes, decoding and scaling the background, the writers and the shard digests, "
            "none of which dominates.")


def report(results: dict, floor: dict, plan: Plan, head: list[str], profiles: dict | None) -> str:
    b_ms = 1000 * results["b"]["seconds"] / results["b"]["samples"]
    ab = {fmt: rate(results[f"a-{fmt}"]) / rate(results["b"]) for fmt in ("jpg", "png")}
    line = {run: marginal(results, run) for run in "ap"}
    rows = [(f"({run}-jpg)", f"{m['fixed']:.2f}", f"{1000 * m['per_sample']:.1f}",
             f"{1 / m['per_sample']:.1f}", f"{b_ms:.1f}", f"**{times(b_ms / (1000 * m['per_sample']))}**")
            for run, m in line.items()]
    met = [fmt for fmt, r in ab.items() if r >= TARGET]
    verdict = (f"**The {TARGET:g}x target is {'met' if 'jpg' in met else 'missed'} with the default "
               f"`--image-format jpg`** ((a-jpg) makes {times(ab['jpg'])} (b)'s samples per second; "
               f"per further sample {times(b_ms / (1000 * line['a']['per_sample']))}) **and "
               f"{'met' if 'png' in met else 'missed'} with `--image-format png`** "
               f"({times(ab['png'])}).")
    enc = (f"Encoding alone, to memory, on one foreground's composites and backgrounds "
           f"(`floor_child`): mattehub encodes two images per sample (the composite and the "
           f"scaled background; the foreground and alpha once per foreground): "
           f"{1000 * floor['jpg']:.1f} ms as JPEG q95, {1000 * floor['png']:.1f} ms as PNG "
           f"(level 3, `mattehub.contract.codecs`); the reference writes one PNG (OpenCV's defaults: "
           f"sub filter, zlib RLE strategy): {1000 * floor['reference']:.1f} ms. So with `--image-format png` "
           f"mattehub's encoding alone costs {floor['png'] / floor['reference']:.1f}x the "
           f"reference's whole encoding, and {times(1000 * floor['png'] / b_ms)} the "
           "reference's whole time per sample.")
    lines = [MARKS[0], "## aim: train build throughput per core, against Deep Image Matting's composition", "",
             *head,
             f"- Sources in `{WORK}` (generated by the benchmark): {plan.foregrounds} foregrounds "
             "of " + ", ".join(f"{w}x{h}" for _, w, h in FOREGROUNDS[:plan.foregrounds])
             + " (`train/fg` PNG, contaminated by their backdrop where alpha < 1, and "
             "`train/alpha` PNG, from `bench_foreground.make_case`: hair, fur, glass, lace), "
             f"{plan.backgrounds} COCO-like JPEG (q90) backgrounds (mostly 640x480, two 640x427, "
             f"two 480x640), `--num-bgs {plan.num_bgs}`: {plan.samples} samples. Every background "
             "is scaled up (the foregrounds are larger), as with COCO under AIM's foregrounds.",
             "- Each run is a fresh process pinned to one CPU timing the work only: for mattehub, "
             "`mattehub.cli.main.main([\"build\", \"aim\", ..., \"--workers\", \"1\"])` in the child "
             f"after `from mattehub import cli` (that import, "
             f"{results['a-jpg']['import_seconds']:.1f} s, is not counted); best of "
             f"{plan.repeats} interleaved runs, every run listed. Outputs on tmpfs. (b) composites "
             "each foreground over the same backgrounds as mattehub draws for it.", "",
             "Not the same outputs, by design: (b) writes what Deep Image Matting's script writes, "
             "the composite as a PNG (`cv2.imwrite`, OpenCV's default settings: sub filter, zlib RLE "
             "strategy) into `merged/` and "
             "a names list, truncating the blend to uint8; (a) writes per sample the composite "
             "and the scaled background (JPEG q95, or PNG level 3 with `--image-format png`), the "
             "foreground and alpha (encoded once per foreground, their bytes repeated in every "
             "sample) and a meta struct, into a Parquet and a WebDataset shard, rounding the "
             "blend; and once per build shard digests, a preview sheet and the card.", "",
             *fmt_runs(results), "",
             *ratio_table(results, (("a-jpg", "b"), ("p-jpg", "b"), ("a-png", "b"), ("p-png", "b")),
                          TARGET), "",
             "A straight line through the best runs on one foreground and on all splits (a-jpg) "
             "and (p-jpg) into a once-per-build cost and a cost per further sample:", "",
             *md_table(("run", "once per build, s:", "ms per further sample:",
                        "samples/s per core, further samples:", "(b) ms/sample:",
                        "ratio to (b), further samples:"), rows), "",
             verdict, "", "What dominates. " + enc + dominates(results, profiles)]
    if profiles:
        for kind, stages in (("a-jpg", STAGES), ("b", REFERENCE_STAGES)):
            lines += ["", f"### ({kind}) by stage (cProfile, cumulative time; profiling adds overhead)", "",
                      *md_table(("stage", "s:", "ms/sample:", "share:"),
                                stage_rows(profiles[kind], stages, results[kind]["samples"]))]
        for kind in PROFILED:
            top = top_functions(profiles[kind], 10)
            lines += ["", f"### cProfile of ({kind}), top functions by own time", "",
                      f"{top['total_s']:.2f} s profiled (share: of that total):", "",
                      *functions_table(top)]
    return "\n".join(lines + [MARKS[1]]) + "\n"


def main(argv: list[str] | None = None) -> None:
    global WORK
    parser = child_benchmark_parser(
        __doc__, "A full run takes ~3 min on 2 cores.", (FULL.repeats, QUICK.repeats), WORK,
        "cProfile (a-jpg), (a-png) and (b) (default: yes, not with --quick)")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    start, load, WORK = time.perf_counter(), os.getloadavg()[0], args.work.resolve()
    base = QUICK if args.quick else FULL
    plan = Plan(base.foregrounds, base.backgrounds, base.num_bgs, args.repeats or base.repeats)
    WORK.mkdir(parents=True, exist_ok=True)
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    src = sources(plan)
    chosen = draws(src, plan)
    results = throughput(src, plan, chosen)
    floor = child("floor", src, plan, chosen)
    print("  encoding only, ms/sample: " + ", ".join(
        f"{k} {1000 * floor[k]:.1f}" for k in ("jpg", "png", "reference")), flush=True)
    profile = args.profile if args.profile is not None else not args.quick
    profiles = profile_runs(src, plan, chosen) if profile else None
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_aim.py", *(sys.argv[1:] if argv is None else argv)])
    section = report(results, floor, plan, measured_lines(info, command, time.perf_counter() - start,
                                                          (load, os.getloadavg()[0])), profiles)
    (WORK / "results-aim.json").write_text(json.dumps(dict(results=results, floor=floor, machine=info,
                                                           plan=asdict(plan)), indent=1, default=str))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()

"""Benchmark of the ``overlay-depth`` synthesis build: pairs and samples per core, and depth models.

On sources generated once (textured 640x480 rooms with 16-bit depth maps in millimetres,
RGBA figures of max side 150, half of them with a ``mask_<stem>.jpg``) in
``/dev/shm/mattehub-bench-overlay`` (else the temp folder; or ``--work``):

1. whole process, as a user runs them (issue 20's target): (A) ``mattehub build
   overlay-depth --depth none --workers 1``, Parquet + WebDataset, (A50) the same with
   ``--jpeg-quality 50`` (the reference's quality), (B) ``reference_overlay.py``, each a
   fresh interpreter pinned to one CPU timed from outside (interpreter start and imports
   included, ``overlay_whole.py``); target (A) >= 2x (B) in samples/s;
2. pairs/s and samples/s per core, ``--depth none`` and ``--depth exact``, best of
   ``--repeats`` interleaved runs, each a fresh process pinned to one CPU timing the work only:
   (a) ``mattehub build overlay-depth`` (the CLI's ``main`` in the child, ``--workers 1``,
   Parquet + WebDataset), (p) the same, Parquet only, (b) ``reference_overlay.py`` (the
   original notebooks' way, Pillow + numpy, JPEG folders); targets (a) >= 2x (b). (a) and
   (p) also run on one pair, so the once-per-build cost and the cost per further sample can
   be told apart;
3. ``--depth MODEL`` with a tiny random DPT (``tests/tiny_depth.py``) on the CPU, and the
   forward pass alone of a ViT-B/16 DPT at 384x384 (random weights) for scale;
4. cProfile of (a), (b) and the model run: top functions by own time, (a) by stage.

    python benchmarks/bench_overlay.py            # full run, ~10 min on 2 cores; rewrites its
                                                  # section of docs/benchmarks.md
    python benchmarks/bench_overlay.py --quick    # ~1.5 min smoke run, prints only
    python benchmarks/bench_overlay.py --help     # --backgrounds, --foregrounds, --repeats ...
"""
from __future__ import annotations

import json
import os
import pstats
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common import (child_benchmark_parser, publish, HERE, best_of, cached, check_snapshot,
                    child_result, functions_table, machine, md_table, measured_lines, rate,
                    ratio_table, run_child, snapshot_code, timed, times, top_functions)
from overlay_whole import CLI, REFERENCE, reference_args, whole_run, whole_section

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-overlay"  # tmpfs: outputs cost no disk
SEED, CONFIG, PER_PAIR = 0, "overlay-depth", 40
TARGETS = {"none": 2.0, "exact": 2.0}
"""(a) samples/s >= this x (b), per ``--depth`` mode; the whole-process (A)/(B) target is "none"'s."""
MARKS = ("<!-- bench_overlay:start -->", "<!-- bench_overlay:end -->")
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset",
            "torch", "transformers")
BG_PIXELS = (640, 480)
FG_HEIGHT = 150
UPSTREAM = {"pairs_samples": 400_000, "overlay_min": 20.8, "depth_h": 6.2, "depth_batch": 60}
BOTH = "parquet,webdataset"
FLOOR_SAMPLES = 960
"""The encoding-only floor encodes the first this many overlays (held in memory: all 9,600
would be ~3 GB with depth)."""
MODES = ("none", "exact")
RUNS = {  # kind: (child, spec, what)
    **{f"{run}-{mode}": spec for mode in MODES for run, spec in (
        ("a", ("mattehub", {"depth": mode, "formats": BOTH},
               "mattehub CLI, Parquet + WebDataset")),
        ("p", ("mattehub", {"depth": mode, "formats": "parquet"}, "mattehub CLI, Parquet only")),
        ("b", ("reference", {"depth": mode}, "reference: Pillow + numpy, JPEG folders")),
        ("a1", ("mattehub", {"depth": mode, "formats": BOTH, "pairs": 1},
                "(a) on one pair")),
        ("p1", ("mattehub", {"depth": mode, "formats": "parquet", "pairs": 1},
                "(p) on one pair")))},
    "A-none": ("whole", {"side": "mattehub", "depth": "none", "formats": BOTH},
               "`mattehub build overlay-depth --depth none`, Parquet + WebDataset, whole process"),
    "A50-none": ("whole", {"side": "mattehub", "depth": "none", "formats": BOTH, "jpeg_quality": 50},
                 "(A) with `--jpeg-quality 50` (the reference's quality)"),
    "B-none": ("whole", {"side": "reference", "depth": "none"},
               "reference (Pillow + numpy, JPEG q50 folders + csv), whole process"),
}
WHOLE = ("A-none", "A50-none", "B-none")
MODEL_RUNS = {
    "m": ("mattehub", {"depth": "model", "formats": BOTH},
          "mattehub CLI, `--depth <tiny DPT> --device cpu`, Parquet + WebDataset"),
    "m1": ("mattehub", {"depth": "model", "formats": BOTH, "batches": 1}, "(m) on one batch")}
FORWARD = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
               intermediate_size=3072, image_size=384, patch_size=16,
               backbone_out_indices=[2, 5, 8, 11], neck_hidden_sizes=[96, 192, 384, 768],
               fusion_hidden_size=256)
"""A ViT-B/16 DPT (the size of MiDaS v3 / DPT base models) for the forward-only timing."""


@dataclass(frozen=True)
class Plan:
    """How much to run: ``backgrounds`` x ``foregrounds`` pairs of 40 samples, best of
    ``repeats``; the model run makes ``model_samples`` samples in batches of ``model_batch``."""

    backgrounds: int
    foregrounds: int
    repeats: int
    model_samples: int
    model_batch: int
    forward_batch: int

    @property
    def pairs(self) -> int:
        return self.backgrounds * self.foregrounds


FULL = Plan(backgrounds=24, foregrounds=10, repeats=3, model_samples=320, model_batch=16,
            forward_batch=2)
QUICK = Plan(backgrounds=2, foregrounds=2, repeats=1, model_samples=64, model_batch=16,
             forward_batch=1)


# --- sources --------------------------------------------------------------------------------
def _room(rng, width: int, height: int):
    """A textured room (RGB uint8) and its depth in millimetres (uint16): a wall at 5-7 m,
    a floor coming nearer towards the bottom, a window, furniture-sized smooth bumps and a
    few millimetres of sensor noise (a depth map that compresses like a measured one)."""
    import cv2
    import numpy as np

    horizon = int(height * rng.uniform(0.45, 0.6))
    ys = np.arange(height, dtype=np.float32)[:, None]
    t = np.clip((ys - horizon) / max(1, height - horizon), 0, 1)
    wall_mm = rng.uniform(5000, 7000)
    depth = np.repeat(np.where(ys < horizon, wall_mm, wall_mm + (1500 - wall_mm) * t), width, 1)
    bumps = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 25)
    depth = depth + bumps / np.abs(bumps).max() * 400 + rng.normal(0, 4, (height, width))
    wall, floor = rng.integers(120, 230, 3), rng.integers(60, 150, 3)
    image = np.where(ys[:, :, None] < horizon, wall.astype(np.float32),
                     floor * (0.75 + 0.25 * t)[:, :, None])
    image = np.repeat(image, width, 1) if image.shape[1] == 1 else image
    x0, y0 = int(rng.integers(width // 10, width // 2)), int(rng.integers(height // 10, horizon // 2))
    cv2.rectangle(image, (x0, y0), (x0 + width // 4, y0 + height // 5), (245, 245, 235), -1)
    texture = cv2.GaussianBlur(rng.normal(0, 25, (height, width)).astype(np.float32), (0, 0), 3)
    image = image + texture[:, :, None] + rng.normal(0, 6, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8), np.clip(depth, 1, 65535).astype(np.uint16)


def _figure(rng, height: int):
    """An RGBA standing figure, max side ``height``, textured clothes, soft alpha edges."""
    import cv2
    import numpy as np

    width = height // 2
    rgba = np.zeros((height, width, 4), np.uint8)
    shirt, trousers = (tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(2))
    cv2.circle(rgba, (width // 2, height // 8), height // 10, (225, 185, 150, 255), -1)
    cv2.rectangle(rgba, (width // 5, height // 4), (width - width // 5, height * 3 // 5), (*shirt, 255), -1)
    cv2.rectangle(rgba, (width // 4, height * 3 // 5), (width - width // 4, height - 2), (*trousers, 255), -1)
    outside = rgba[:, :, 3] == 0
    rgba[:, :, :3][outside] = cv2.dilate(rgba[:, :, :3], np.ones((5, 5), np.uint8))[outside]
    rgba[:, :, :3] = np.clip(rgba[:, :, :3] + rng.normal(0, 10, (height, width, 3)), 0, 255)
    rgba[:, :, 3] = cv2.GaussianBlur(rgba[:, :, 3], (5, 5), 0)
    return rgba


def sources(plan: Plan) -> Path:
    """``bg/``, ``bg_depth/``, ``fg/`` and ``fg_mask/`` (even-numbered figures use their alpha)."""
    import cv2
    import numpy as np
    from PIL import Image

    def make(root: Path) -> None:
        rng = np.random.default_rng(SEED)
        for name in ("bg", "bg_depth", "fg", "fg_mask"):
            (root / name).mkdir(parents=True)
        for number in range(1, plan.backgrounds + 1):
            image, depth = _room(rng, *BG_PIXELS)
            Image.fromarray(image).save(root / "bg" / f"bg{number:03d}.jpg", quality=90)
            cv2.imwrite(str(root / "bg_depth" / f"bg{number:03d}.png"), depth)
        for number in range(1, plan.foregrounds + 1):
            rgba = _figure(rng, FG_HEIGHT)
            Image.fromarray(rgba, "RGBA").save(root / "fg" / f"fg{number:03d}.png")
            if number % 2:
                mask = np.where(rgba[:, :, 3] > 0, 255, 0).astype(np.uint8)
                Image.fromarray(mask).save(root / "fg_mask" / f"mask_fg{number:03d}.jpg", quality=50)

    return cached(WORK / f"src-B{plan.backgrounds}-F{plan.foregrounds}-{BG_PIXELS[0]}", make)


def tiny_model() -> Path:
    """``tests/tiny_depth.py``'s tiny random DPT, saved once (in a child: torch is slow to import)."""
    return cached(WORK / "tiny-dpt", lambda root: run_child(
        Path(__file__), WORK / "code", {"kind": "save_tiny", "out": str(root),
                                        "code": str(WORK / "code")}))


# --- children: one workload each, in a fresh process ----------------------------------------
def child_main(spec: dict) -> None:
    """Run the workload ``spec["kind"]`` and print its result (``common.child_result``)."""
    global CHILD_START
    CHILD_START = time.perf_counter()
    check_snapshot(Path(spec["code"]))  # imports mattehub
    if spec["kind"] == "save_tiny":
        sys.path.insert(0, str(HERE.parent / "tests"))
        from tiny_depth import save_tiny_depth_model

        save_tiny_depth_model(Path(spec["out"]), "dpt")
        return child_result({})
    shutil.rmtree(spec["out"], ignore_errors=True)  # a build would resume from an old output
    result = globals()[f"{spec['kind']}_child"](spec)
    out = Path(spec["out"])
    result["mb_written"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    shutil.rmtree(out, ignore_errors=True)
    child_result(result)


def cli_args(spec: dict) -> list[str]:
    """``mattehub build overlay-depth`` arguments of a spec."""
    src = Path(spec["src"])
    args = ["build", CONFIG, "--out", spec["out"], "--bg-root", str(src / "bg"),
            "--fg-root", str(src / "fg"), "--mask-root", str(src / "fg_mask"), "--workers", "1",
            "--format", spec["formats"], "--seed", str(SEED), "--no-progress"]
    if spec["depth"] == "exact":
        args += ["--depth", "exact", "--bg-depth-root", str(src / "bg_depth")]
    elif spec["depth"] == "model":
        args += ["--depth", spec["model"], "--device", "cpu", "--depth-batch", str(spec["batch"])]
    if spec.get("samples"):
        args += ["--num-samples", str(spec["samples"])]
    if spec.get("jpeg_quality"):
        args += ["--jpeg-quality", str(spec["jpeg_quality"])]
    return args


def mattehub_child(spec: dict) -> dict:
    """(a), (p), their one-pair runs and the model run: the CLI's ``main`` in this process."""
    from mattehub.cli import main as cli

    from mattehub.formats.webdataset import WebDatasetShardWriter

    imports = time.perf_counter() - CHILD_START
    opening, open_writer = [], WebDatasetShardWriter.__init__

    def timed_open(self, *args, **kwargs) -> None:  # measures only: the time to open a tar shard
        start = time.perf_counter()
        open_writer(self, *args, **kwargs)
        opening.append(time.perf_counter() - start)

    WebDatasetShardWriter.__init__ = timed_open
    args = cli_args(spec)
    result = timed(lambda: {"exit": cli.main(args)}, spec.get("profile"))
    result["wds_open_seconds"] = sum(opening)
    if result["exit"]:
        raise SystemExit(f"mattehub {shlex.join(args)} exited with {result['exit']}")
    import pyarrow.parquet as pq

    shards = sorted((Path(spec["out"]) / CONFIG).glob("*.parquet"))
    result["samples"] = sum(pq.read_metadata(shard).num_rows for shard in shards)
    result["import_seconds"] = imports
    if spec["depth"] == "model":
        import torch

        result["torch_threads_after"] = torch.get_num_threads()
    return result


def reference_child(spec: dict) -> dict:
    """(b): ``reference_overlay.run_reference`` on the same sources."""
    from reference_overlay import run_reference

    src = Path(spec["src"])
    return timed(lambda: asdict(run_reference(
        src / "bg", src / "fg", src / "fg_mask", Path(spec["out"]), spec["depth"],
        src / "bg_depth", SEED, pairs=spec.get("pairs"))), spec.get("profile"))


def floor_child(spec: dict) -> dict:
    """Encoding only, on the arrays mattehub composites: per mode, mattehub's encoders for
    its outputs (overlay JPEG at the default quality, mask PNG, depth PNG) and the reference's
    (Pillow JPEG q50 overlay and mask, OpenCV-default 16-bit PNG), to memory, best of 3, on
    the first FLOOR_SAMPLES overlays."""
    import io

    import cv2
    from PIL import Image

    from mattehub.contract import codecs
    from mattehub.families.overlay_depth.options import OverlayDepthOptions
    from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe

    src, result = Path(spec["src"]), {}
    for mode in MODES:
        recipe = OverlayDepthRecipe(OverlayDepthOptions(
            bg_root=str(src / "bg"), fg_root=str(src / "fg"), mask_root=str(src / "fg_mask"),
            depth=mode, bg_depth_root=str(src / "bg_depth") if mode == "exact" else None), SEED)
        recipe.prepare()
        synthesis, quality = recipe.maker().synthesis, recipe.options.jpeg_quality
        overlays = [synthesis.overlay(index)  # held in memory: at most FLOOR_SAMPLES
                    for index in range(min(synthesis.available(), FLOOR_SAMPLES))]
        pictures = [(Image.fromarray(o.image[:, :, ::-1]), Image.fromarray(o.mask), o.depth)
                    for o in overlays]

        def ours() -> None:
            for o in overlays:
                codecs.encode_rgb(o.image, "jpg", quality, bgr=True)
                codecs.encode_png(o.mask)
                if o.depth is not None:
                    codecs.encode_png(o.depth)

        def theirs() -> None:
            for image, mask, depth in pictures:
                image.save(io.BytesIO(), "JPEG", quality=50)
                mask.save(io.BytesIO(), "JPEG", quality=50)
                if depth is not None:
                    cv2.imencode(".png", depth)

        for side, encode in (("mattehub", ours), ("reference", theirs)):
            best = min(timed(lambda: encode() or {})["seconds"] for _ in range(3))
            result[f"{side}-{mode}"] = best / len(overlays)
    return dict(result, samples=len(overlays))


def forward_child(spec: dict) -> dict:
    """The forward pass alone of a ViT-B/16 DPT (random weights) at 384x384, one thread."""
    import torch
    from transformers import DPTConfig, DPTForDepthEstimation

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = DPTForDepthEstimation(DPTConfig(**FORWARD)).eval()
    pixels = torch.rand(spec["batch"], 3, FORWARD["image_size"], FORWARD["image_size"])
    with torch.inference_mode():
        model(pixel_values=pixels[:1])  # warm-up
        result = timed(lambda: {"shape": list(model(pixel_values=pixels).predicted_depth.shape)})
    return dict(result, images=spec["batch"], params_m=sum(p.numel() for p in model.parameters()) / 1e6)


# --- the parent -----------------------------------------------------------------------------
def child(kind: str, src: Path, pinned: bool = True, **spec) -> dict:
    """Run one workload (``child_main``) in a fresh process, on our first CPU if ``pinned``."""
    spec = dict(kind=kind, code=str(WORK / "code"), src=str(src), out=str(WORK / "out")) | spec
    if spec.get("pairs"):
        spec.setdefault("samples", spec["pairs"] * PER_PAIR)
    cpu = min(os.sched_getaffinity(0)) if pinned else None
    if kind == "whole":  # in the parent: a whole process timed from outside
        out = Path(spec["out"])
        call = ((CLI, [cli_args(spec)]) if spec["side"] == "mattehub" else
                (REFERENCE, reference_args(src, out, spec["depth"], SEED)))
        return whole_run(*call, out, CONFIG, WORK / "code", cpu)
    return run_child(Path(__file__), WORK / "code", spec, cpu)


def throughput(src: Path, plan: Plan) -> dict[str, dict]:
    """Best-of interleaved runs of every RUNS kind; pairs per run added."""
    results = best_of(RUNS, plan.repeats, lambda kind: child(RUNS[kind][0], src, **RUNS[kind][1]))
    for kind, run in results.items():
        run["pairs"] = run["samples"] / PER_PAIR
    return results


def model_child_spec(kind: str, model: Path, plan: Plan) -> dict:
    """``child()`` arguments of a MODEL_RUNS kind."""
    spec = dict(MODEL_RUNS[kind][1], model=str(model), batch=plan.model_batch)
    spec["samples"] = plan.model_batch * spec.pop("batches", plan.model_samples // plan.model_batch)
    return spec


def model_runs(src: Path, model: Path, plan: Plan) -> dict:
    """The tiny-model builds (best of max(1, repeats - 1)) and the forward-only timing."""
    runs = best_of(MODEL_RUNS, max(1, plan.repeats - 1), lambda kind: child(
        MODEL_RUNS[kind][0], src, **model_child_spec(kind, model, plan)))
    runs["forward"] = child("forward", src, batch=plan.forward_batch)
    print(f"  forward only, ViT-B/16 DPT at 384: "
          f"{runs['forward']['seconds'] / runs['forward']['images']:.2f} s/image", flush=True)
    return runs


def floor_run(src: Path) -> dict:
    """``floor_child``: seconds per sample of encoding only, per side and mode."""
    floor = child("floor", src)
    print("  encoding only, ms/sample: " + ", ".join(
        f"{k} {1000 * v:.2f}" for k, v in floor.items() if k.endswith(MODES)), flush=True)
    return floor


def profile_runs(src: Path, model: Path, plan: Plan) -> dict[str, Path]:
    """(a) and (b) of both modes and the model run under cProfile."""
    done = {}
    for kind in ("a-none", "a-exact", "b-none", "b-exact"):
        name, spec, _ = RUNS[kind]
        done[kind] = WORK / f"{kind}.prof"
        child(name, src, profile=str(done[kind]), **spec)
    done["m"] = WORK / "m.prof"
    child(MODEL_RUNS["m"][0], src, profile=str(done["m"]), **model_child_spec("m", model, plan))
    print("  profiles written", flush=True)
    return done


# --- profile stages -------------------------------------------------------------------------
STAGES = [  # (title, (file, function), caller (file, function) or None, indent)
    ("whole build", ("build/run.py", "build"), None, 0),
    ("scan sources (once per build)", ("families/overlay_depth/synth_source.py", "scan"), None, 1),
    ("load the depth model", ("families/overlay_depth/depth_model.py", "load"), None, 2),
    ("make samples: pixel work", ("families/overlay_depth/synth_source.py", "_overlay"), None, 1),
    ("placement: per-sample generator", ("families/overlay_depth/synth.py", "locate"), None, 2),
    ("background: decode, resize, encode (once per background)",
     ("families/overlay_depth/synth.py", "_load_background"), None, 2),
    ("foreground: decode (once per pair)", ("families/overlay_depth/sources.py", "load_foreground"), None, 2),
    ("foreground: flip + premultiplied resize (once per pair and scale)",
     ("families/overlay_depth/synth.py", "_scaled"), None, 2),
    ("encode outputs", ("families/overlay_depth/synth_source.py", "_encode"), None, 1),
    ("overlay JPEG", ("contract/codecs.py", "encode_rgb"), ("families/overlay_depth/synth_source.py", "_encode"), 2),
    ("mask PNG (+ depth PNG)", ("contract/codecs.py", "encode_png"),
     ("families/overlay_depth/synth_source.py", "_encode"), 2),
    ("meta dict", ("families/overlay_depth/synth_source.py", "_meta"), None, 2),
    ("depth model: processor + forward + post-processing", ("families/overlay_depth/synth_source.py", "_predict"),
     None, 1),
    ("image processor", ("image_processing", "__call__"), ("families/overlay_depth/depth_model.py", "_forward"), 2),
    ("model forward", ("torch/nn/modules/module.py", "_wrapped_call_impl"),
     ("families/overlay_depth/depth_model.py", "_forward"), 2),
    ("resize maps", ("families/overlay_depth/depth_model.py", "resize_depth"), None, 2),
    ("normalise maps", ("families/overlay_depth/depth_model.py", "normalise_depth"), None, 2),
    ("open WebDataset writer",
     ("formats/webdataset.py", "__init__"), None, 1),
    ("WebDataset writer: tar members", ("formats/webdataset.py", "write"), None, 1),
    ("Parquet writer: rows, tables, row groups", ("formats/parquet.py", "write"), None, 1),
    ("close shards: sha256/md5 of the files, stats", ("build/sequence.py", "finish"), None, 1),
    ("finalize: preview sheet, index, card (once per build)", ("build/finalize.py", "finalize_split"),
     None, 1),
]


def _matches(func: tuple[str, int, str], where: tuple[str, str]) -> bool:
    return func[2] == where[1] and where[0] in func[0]


def stage_rows(profile: Path, samples: int) -> list[tuple]:
    """Cumulative seconds of each STAGES row present in the profile (restricted to calls
    from ``caller`` when given), ms per sample, share of the whole build."""
    stats = pstats.Stats(str(profile))
    total = next((s[3] for f, s in stats.stats.items() if _matches(f, STAGES[0][1])), stats.total_tt)
    rows = []
    for title, callee, caller, indent in STAGES:
        seconds, found = 0.0, False
        for func, (_, _, _, cum, callers) in stats.stats.items():
            if not _matches(func, callee):
                continue
            if caller is None:
                seconds, found = seconds + cum, True
            else:
                for who, timing in callers.items():
                    if _matches(who, caller):
                        seconds, found = seconds + timing[3], True
        if found:
            rows.append(("&nbsp;&nbsp;" * indent + title, f"`{callee[0]}:{callee[1]}`",
                         f"{seconds:.2f}", f"{1000 * seconds / samples:.2f}",
                         f"{100 * seconds / total:.0f}%"))
    return rows


# --- the report -----------------------------------------------------------------------------
def fmt_runs(results: dict[str, dict], kinds: list[str], what: dict[str, str]) -> list[str]:
    rows = [(f"({kind})", what[kind], f"{r['pairs']:g}", r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{rate(r, 'pairs'):.2f}**", f"**{rate(r):.0f}**",
             f"{1000 * r['seconds'] / r['samples']:.2f}", f"{1000 * r['cpu_seconds'] / r['samples']:.2f}",
             f"{r['mb_written']:.1f}", f"{r['peak_rss_mib']:.0f}")
            for kind, r in ((k, results[k]) for k in kinds)]
    return md_table(("run", "what", "pairs:", "samples:", "seconds, best (runs):",
                     "pairs/s per core:", "samples/s per core:", "ms/sample:", "CPU ms/sample:",
                     "MB written:", "peak RSS MiB:"), rows)


def marginal(results: dict[str, dict], run: str, mode: str) -> dict:
    """Once-per-build seconds and seconds per further sample of ``run`` from its full and
    one-pair runs: a straight line through the two best runs, after taking out the time
    spent opening the WebDataset writer (an import that varies by +-0.5 s from run to run)."""
    full, one = results[f"{run}-{mode}"], results[f"{run}1-{mode}"]
    work = {id(r): r["seconds"] - r["wds_open_seconds"] for r in (full, one)}
    per_sample = (work[id(full)] - work[id(one)]) / (full["samples"] - one["samples"])
    return {"fixed": work[id(one)] - one["samples"] * per_sample + full["wds_open_seconds"],
            "open": full["wds_open_seconds"], "per_sample": per_sample}


PER_SAMPLE_STAGES = {"make samples: pixel work": "compositing", "overlay JPEG": "overlay JPEG",
                     "mask PNG (+ depth PNG)": "PNG encoding", "meta dict": "meta",
                     "WebDataset writer: tar members": "tar writer",
                     "Parquet writer: rows, tables, row groups": "Parquet writer",
                     "close shards: sha256/md5 of the files, stats": "file digests"}


def dominates(results: dict[str, dict], mode: str, floor: dict, profiles: dict | None) -> str:
    """What (a)'s time goes to, against (b), in numbers."""
    a, p, b = (results[f"{run}-{mode}"] for run in "apb")
    target, line = TARGETS[mode], marginal(results, "a", mode)
    ref_ms, a_ms = 1000 * b["seconds"] / b["samples"], 1000 * line["per_sample"]
    p_ms = 1000 * marginal(results, "p", mode)["per_sample"]
    ours, theirs = 1000 * floor[f"mattehub-{mode}"], 1000 * floor[f"reference-{mode}"]
    outputs = "overlay JPEG q95 and mask PNG" + (" and 16-bit depth PNG" if mode == "exact" else "")
    text = (f"What dominates. Once per build (a) spends {line['fixed']:.1f} s, "
            f"{line['open']:.1f} s of it opening the WebDataset writer; the once-per-build cost is "
            f"{100 * line['fixed'] / a['seconds']:.0f}% of (a)'s best time on "
            f"{a['samples']} samples. Per further sample (a) needs {a_ms:.2f} ms and (p) "
            f"{p_ms:.2f} ms (so the WebDataset copy costs {a_ms - p_ms:.2f} ms) against (b)'s "
            f"{ref_ms:.2f} ms. Encoding alone, on the same arrays and to memory (`floor_child`): "
            f"mattehub's outputs ({outputs}) {ours:.2f} ms a sample, the reference's (overlay and "
            f"mask JPEG q50{', depth PNG' if mode == 'exact' else ''}) {theirs:.2f} ms.")
    if ours * target > ref_ms:
        text += (f" So a build that did nothing but encode mattehub's outputs would still be "
                 f"below {target:g}x (b) ({times(ref_ms / ours)} at most): the target is out of "
                 f"reach with these outputs ({outputs}), whatever the code around the encoders "
                 "does.")
    if profiles:
        stages = stage_seconds(profiles[f"a-{mode}"], a["samples"])
        per = sorted(((stages.get(name, 0.0), label) for name, label in PER_SAMPLE_STAGES.items()),
                     reverse=True)
        text += (" Per-sample stages of (a) under cProfile (ms/sample, profiled): " + ", ".join(
            f"{label} {1000 * sec / a['samples']:.2f}" for sec, label in per) + ".")
    return text


def mode_section(results: dict[str, dict], mode: str, plan: Plan, profiles: dict | None,
                 floor: dict) -> list[str]:
    """The table, ratios, once-per-build split and verdict of one ``--depth`` mode."""
    target, what = TARGETS[mode], {k: w for k, (_, _, w) in RUNS.items()}
    a, p, b = (f"{run}-{mode}" for run in "apb")
    ab = rate(results[a]) / rate(results[b])
    lines = [*fmt_runs(results, [a, p, b, f"a1-{mode}", f"p1-{mode}"], what), "",
             *ratio_table(results, ((a, b), (p, b)), target), ""]
    rows, ref_ms = [], 1000 * results[b]["seconds"] / results[b]["samples"]
    for run in ("a", "p"):
        m = marginal(results, run, mode)
        rows.append((f"({run}-{mode})", f"{m['fixed']:.2f}", f"{m['open']:.2f}",
                     f"{1000 * m['per_sample']:.2f}",
                     f"{1 / m['per_sample']:.0f}", f"{ref_ms:.2f}",
                     f"**{times(ref_ms / (1000 * m['per_sample']))}**",
                     f"{UPSTREAM['pairs_samples'] * m['per_sample'] / 60:.0f}"))
    lines += ["A straight line through each mattehub run's best times on one pair and on "
              f"{plan.pairs} pairs splits it into a once-per-build cost and a cost per further "
              "sample (what a 400k-sample build pays almost entirely); the time spent opening the "
              "WebDataset writer (measured in the child around `WebDatasetShardWriter.__init__`; "
              "it imported torch before mattehub wrote tars with `tarfile`) is taken out of both runs before the line is "
              "drawn and counted as once per build:", "",
              *md_table(("run", "once per build, s:", "of which opening the tar writer, s:",
                         "ms per further sample:",
                         "samples/s per core, further samples:", "(b) ms/sample:",
                         "ratio to (b), further samples:", "400k samples, min on one core:"), rows), ""]
    line = {run: marginal(results, run, mode) for run in "ap"}
    verdict = (f"**The {target:g}x target (`--depth {mode}`) is {'met' if ab >= target else 'missed'}**: "
               f"(a) makes {times(ab)} (b)'s samples per second, (p) "
               f"{times(rate(results[p]) / rate(results[b]))}; per further sample (the cost that "
               f"a large build pays) (a) is at {times(ref_ms / (1000 * line['a']['per_sample']))} "
               f"and (p) at {times(ref_ms / (1000 * line['p']['per_sample']))}.")
    return lines + [verdict, "", dominates(results, mode, floor, profiles)]


def stage_seconds(profile: Path, samples: int) -> dict[str, float]:
    """STAGES titles (unindented) -> profiled cumulative seconds."""
    return {row[0].replace("&nbsp;", ""): float(row[2]) for row in stage_rows(profile, samples)}


ONCE = ("scan sources (once per build)", "open WebDataset writer",
        "finalize: preview sheet, index, card (once per build)")
PER_SAMPLE = {"image processor": "image processor", "model forward": "forward pass",
              "resize maps": "resize maps", "normalise maps": "normalise maps",
              "make samples: pixel work": "compositing", "encode outputs": "encoding",
              "WebDataset writer: tar members": "tar writer",
              "Parquet writer: rows, tables, row groups": "Parquet writer"}


def model_section(runs: dict, results: dict[str, dict], plan: Plan, profiles: dict | None) -> list[str]:
    m, m1, forward = runs["m"], runs["m1"], runs["forward"]
    per_sample = (m["seconds"] - m1["seconds"]) / (m["samples"] - m1["samples"])
    fixed = m1["seconds"] - m1["samples"] * per_sample
    none = marginal(results, "a", "none")
    per_image = forward["seconds"] / forward["images"]
    upstream_rate = UPSTREAM["pairs_samples"] / (UPSTREAM["depth_h"] * 3600)
    rows = [(f"({kind})", MODEL_RUNS[kind][2], r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{rate(r):.0f}**", f"{1000 * r['seconds'] / r['samples']:.2f}", f"{r['peak_rss_mib']:.0f}")
            for kind, r in (("m", m), ("m1", m1))]
    lines = [f"`--depth <folder>` with `tests/tiny_depth.py`'s random DPT (4 layers, 32 wide; its "
             f"processor resizes every overlay to 32x32), `--device cpu --depth-batch "
             f"{plan.model_batch}`, best of {len(m['all_seconds'])}; the forward pass runs on one "
             "torch thread (`depth_model.CPU_THREADS`).", "",
             *md_table(("run", "what", "samples:", "seconds, best (runs):", "samples/s per core:",
                        "ms/sample:", "peak RSS MiB:"), rows), "",
             f"Split as above: **{fixed:.1f} s once per build** (mostly importing transformers and "
             f"loading the model) and **{1000 * per_sample:.2f} ms per further sample** "
             f"({1 / per_sample:.0f} samples/s per core), against {1000 * none['per_sample']:.2f} ms "
             "with `--depth none` (a-none)."]
    if profiles:
        st = stage_seconds(profiles["m"], m["samples"])
        once = sum(st.get(name, 0.0) for name in ONCE)
        per = st["whole build"] - once
        parts = ", ".join(f"{label} {1000 * st.get(name, 0.0) / m['samples']:.2f} ms "
                          f"({100 * st.get(name, 0.0) / per:.0f}%)" for name, label in PER_SAMPLE.items())
        lines += ["", f"Where (m)'s time goes (cProfile, profiled times): {once:.1f} s once per build "
                  f"(of which loading the model {st.get('load the depth model', 0.0):.1f} s), then per "
                  f"sample: {parts}; shares of the per-sample part."]
    lines += ["", f"For scale, the forward pass alone of a ViT-B/16 DPT at 384x384 (random weights, "
              f"{forward['params_m']:.0f} M parameters, the size of the MiDaS v3 / DPT base "
              f"models; batch {forward['images']}, one thread): **{per_image:.2f} s per image**, "
              f"~{per_image / per_sample:.0f}x the tiny model's whole per-sample cost. With a real "
              "model the forward pass is everything: 400k overlays would take "
              f"~{UPSTREAM['pairs_samples'] * per_image / 86400:.0f} core-days on this CPU, against "
              f"upstream's {UPSTREAM['depth_h']} h on a GPU (batch {UPSTREAM['depth_batch']}, "
              f"~{upstream_rate:.0f} overlays/s). Use `--device cuda`: the forward pass goes to "
              "the GPU, while compositing and encoding stay on the CPU at "
              f"~{1 / none['per_sample']:.0f} samples/s per core, far above {upstream_rate:.0f}/s."]
    return lines


def report(results: dict, runs: dict, plan: Plan, head: list[str], profiles: dict | None) -> str:
    """The markdown section for docs/benchmarks.md (also printed); ``head``: measured_lines."""
    upstream_rate = UPSTREAM["pairs_samples"] / (UPSTREAM["overlay_min"] * 60)
    best = {mode: marginal(results, "a", mode) for mode in MODES}
    lines = [MARKS[0], "## overlay-depth: synthesis throughput per core, and depth models", "",
             *head,
             f"- Sources in `{WORK}` (generated by the benchmark): {plan.backgrounds} textured "
             f"rooms of {BG_PIXELS[0]}x{BG_PIXELS[1]} (JPEG q90) with 16-bit depth maps in mm "
             f"(wall, floor, smooth bumps, a few mm of noise), {plan.foregrounds} RGBA figures of "
             f"{FG_HEIGHT // 2}x{FG_HEIGHT} with soft alpha edges (odd-numbered ones with a "
             f"`mask_<stem>.jpg`, q50, the others use their alpha): {plan.pairs} pairs, "
             f"{plan.pairs * PER_PAIR} samples; canvas 224, scales 1.0,0.8,0.6,0.4, 5 positions, "
             "flips (mattehub's defaults, the original's recipe)",
             "- (A), (A50), (B): whole processes, below. Every other run is a fresh process "
             "pinned to one CPU timing the work only: for mattehub, `mattehub.cli.main.main("
             "[\"build\", \"overlay-depth\", ..., \"--workers\", \"1\"])` in the child "
             "after `from mattehub import cli` (that import, "
             f"{results['a-none']['import_seconds']:.1f} s, is not counted); best of "
             f"{plan.repeats} interleaved runs, every run listed. Outputs on tmpfs.", "",
             "Not the same outputs, by design: (b) writes what the original dataset holds, "
             "overlay and mask as JPEG q50 (the masks therefore not binary), one bg JPEG q60 per "
             "background, depth (exact) as a 16-bit PNG with OpenCV's default settings, and "
             "`label_data.csv`; (a) writes per sample the overlay as JPEG q95 (the default "
             "`--jpeg-quality`), the mask as a lossless 0/255 PNG, depth (exact) as a 16-bit PNG, "
             "the 224x224 background's bytes and a meta struct, into both a Parquet and a "
             "WebDataset shard, and once per build shard stats with sha256/md5, a preview sheet "
             "and the card. (b) resizes with Pillow's default (bicubic) filter and pastes with "
             "Pillow; (a) resizes colour premultiplied by alpha and the mask by nearest "
             "neighbour, and composites in float32. (b) draws positions from its own generator "
             "(positions do not change the cost).", ""]
    lines += ["### Whole process, `--depth none`: (A) mattehub against (B) the notebooks' way", "",
              f"Each a fresh `python benchmarks/measured_main.py` pinned to one CPU calling "
              "`mattehub.cli.main.main([\"build\", \"overlay-depth\", ...])` (as the `mattehub` "
              "command does) or `reference_overlay.run_reference(...)`, timed from outside: "
              "interpreter start and imports included; CPU: the process's and any it reaped "
              f"(`RUSAGE_CHILDREN`); best of {plan.repeats} interleaved runs.", "",
              *whole_section(results, {k: RUNS[k][2] for k in WHOLE},
                             (("A-none", "B-none"), ("A50-none", "B-none")), TARGETS["none"]), "",
              f"**The {TARGETS['none']:g}x whole-process target is "
              f"{'met' if rate(results['A-none']) >= TARGETS['none'] * rate(results['B-none']) else 'missed'}"
              f"**: (A) makes {times(rate(results['A-none']) / rate(results['B-none']))} (B)'s "
              f"samples per second, (A50) {times(rate(results['A50-none']) / rate(results['B-none']))}.", ""]
    for mode in MODES:
        lines += [f"### `--depth {mode}`: (a) mattehub against (b) the notebooks' way", "",
                  *mode_section(results, mode, plan, profiles, runs["floor"]), ""]
    lines += ["### Scale", "",
              f"Upstream made {UPSTREAM['pairs_samples']:,} overlay+mask pairs in "
              f"{UPSTREAM['overlay_min']} min (~{upstream_rate:.0f}/s, hardware not stated). "
              f"mattehub's cost per further sample above gives "
              f"~{UPSTREAM['pairs_samples'] * best['none']['per_sample'] / 60:.0f} min on one core "
              f"with `--depth none` and ~{UPSTREAM['pairs_samples'] * best['exact']['per_sample'] / 60:.0f} "
              "min with `--depth exact` (both formats), divided by `--workers` on more cores.", "",
              "### `--depth MODEL`", "", *model_section(runs, results, plan, profiles)]
    if profiles:
        for kind, title in (("a-none", "(a-none)"), ("a-exact", "(a-exact)"), ("m", "(m)")):
            samples = results[kind]["samples"] if kind in results else runs["m"]["samples"]
            lines += ["", f"### {title} by stage (cProfile, cumulative time)", "",
                      "Indented rows are part of the row above; a row is left out when the run "
                      "never calls it; share: of the whole build, profiled (profiling adds "
                      "overhead).", "",
                      *md_table(("stage", "function", "cum s:", "ms/sample:", "share:"),
                                stage_rows(profiles[kind], samples))]
        for kind in ("a-none", "a-exact", "b-none", "b-exact"):
            top = top_functions(profiles[kind], 8)
            lines += ["", f"### cProfile of ({kind}), top functions by own time", "",
                      f"{top['total_s']:.2f} s profiled (share: of that total):", "",
                      *functions_table(top)]
    return "\n".join(lines + [MARKS[1]]) + "\n"


# --- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Measure, print, and (full run, or --docs) rewrite the section of docs/benchmarks.md."""
    global WORK
    parser = child_benchmark_parser(
        __doc__, "A full run takes ~4 min on 2 cores.", (FULL.repeats, QUICK.repeats), WORK,
        "cProfile (a), (b) and the model run (default: yes, not with --quick)")
    parser.add_argument("--backgrounds", type=int, help=f"backgrounds (default {FULL.backgrounds}, "
                                                        f"quick {QUICK.backgrounds})")
    parser.add_argument("--foregrounds", type=int, help=f"foregrounds (default {FULL.foregrounds}, "
                                                        f"quick {QUICK.foregrounds})")
    parser.add_argument("--model-samples", type=int, help="samples of the model run (default "
                                                          f"{FULL.model_samples}, quick {QUICK.model_samples})")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # children: no processor warnings
    start, load, WORK, base = time.perf_counter(), os.getloadavg()[0], args.work.resolve(), (
        QUICK if args.quick else FULL)
    plan = Plan(args.backgrounds or base.backgrounds, args.foregrounds or base.foregrounds,
                args.repeats or base.repeats, args.model_samples or base.model_samples,
                base.model_batch, base.forward_batch)
    WORK.mkdir(parents=True, exist_ok=True)
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    src, model = sources(plan), tiny_model()
    results = throughput(src, plan)
    runs = model_runs(src, model, plan)
    runs["floor"] = floor_run(src)
    profile = args.profile if args.profile is not None else not args.quick
    profiles = profile_runs(src, model, plan) if profile else None
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_overlay.py",
                          *(sys.argv[1:] if argv is None else argv)])
    section = report(results, runs, plan, measured_lines(info, command, time.perf_counter() - start,
                                                         (load, os.getloadavg()[0])), profiles)
    (WORK / "results-overlay.json").write_text(json.dumps(dict(results=results, model=runs,
                                                               machine=info, plan=asdict(plan)),
                                                          indent=1, default=str))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()

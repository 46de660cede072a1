"""``bench_overlay.py``'s workloads, each run in a fresh process (``--child``): a mattehub
build through the CLI's ``main`` (a), (p), the model run), the reference (b), the
encoding-only floor and the forward pass of a ViT-B/16 DPT."""
from __future__ import annotations

import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from common import HERE, build_child_result, check_snapshot, child_result, timed
from overlay_setup import CONFIG, FLOOR_SAMPLES, FORWARD, MODES, SEED

CHILD_START = time.perf_counter()
"""When the child started (``child_main`` resets it): imports before the work are timed apart."""


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
    build_child_result(spec, globals()[f"{spec['kind']}_child"])


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


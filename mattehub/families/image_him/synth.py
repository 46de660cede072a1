"""The pixel work of one ``i-him`` attempt: choose, crop, scale, place, composite."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mattehub.families.image_him.sources import ImageHimSources
from mattehub.inputs import gate
from mattehub.synthesis.layers import LayerStack, Patch, content_box, crop_patch, quantize, \
    resize_patch, visible_fraction


@dataclass
class Synthesis:
    """Arrays and meta of one attempt; ``ok`` is False when the union matte is empty."""

    ok: bool
    events: list[dict] = field(default_factory=list)
    image: np.ndarray | None = None
    union: np.ndarray | None = None
    instance_alphas: list[np.ndarray] = field(default_factory=list)
    foregrounds: list[np.ndarray] = field(default_factory=list)
    background: np.ndarray | None = None
    bg_bytes: bytes = b""
    meta: dict = field(default_factory=dict)


def synthesise(opts: Any, sources: ImageHimSources, rng: np.random.Generator) -> Synthesis:
    """One attempt at a composite from ``sources`` with the ``i-him`` options ``opts``,
    drawing every random number from ``rng``."""
    fgs, bgs = sources.foregrounds, sources.backgrounds
    count = int(rng.integers(opts.min_instances, opts.max_instances + 1))
    chosen = rng.choice(len(fgs), size=min(count, len(fgs)), replace=False)
    bg = bgs[int(rng.integers(len(bgs)))]
    bg_path = Path(opts.bg_root) / bg.path
    result = Synthesis(ok=False, bg_bytes=gate.read_file(bg_path))
    result.background = gate.decode_rgb(result.bg_bytes, bg_path)
    height, width = result.background.shape[:2]
    stack = LayerStack(width, height, opts.min_visible)
    placed, dropped = [], []
    for fg_index in chosen:
        info = _place_one(opts, stack, fgs[int(fg_index)], rng, result.events)
        (placed if "box" in info else dropped).append(info)
    for info in dropped:
        result.events.append({"kind": "dropped_instance", "path": info["source"],
                              "reason": info["reason"]})
    if not stack.layers:
        return result
    union = quantize(stack.union_alpha())
    if not union.any():
        return result
    _fill(result, stack, placed, union)
    result.meta = {"width": width, "height": height, "background": bg.path,
                   "num_instances": len(placed), "instances": placed, "dropped": dropped}
    return result


def _load_patch(root: Path, fg, events: list[dict]) -> tuple[Patch, tuple[int, int, int, int]] | None:
    """The foreground cropped to its matte's content (None if the matte is empty)."""
    rgb = gate.decode_rgb(gate.read_file(root / fg.image), fg.image)
    matte = gate.decode_matte(gate.read_file(root / fg.alpha), fg.alpha, (rgb.shape[1], rgb.shape[0]))
    if matte.note:
        events.append(gate.note_event(fg.alpha, matte.note))
    box = content_box(matte.array)
    return None if box is None else (crop_patch(rgb, matte.array, box), box)


def _place_one(opts: Any, stack: LayerStack, fg, rng: np.random.Generator,
               events: list[dict]) -> dict:
    """Scale and place one foreground; returns its meta entry (with ``reason`` if dropped)."""
    info = {"source": fg.image}
    loaded = _load_patch(Path(opts.image_root), fg, events)
    fraction = float(rng.uniform(opts.min_height, opts.max_height))
    if loaded is None:
        return dict(info, reason="empty alpha matte")
    patch, box = loaded
    height = max(1, round(fraction * stack.height))
    scale = height / patch.size[1]
    width = max(1, round(patch.size[0] * scale))
    if width > stack.width:
        return dict(info, reason=f"{width} px wide after scaling, wider than the "
                                 f"{stack.width} px background")
    patch = resize_patch(patch, (width, height))
    for tries in range(1, opts.placement_tries + 1):
        x = int(rng.integers(0, stack.width - width + 1))
        y = int(rng.integers(0, stack.height - height + 1))
        if stack.try_place(patch, x, y):
            return dict(info, alpha_source=fg.alpha, crop_box=list(box), scale=scale,
                        box=[x, y, width, height], placement_tries=tries)
    return dict(info, reason=f"would hide over {1 - opts.min_visible:.0%} of an earlier "
                             f"instance in all {opts.placement_tries} tries")


def _fill(result: Synthesis, stack: LayerStack, placed: list[dict], union: np.ndarray) -> None:
    """Final arrays: composite, mattes, per-instance foregrounds, visible fractions."""
    result.ok = True
    result.image = stack.composite(result.background)
    result.union = union
    for layer, info in zip(stack.layers, placed):
        own = layer.patch.alpha_u8
        info["visible_fraction"] = visible_fraction(quantize(layer.alpha), own)
        result.instance_alphas.append(layer.on_canvas(stack.width, stack.height))
        foreground = np.zeros_like(result.image)
        rows, cols = layer.window()
        # copyTo with a mask into a new array zero-fills where the mask is 0 (OpenCV docs)
        foreground[rows, cols] = cv2.copyTo(layer.patch.rgb, own)
        result.foregrounds.append(foreground)

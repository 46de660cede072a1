"""The pixel work of one ``v-him`` attempt: choose clips, size and place them, composite per frame."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sources.video import read_rgb_alpha
from ..synthesis.layers import LayerStack, Patch, content_box, resize_patch

if TYPE_CHECKING:
    from .v_him import VideoHimRecipe

JITTER = {"easy": 0.0, "medium": 0.5, "hard": 0.5}
SCALE = {"easy": (1.0, 1.0), "medium": (1.0, 1.5), "hard": (1.0, 2.0)}
# level: (reject if any frame's occlusion exceeds, reject if the max occlusion is below)
OCCLUSION_RULES = {"medium": (0.3, 0.05), "hard": (0.85, 0.5)}


@dataclass
class ClipResult:
    ok: bool
    reason: str = ""
    frames: list[np.ndarray] = field(default_factory=list)
    mattes: list[list[np.ndarray]] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _union_box(alphas: list[np.ndarray]) -> tuple[int, int, int, int] | None:
    boxes = [b for b in map(content_box, alphas) if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _layout(boxes, width, height, level, rng) -> tuple[list[float], list[list[int]]]:
    """Scales and [x, y, w, h] of each instance: widths shared by aspect ratio, bottom-aligned."""
    ratios = [(b[2] - b[0]) / (b[3] - b[1]) for b in boxes]
    target = width / sum(ratios) * float(rng.uniform(*SCALE[level]))
    target = min(target, height, *(width / r for r in ratios))
    placed, cursor = [], 0.0
    for ratio in ratios:
        w, h = max(1, int(target * ratio)), max(1, int(target))
        jitter = float(rng.uniform(-1, 1)) * JITTER[level] * width
        x = int(min(max(cursor + jitter, 0), width - w))
        placed.append([x, height - h, w, h])
        cursor += w
    return [p[3] / (b[3] - b[1]) for p, b in zip(placed, boxes)], placed


def _frames(recipe: "VideoHimRecipe", source, start: int, count: int):
    pairs = read_rgb_alpha(Path(recipe.options.data_dir), source, start, count)
    return pairs + [pairs[-1]] * (count - len(pairs))  # hold the last frame if it runs out


def synthesise_clip(recipe: "VideoHimRecipe", rng: np.random.Generator, level: str) -> ClipResult:
    """One attempt at a clip of ``level``; every random number comes from ``rng``."""
    opts, fgs = recipe.options, recipe.foregrounds
    top = opts.max_instances if level != "easy" else min(opts.max_instances, 3)
    chosen = [fgs[i] for i in rng.choice(len(fgs), size=min(int(rng.integers(2, top + 1)), len(fgs)),
                                         replace=False)]
    bg = recipe.pick_background(rng)
    length = min(opts.max_frames, *(fg.frames for fg in chosen))
    starts = [int(rng.integers(0, fg.frames - length + 1)) for fg in chosen]
    bg_start = int(rng.integers(0, bg.frames)) if bg.kind != "image" else 0
    clips = [_frames(recipe, fg, s, length) for fg, s in zip(chosen, starts)]
    boxes = [_union_box([alpha for _, alpha in clip]) for clip in clips]
    if any(box is None for box in boxes):
        return ClipResult(False, "a foreground clip has an empty matte")
    background = _frames(recipe, bg, bg_start, length)
    height, width = background[0][0].shape[:2]
    scales, placed = _layout(boxes, width, height, level, rng)
    result = _composite(clips, boxes, placed, background, length)
    result.meta.update(level=level, width=width, height=height, num_frames=length,
                       num_instances=len(chosen), background=bg.path, background_kind=bg.kind,
                       background_start=bg_start, sources=[fg.path for fg in chosen],
                       start_frames=starts, crop_boxes=[list(b) for b in boxes], scales=scales,
                       boxes=placed)
    return _judge(result, level)


def _composite(clips, boxes, placed, background, length) -> ClipResult:
    result = ClipResult(True)
    result.meta.update(own_area=[], occlusion=[])
    for t in range(length):
        height, width = background[t][0].shape[:2]
        stack = LayerStack(width, height, min_visible=0.0)
        for clip, box, (x, y, w, h) in zip(clips, boxes, placed):
            rgb, alpha = clip[t]
            x0, y0, x1, y1 = box
            stack.try_place(resize_patch(Patch(rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]), (w, h)), x, y)
        mattes = [layer.on_canvas(width, height) for layer in stack.layers]
        own = [int(layer.patch.alpha_u8.sum(dtype=np.int64)) for layer in stack.layers]
        result.frames.append(stack.composite(background[t][0]))
        result.mattes.append(mattes)
        result.meta["own_area"].append(own)
        result.meta["occlusion"].append([1.0 - int(m.sum(dtype=np.int64)) / a if a else 0.0
                                         for m, a in zip(mattes, own)])
    return result


def _judge(result: ClipResult, level: str) -> ClipResult:
    if level not in OCCLUSION_RULES:
        return result
    worst_allowed, least_max = OCCLUSION_RULES[level]
    values = [v for frame in result.meta["occlusion"] for v in frame]
    if max(values) > worst_allowed:
        return ClipResult(False, f"{level}: occlusion {max(values):.2f} > {worst_allowed} in some frame")
    if max(values) < least_max:
        return ClipResult(False, f"{level}: max occlusion {max(values):.2f} < {least_max}")
    return result

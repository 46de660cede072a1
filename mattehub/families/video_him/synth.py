"""The pixel work of one ``v-him`` attempt: choose clips, size and place them, composite per frame.

An attempt runs in two passes. The first reads only the mattes, lays the instances out and
measures the occlusion frame by frame, stopping at the first frame that breaks the level's
rule: most medium/hard attempts are rejected there, at a fraction of the cost. Only an
accepted attempt reads the colour frames and the background and blends them. Both passes
place the same 8-bit mattes the same way, so the stored mattes are those that were judged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mattehub.families.video_him.sources import VideoHimSources, VideoSource, read_alpha, read_rgb_alpha
from mattehub.synthesis.layers import LayerStack, Patch, content_box, resize_patch

JITTER = {"easy": 0.0, "medium": 0.5, "hard": 0.5}
SCALE = {"easy": (1.0, 1.0), "medium": (1.0, 1.5), "hard": (1.0, 2.0)}
# level: (reject if any frame's occlusion exceeds, reject if the max occlusion is below)
OCCLUSION_RULES = {"easy": (1.0, 0.0), "medium": (0.3, 0.05), "hard": (0.85, 0.5)}


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


def clip_layout(boxes, width, height, level, rng) -> tuple[list[float], list[list[int]]]:
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


def _hold(frames: list, count: int) -> list:
    return frames + [frames[-1]] * (count - len(frames))  # hold the last frame if it runs out


def _stack(width, height, crops, placed) -> LayerStack:
    """Place one frame's cropped patches (RGB optional) at their fixed boxes."""
    stack = LayerStack(width, height, min_visible=0.0)
    for patch, (x, y, w, h) in zip(crops, placed):
        stack.try_place(resize_patch(patch, (w, h)), x, y)
    return stack


def pick_background(opts: Any, sources: VideoHimSources, rng: np.random.Generator) -> VideoSource:
    """A landscape still with probability ``still_background``, else a clip (with fallback)."""
    stills = [b for b in sources.backgrounds if b.kind == "image" and b.size[0] > b.size[1]]
    clips = [b for b in sources.backgrounds if b.kind != "image"]
    pool = stills if (rng.random() < opts.still_background and stills) or not clips else clips
    return pool[int(rng.integers(len(pool)))]


def synthesise_clip(opts: Any, sources: VideoHimSources, rng: np.random.Generator, level: str,
                    events: list[dict]) -> ClipResult:
    """One attempt at a clip of ``level`` from ``sources`` with the ``v-him`` options
    ``opts``; every random number comes from ``rng``. Normalised inputs are noted in
    ``events``; a damaged input raises SourceError."""
    fgs, root = sources.foregrounds, Path(opts.data_dir)
    top = opts.max_instances if level != "easy" else min(opts.max_instances, 3)
    chosen = [fgs[i] for i in rng.choice(len(fgs), size=min(int(rng.integers(2, top + 1)), len(fgs)),
                                         replace=False)]
    bg = pick_background(opts, sources, rng)
    length = min(opts.max_frames, *(fg.frames for fg in chosen))
    starts = [int(rng.integers(0, fg.frames - length + 1)) for fg in chosen]
    bg_start = int(rng.integers(0, bg.frames)) if bg.kind != "image" else 0
    alphas = [read_alpha(root, fg, s, length, events) for fg, s in zip(chosen, starts)]
    boxes = [_union_box(clip) for clip in alphas]
    if any(box is None for box in boxes):
        return ClipResult(False, "a foreground clip has an empty matte")
    width, height = bg.size
    scales, placed = clip_layout(boxes, width, height, level, rng)
    meta = {"level": level, "width": width, "height": height, "num_frames": length,
            "num_instances": len(chosen), "background": bg.path, "background_kind": bg.kind,
            "background_start": bg_start, "sources": [fg.path for fg in chosen],
            "start_frames": starts, "crop_boxes": [list(b) for b in boxes], "scales": scales,
            "boxes": placed}
    judged = _judge(alphas, boxes, placed, (width, height), level)
    if isinstance(judged, str):
        return ClipResult(False, judged)
    meta.update(judged)
    return _render(root, chosen, starts, boxes, placed, bg, bg_start, length, meta, events)


def _crops(frames, boxes, t, with_rgb: bool) -> list[Patch]:
    crops = []
    for clip, (x0, y0, x1, y1) in zip(frames, boxes):
        rgb, alpha = clip[t] if with_rgb else (None, clip[t])
        crops.append(Patch(None if rgb is None else rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]))
    return crops


def _judge(alphas, boxes, placed, size, level) -> dict | str:
    """Per-frame own area and occlusion from the mattes alone, or the reason to reject."""
    worst_allowed, least_max = OCCLUSION_RULES[level]
    own_area, occlusion = [], []
    for t in range(len(alphas[0])):
        stack = _stack(*size, _crops(alphas, boxes, t, with_rgb=False), placed)
        own = [int(layer.patch.alpha_u8.sum(dtype=np.int64)) for layer in stack.layers]
        mass = [int(layer.on_canvas(*size).sum(dtype=np.int64)) for layer in stack.layers]
        frame = [1.0 - m / a if a else 0.0 for m, a in zip(mass, own)]
        if max(frame) > worst_allowed:
            return f"{level}: occlusion {max(frame):.2f} > {worst_allowed} in frame {t}"
        own_area.append(own)
        occlusion.append(frame)
    peak = max(max(frame) for frame in occlusion)
    if peak < least_max:
        return f"{level}: max occlusion {peak:.2f} < {least_max}"
    return {"own_area": own_area, "occlusion": occlusion}


def _render(root: Path, chosen, starts, boxes, placed, bg, bg_start, length, meta,
            events) -> ClipResult:
    """Second pass of an accepted attempt: colour frames, background, blending."""
    clips = [_hold(read_rgb_alpha(root, fg, s, length, events), length)
             for fg, s in zip(chosen, starts)]
    background = _hold(read_rgb_alpha(root, bg, bg_start, length, events), length)
    result = ClipResult(True, meta=meta)
    width, height = meta["width"], meta["height"]
    for t in range(length):
        stack = _stack(width, height, _crops(clips, boxes, t, with_rgb=True), placed)
        result.frames.append(stack.composite(background[t][0]))
        result.mattes.append([layer.on_canvas(width, height) for layer in stack.layers])
    return result

"""Small overlay-depth synthesis inputs for the demo, in the original dataset's ``Input/`` layout.

``Input/bg`` holds rooms (a wall and a floor in perspective, JPEG), ``Input/bg_depth`` their
depth in millimetres (16-bit PNG: the wall at a fixed distance, the floor nearer towards the
bottom of the picture), ``Input/fg150`` RGBA cut-outs of figures (max side 150, soft alpha
edges) and ``Input/fg_mask`` a JPEG mask for one of them (like the original's masks; the
other uses its alpha channel).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.overlay_depth.options import OverlayDepthOptions
from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe

BACKGROUNDS = ((320, 240, (170, 190, 210), (120, 90, 70)), (300, 300, (210, 200, 170), (90, 110, 80)),
               (400, 260, (190, 170, 200), (110, 100, 120)))
"""(width, height, wall colour, floor colour) of each room."""
FIGURES = (((200, 60, 50), (40, 40, 90)), ((60, 120, 200), (90, 60, 40)))
"""(shirt, trousers) colours of each figure."""
WALL_MM, NEAREST_FLOOR_MM = 6000, 1500


@dataclass(frozen=True)
class OverlayDemoSources:
    """Where the stand-in overlay inputs were written: backgrounds, cut-outs, masks and
    background depth maps, in the original dataset's folder roles."""

    bg_root: Path
    fg_root: Path
    mask_root: Path
    depth_root: Path


def _room(width: int, height: int, wall, floor) -> tuple[np.ndarray, np.ndarray]:
    """An RGB room picture and its depth in millimetres (uint16)."""
    horizon = int(height * 0.55)
    ys = np.arange(height, dtype=np.float32)[:, None]
    t = np.clip((ys - horizon) / max(1, height - horizon), 0, 1)
    depth = np.where(ys < horizon, WALL_MM, WALL_MM + (NEAREST_FLOOR_MM - WALL_MM) * t)
    depth = np.repeat(depth, width, axis=1).astype(np.uint16)
    shade = (0.75 + 0.25 * t)[:, :, None]
    image = np.where(ys[:, :, None] < horizon, np.array(wall, np.float32), np.array(floor, np.float32) * shade)
    image = np.repeat(image, width, axis=1) if image.shape[1] == 1 else image
    cv2.rectangle(image, (width // 5, height // 6), (width // 5 + width // 4, height // 6 + height // 5),
                  (245, 245, 235), -1)  # a window
    return np.clip(image, 0, 255).astype(np.uint8), depth


def _figure(shirt, trousers, height: int = 150) -> np.ndarray:
    """An RGBA standing figure, max side ``height``, soft (blurred) alpha edges."""
    width = height // 2
    rgba = np.zeros((height, width, 4), np.uint8)
    cv2.circle(rgba, (width // 2, height // 8), height // 10, (225, 185, 150, 255), -1)
    cv2.rectangle(rgba, (width // 5, height // 4), (width - width // 5, height * 3 // 5), (*shirt, 255), -1)
    cv2.rectangle(rgba, (width // 4, height * 3 // 5), (width - width // 4, height - 2), (*trousers, 255), -1)
    outside = rgba[:, :, 3] == 0
    grown = cv2.dilate(rgba[:, :, :3], np.ones((5, 5), np.uint8))  # edge colours under the soft edge
    rgba[:, :, :3][outside] = grown[outside]
    rgba[:, :, 3] = cv2.GaussianBlur(rgba[:, :, 3], (5, 5), 0)
    return rgba


def make_overlay_sources(root: Path) -> OverlayDemoSources:
    """Write the demo inputs below ``root/Input`` (once; later calls reuse them)."""
    inputs = Path(root) / "Input"
    sources = OverlayDemoSources(inputs / "bg", inputs / "fg150", inputs / "fg_mask", inputs / "bg_depth")
    if (inputs / "done").exists():
        return sources
    for folder in (sources.bg_root, sources.fg_root, sources.mask_root, sources.depth_root):
        folder.mkdir(parents=True, exist_ok=True)
    for number, (width, height, wall, floor) in enumerate(BACKGROUNDS, start=1):
        image, depth = _room(width, height, wall, floor)
        Image.fromarray(image).save(sources.bg_root / f"bg{number}.jpg", quality=90)
        cv2.imwrite(str(sources.depth_root / f"bg{number}.png"), depth)
    for number, (shirt, trousers) in enumerate(FIGURES, start=1):
        rgba = _figure(shirt, trousers)
        Image.fromarray(rgba, "RGBA").save(sources.fg_root / f"fg{number}.png")
        if number == 1:
            mask = np.where(rgba[:, :, 3] > 0, 255, 0).astype(np.uint8)
            Image.fromarray(mask).save(sources.mask_root / f"mask_fg{number}.jpg", quality=50)
    (inputs / "done").write_text("ok\n")
    return sources


DEMO_SHARD_SAMPLES = 80


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``overlay-depth`` with exact depth (3 rooms x 2 figure pairs x 40 = 240 samples), its
    statistics added to the card, then exported in the original layout
    (``_sources/overlay-original``) so that it can be read in place."""
    sources = make_overlay_sources(sources_root / "overlay-demo")
    options = OverlayDepthOptions(bg_root=str(sources.bg_root), fg_root=str(sources.fg_root),
                                  mask_root=str(sources.mask_root), depth="exact",
                                  bg_depth_root=str(sources.depth_root))
    original = sources_root / "overlay-original"  # the original layout, to read in place
    return FamilyDemo(
        builds=(DemoBuild(OverlayDepthRecipe(options, seed=0), shard_samples=DEMO_SHARD_SAMPLES),),
        statistics=("overlay-depth",), exports=(("overlay-depth", original),),
        load_lines=("# overlay + mask + 16-bit depth; back to the original layout and read in place:",
                    f"ds = load_dataset({str(out)!r}, 'overlay-depth', split='train', streaming=True)",
                    f"#   (the demo ran: mattehub export overlay-depth {out} --out {original})",
                    f"ds = load_dataset('mattehub', 'overlay-depth', data_dir={str(original)!r}, "
                    f"split='train', streaming=True)"))

"""A tiny AIM-500 stand-in for the demo, in the published layout.

``AIM-500.zip`` (made with Info-ZIP ``zip``) holding ``AIM-500/{original,mask,trimap}`` and
``AIM-500/aim_category_type.json``; the demo reads ``aim-500`` from it in place. One image per
type: a salient opaque object (SO), a salient transparent one (STM: a glass whose matte is
partial inside), and a non-salient scatter of leaves (NS); JPEG images, 8-bit grey PNG
mattes, 0/128/255 PNG trimaps around the soft edges (``benchmark_standin``). Names follow
AIM-500's ``o_<8 hex>`` style.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.aim500.layout import AIM500_LAYOUT, CATEGORIES
from mattehub.families.aim500.options import Aim500Options
from mattehub.families.aim500.recipe import Aim500Recipe
from mattehub.families.benchmark_standin import fresh_stage, mark_done, write_split, zip_top
from mattehub.families.demo import DemoBuild, FamilyDemo

ITEMS = (("o_0b7228ec", 240, 180, "SO", "toy"), ("o_0c8f03f0", 200, 240, "STM", "transparent"),
         ("o_6e4a7373", 256, 192, "NS", "plant"))
"""(name, width, height, type, category)."""


@dataclass(frozen=True)
class Aim500DemoSources:
    zip_dir: Path
    """The folder holding AIM-500.zip."""


def natural(rng: np.random.Generator, name: str, width: int, height: int, split: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """An RGB scene and its 8-bit matte for the type of image ``name`` (SO, STM, NS)."""
    kind = next(kind for item, _, _, kind, _ in ITEMS if item == name)
    back = rng.integers(50, 200, 3).astype(np.float32) + rng.normal(0, 14, (height, width, 3))
    alpha = np.zeros((height, width), np.float32)
    if kind == "NS":
        for _ in range(9):
            centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
            axes = (int(rng.uniform(6, 18)), int(rng.uniform(3, 8)))
            cv2.ellipse(alpha, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, cv2.LINE_AA)
    else:
        centre, axes = (width // 2, height // 2), (width // 4, height // 3)
        cv2.ellipse(alpha, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        if kind == "STM":
            inner = np.zeros_like(alpha)
            cv2.ellipse(inner, centre, (axes[0] - 6, axes[1] - 6), 0, 0, 360, 1.0, -1)
            alpha = alpha - 0.65 * inner
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.2)
    colour = rng.integers(0, 255, 3).astype(np.float32)
    image = alpha[..., None] * colour + (1 - alpha[..., None]) * back
    return np.clip(image, 0, 255).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8)


def make_aim500_sources(root: Path) -> Aim500DemoSources:
    """Write the stand-in below ``root`` (once; later calls reuse it)."""
    root = Path(root)
    sources = Aim500DemoSources(root / "zip")
    stage = fresh_stage(root, sources.zip_dir)
    if stage is None:
        return sources
    write_split(stage, AIM500_LAYOUT, "test", tuple(item[:3] for item in ITEMS), natural,
                np.random.default_rng(500))
    listed = {name: {"type": kind, "category": category} for name, _, _, kind, category in ITEMS}
    (stage / "AIM-500" / CATEGORIES).write_text(json.dumps(listed, indent=1, sort_keys=True))
    zip_top(stage, "AIM-500", sources.zip_dir / "AIM-500.zip")
    mark_done(root)
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``aim-500`` read in place from AIM-500.zip."""
    sources = make_aim500_sources(sources_root / "aim500-demo")
    return FamilyDemo(
        builds=(DemoBuild(Aim500Recipe(Aim500Options(data_dir=str(sources.zip_dir)), seed=0),
                          split="test"),),
        load_lines=("# AIM-500 read in place from AIM-500.zip, with trimaps, type and category:",
                    f"ds = load_dataset('mattehub', 'aim-500', data_dir={str(sources.zip_dir)!r}, "
                    "split='test', streaming=True)"))

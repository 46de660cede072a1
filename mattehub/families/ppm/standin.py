"""A tiny PPM-100 stand-in for the demo, in its layout.

``PPM-100.zip`` (made with Info-ZIP ``zip``) holding ``PPM-100/image/*.jpg`` and
``PPM-100/matte/*.png``; the demo reads ``ppm-100`` from it in place. Each image is a
full- or half-body figure in an outdoor scene (natural background, no replacement), JPEG;
its matte an 8-bit grey PNG with a soft edge (``benchmark_standin``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.benchmark_standin import fresh_stage, mark_done, write_split, zip_top
from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.ppm.layout import PPM_LAYOUT
from mattehub.families.ppm.options import PpmOptions
from mattehub.families.ppm.recipe import PpmRecipe

ITEMS = (("10023", 192, 256), ("10488", 256, 192), ("11295", 180, 240))
"""(name, width, height): portrait and landscape photos."""


@dataclass(frozen=True)
class PpmDemoSources:
    zip_dir: Path
    """The folder holding PPM-100.zip."""


def figure(rng: np.random.Generator, name: str, width: int, height: int, split: str
           ) -> tuple[np.ndarray, np.ndarray]:
    """An RGB photo of a standing figure outdoors and its 8-bit matte."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.array([150, 190, 235], np.float32) * (0.8 + 0.2 * ys[..., None] / height)
    ground = rng.integers(60, 140, 3).astype(np.float32)
    back = np.where((ys > height * 0.7)[..., None], ground, sky) + rng.normal(0, 8, (height, width, 3))
    alpha = np.zeros((height, width), np.float32)
    cx, top = int(width * rng.uniform(0.35, 0.65)), int(height * 0.15)
    head = max(6, int(height * 0.07))
    cv2.circle(alpha, (cx, top + head), head, 1.0, -1, cv2.LINE_AA)
    cv2.ellipse(alpha, (cx, int(height * 0.5)), (int(head * 1.6), int(height * 0.25)), 0, 0, 360,
                1.0, -1, cv2.LINE_AA)
    for dx in (-0.6, 0.6):
        cv2.line(alpha, (cx + int(dx * head), int(height * 0.7)),
                 (cx + int(dx * head * 1.4), height - 3), 1.0, max(3, head // 2), cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.5)
    clothes = rng.integers(20, 235, 3).astype(np.float32)
    image = alpha[..., None] * clothes + (1 - alpha[..., None]) * back
    return np.clip(image, 0, 255).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8)


def make_ppm_sources(root: Path) -> PpmDemoSources:
    """Write the stand-in below ``root`` (once; later calls reuse it)."""
    root = Path(root)
    sources = PpmDemoSources(root / "zip")
    stage = fresh_stage(root, sources.zip_dir)
    if stage is None:
        return sources
    write_split(stage, PPM_LAYOUT, "test", ITEMS, figure, np.random.default_rng(100))
    zip_top(stage, "PPM-100", sources.zip_dir / "PPM-100.zip")
    mark_done(root)
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``ppm-100`` read in place from PPM-100.zip."""
    sources = make_ppm_sources(sources_root / "ppm-demo")
    return FamilyDemo(
        builds=(DemoBuild(PpmRecipe(PpmOptions(data_dir=str(sources.zip_dir)), seed=0),
                          split="test"),),
        load_lines=("# PPM-100 read in place from PPM-100.zip:",
                    f"ds = load_dataset('mattehub', 'ppm-100', data_dir={str(sources.zip_dir)!r}, "
                    "split='test', streaming=True)"))

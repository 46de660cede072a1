"""A tiny Distinctions-646 stand-in for the demo, in the extracted release's layout.

``Distinctions-646/Train/{FG,GT}/<name>.png`` (two foregrounds: RGBA PNGs as the release's FG
files are, with their 8-bit grey alphas under the same names) and ``Test/{FG,GT}`` (one), and
a folder of JPEG backgrounds (some smaller than the foregrounds, so the DIM scale applies).
The demo composites each foreground over 2 backgrounds (``--num-bgs 2``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.distinctions646.options import Distinctions646Options
from mattehub.families.distinctions646.recipe import Distinctions646Recipe

SETS = {"Train": (("1008(2).png", 120, 100), ("hair_0042.png", 96, 128)),
        "Test": (("glass_0003.png", 110, 90),)}
BACKGROUNDS = (("voc_0001.jpg", 160, 120), ("voc_0002.jpg", 80, 64), ("coco_0003.jpg", 140, 150))


@dataclass(frozen=True)
class D646DemoSources:
    data_dir: Path
    bg_root: Path


def _foreground(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    alpha = np.zeros((height, width), np.uint8)
    cv2.ellipse(alpha, (width // 2, height // 2), (width // 3, height // 3), 0, 0, 360, 255, -1,
                cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (9, 9), 0)
    colour = rng.integers(0, 256, (height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
    colour = cv2.resize(colour, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.dstack([colour, alpha]), alpha


def make_d646_sources(root: Path) -> D646DemoSources:
    """Write the stand-in below ``root`` once (later calls reuse it)."""
    root = Path(root)
    sources = D646DemoSources(root / "Distinctions-646", root / "bg")
    if (root / "done").exists():
        return sources
    rng = np.random.default_rng(646)
    for split, items in SETS.items():
        for name, width, height in items:
            bgra, alpha = _foreground(rng, width, height)
            for folder, array in (("FG", bgra), ("GT", alpha)):
                path = sources.data_dir / split / folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), array)
    sources.bg_root.mkdir(parents=True, exist_ok=True)
    for name, width, height in BACKGROUNDS:
        picture = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
        cv2.imwrite(str(sources.bg_root / name), cv2.resize(picture, (width, height)),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
    (root / "done").write_text("")
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """Both splits, 2 backgrounds per foreground."""
    s = make_d646_sources(sources_root / "distinctions-646-demo")
    builds = tuple(DemoBuild(Distinctions646Recipe(Distinctions646Options(
        data_dir=str(s.data_dir), bg_root=str(s.bg_root), split=split, num_bgs=2), seed=0), split=split)
        for split in ("train", "test"))
    return FamilyDemo(builds=builds, load_lines=(
        "# Distinctions-646 (extracted release) composited over 2 backgrounds per foreground:",
        f"ds = load_dataset('mattehub', 'distinctions-646', data_dir={str(s.data_dir)!r}, "
        f"bg_root={str(s.bg_root)!r}, num_bgs=2, split='train', streaming=True)"))

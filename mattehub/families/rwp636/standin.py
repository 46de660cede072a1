"""A tiny RWP-636 stand-in for the demo, in the published layout.

``RealWorldPortrait-636/image/<name>.jpg`` (a person-like blob on a textured background),
``alpha/<name>.png`` (8-bit grey, soft edges) and ``detailmap/<name>_cloud_trimap.jpg`` (the
detail region, which mattehub does not read), names in the release's ``NN_NNNN_input`` style.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.rwp636.options import Rwp636Options
from mattehub.families.rwp636.recipe import Rwp636Recipe

ITEMS = (("01_0007_input", 90, 120), ("02_0030_input", 120, 96), ("05_0112_input", 100, 100))


def make_rwp_sources(root: Path) -> Path:
    """Write the stand-in below ``root`` once; return the folder to pass as --data-dir."""
    root = Path(root)
    folder = root / "RealWorldPortrait-636"
    if (root / "done").exists():
        return folder
    rng = np.random.default_rng(636)
    for name, width, height in ITEMS:
        alpha = np.zeros((height, width), np.uint8)
        cv2.ellipse(alpha, (width // 2, height * 2 // 3), (width // 4, height // 3), 0, 0, 360, 255, -1, cv2.LINE_AA)
        cv2.circle(alpha, (width // 2, height // 4), width // 7, 255, -1, cv2.LINE_AA)
        alpha = cv2.GaussianBlur(alpha, (7, 7), 0)
        back = cv2.resize(rng.integers(0, 256, (height // 6, width // 6, 3), dtype=np.uint8), (width, height))
        person = np.full((height, width, 3), rng.integers(40, 220, 3), np.float32)
        a = alpha[..., None] / 255.0
        image = (a * person + (1 - a) * back).astype(np.uint8)
        detail = ((alpha > 0) & (alpha < 255)).astype(np.uint8) * 255
        for sub, file, array in (("image", f"{name}.jpg", image), ("alpha", f"{name}.png", alpha),
                                 ("detailmap", f"{name}_cloud_trimap.jpg", detail)):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / sub / file), array)
    (root / "done").write_text("")
    return folder


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """The test split, read in place."""
    data_dir = make_rwp_sources(sources_root / "rwp-636-demo")
    return FamilyDemo(
        builds=(DemoBuild(Rwp636Recipe(Rwp636Options(data_dir=str(data_dir)), seed=0), split="test"),),
        load_lines=("# RWP-636 read in place:",
                    f"ds = load_dataset('mattehub', 'rwp-636', data_dir={str(data_dir)!r}, "
                    "split='test', streaming=True)"))

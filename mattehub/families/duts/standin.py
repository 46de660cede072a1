"""A tiny DUTS stand-in for the demo, in the published layout.

``DUTS/DUTS-TR.zip`` (made with Info-ZIP ``zip``, holding ``DUTS-TR/DUTS-TR-Image/*.jpg`` and
``DUTS-TR/DUTS-TR-Mask/*.png`` as the published zip does) and the extracted folder
``DUTS/DUTS-TE/DUTS-TE-{Image,Mask}``: the demo reads ``train`` from the zip in place and
``test`` from the folder. Each image is a salient object (a coloured blob with a
highlight) on a textured background, JPEG; its mask an 8-bit grey PNG, 255 on the object
with anti-aliased edges (as DUTS masks have). Sizes differ per image (DUTS's vary) and are
not multiples of 40, so the trimap kernel (H/40, W/40) rounds. File times are fixed so the
zip is reproducible.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.duts.options import DutsOptions
from mattehub.families.duts.recipe import DutsRecipe

FIXED_TIME = 1_700_000_000
SETS = {
    "DUTS-TR": (("ILSVRC2012_test_00000004", 220, 165), ("ILSVRC2013_test_00000011", 180, 240),
                ("n01443537_10408", 250, 190), ("n02085620_1152", 200, 200),
                ("n03888257_2117", 236, 158), ("sun_demo_tr_0001", 170, 130)),
    "DUTS-TE": (("ILSVRC2012_test_00000003", 210, 160), ("sun_aaadvzmqwgtpzxyq", 160, 215),
                ("sun_abdqpxcujrfsaxzx", 245, 170)),
}
"""DUTS folder -> (name, width, height) of its images (names in DUTS's style)."""


@dataclass(frozen=True)
class DutsDemoSources:
    data_dir: Path
    """The folder to pass as --data-dir: DUTS-TR.zip and the DUTS-TE/ folder."""


def _sample(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image with one salient blob, and its 8-bit mask (anti-aliased edges)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.integers(60, 200, 3).astype(np.float32)
    tilt = rng.uniform(-0.4, 0.4, 3).astype(np.float32)
    image = base + tilt * (xs[..., None] - width / 2) + rng.normal(0, 12, (height, width, 3))
    image = cv2.GaussianBlur(image.astype(np.float32), (5, 5), 0)
    mask = np.zeros((height, width), np.uint8)
    centre = (int(width * rng.uniform(0.4, 0.6)), int(height * rng.uniform(0.4, 0.6)))
    axes = (int(width * rng.uniform(0.18, 0.3)), int(height * rng.uniform(0.18, 0.3)))
    cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)
    head = (centre[0] + axes[0] // 2, centre[1] - axes[1])
    cv2.circle(mask, head, max(4, min(axes) // 2), 255, -1, cv2.LINE_AA)
    colour = rng.integers(0, 256, 3).astype(np.float32)
    shade = 0.75 + 0.25 * np.clip(1 - np.hypot(xs - centre[0], ys - centre[1]) / max(axes), 0, 1)
    object_ = colour * shade[..., None]
    a = mask.astype(np.float32)[..., None] / 255
    return np.clip(a * object_ + (1 - a) * image, 0, 255).astype(np.uint8), mask


def _write_set(folder: Path, top: str, rng: np.random.Generator) -> None:
    (folder / f"{top}-Image").mkdir(parents=True, exist_ok=True)
    (folder / f"{top}-Mask").mkdir(parents=True, exist_ok=True)
    for name, width, height in SETS[top]:
        image, mask = _sample(rng, width, height)
        Image.fromarray(image).save(folder / f"{top}-Image" / f"{name}.jpg", quality=90)
        Image.fromarray(mask, "L").save(folder / f"{top}-Mask" / f"{name}.png")


def _zip(stage: Path, top: str, out: Path) -> None:
    for path in [stage / top, *(stage / top).rglob("*")]:
        os.utime(path, (FIXED_TIME, FIXED_TIME))
    subprocess.run(["zip", "-q", "-r", "-X", str(out.resolve()), top], cwd=stage, check=True)


def make_duts_sources(root: Path) -> DutsDemoSources:
    """Write the stand-in below ``root`` (once; later calls reuse it): ``root/DUTS`` holds
    ``DUTS-TR.zip`` and ``DUTS-TE/``; ``root/stage`` the unzipped DUTS-TR."""
    root = Path(root)
    sources = DutsDemoSources(root / "DUTS")
    if (root / "done").exists():
        return sources
    if shutil.which("zip") is None:
        raise RuntimeError("the DUTS demo needs Info-ZIP `zip` (apt-get install zip)")
    stage = root / "stage"
    for folder in (stage, sources.data_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    rng = np.random.default_rng(10553)
    _write_set(stage / "DUTS-TR", "DUTS-TR", rng)
    _write_set(sources.data_dir / "DUTS-TE", "DUTS-TE", rng)
    _zip(stage, "DUTS-TR", sources.data_dir / "DUTS-TR.zip")
    (root / "done").write_text("")
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """Both ``duts`` splits, read in place: train from DUTS-TR.zip, test from DUTS-TE/."""
    data_dir = make_duts_sources(sources_root / "duts-demo").data_dir
    return FamilyDemo(
        builds=tuple(DemoBuild(DutsRecipe(DutsOptions(data_dir=str(data_dir), split=split), seed=0),
                               split=split) for split in ("train", "test")),
        load_lines=("# DUTS read in place (train from DUTS-TR.zip, test from DUTS-TE/), with trimaps:",
                    f"ds = load_dataset('mattehub', 'duts', data_dir={str(data_dir)!r}, split='train', "
                    f"streaming=True)"))

"""A tiny AM-2k stand-in for the demo, in the published layout.

``AM-2k.zip`` (made with Info-ZIP ``zip``, holding ``AM-2k/train/{original,mask}``) and the
extracted folder ``AM-2k/validation/{original,mask,trimap}``: the demo reads ``am-2k`` from
the zip in place and ``am-2k-validation`` from the folder. Each image is an animal (a body,
a head, four legs and a tail with a furry edge) in a grassy scene, JPEG; its matte an 8-bit
grey PNG; the validation trimaps 0/128/255 PNGs around the matte's soft edge
(``benchmark_standin``). Names follow AM-2k's ``m_<8 hex>`` style; sizes differ per image.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.am2k.layout import AM2K_TRAIN, AM2K_VALIDATION
from mattehub.families.am2k.options import Am2kOptions, Am2kValidationOptions
from mattehub.families.am2k.recipe import Am2kRecipe, Am2kValidationRecipe
from mattehub.families.benchmark_standin import fresh_stage, mark_done, write_split, zip_top
from mattehub.families.demo import DemoBuild, FamilyDemo

SETS = {
    "train": (("m_0a6c2018", 240, 180), ("m_1b7d3029", 260, 190), ("m_2c8e4130", 220, 170),
              ("m_3d9f5241", 250, 200)),
    "validation": (("m_0aa9dd6a", 230, 176), ("m_4ea06352", 256, 184)),
}
"""split -> (name, width, height) of its images."""


@dataclass(frozen=True)
class Am2kDemoSources:
    zip_dir: Path
    """The folder holding AM-2k.zip (train)."""
    folder: Path
    """The folder holding the extracted AM-2k/ (validation)."""


def animal(rng: np.random.Generator, name: str, width: int, height: int, split: str
           ) -> tuple[np.ndarray, np.ndarray]:
    """An RGB animal in a grassy scene and its 8-bit matte (furry, soft edge)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    sky, grass = rng.integers(120, 230, 3), rng.integers(30, 140, 3)
    horizon = height * rng.uniform(0.35, 0.5)
    back = np.where((ys < horizon)[..., None], sky, grass).astype(np.float32)
    back += rng.normal(0, 12, (height, width, 3))
    shape = np.zeros((height, width), np.float32)
    body = (int(width * rng.uniform(0.4, 0.55)), int(height * 0.55))
    axes = (int(width * 0.22), int(height * 0.16))
    cv2.ellipse(shape, body, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    cv2.circle(shape, (body[0] + axes[0], body[1] - axes[1]), int(axes[1] * 0.8), 1.0, -1, cv2.LINE_AA)
    for dx in (-0.7, -0.35, 0.35, 0.7):
        x = int(body[0] + dx * axes[0])
        cv2.line(shape, (x, body[1]), (x, min(height - 2, body[1] + int(height * 0.3))), 1.0, 6)
    cv2.line(shape, (body[0] - axes[0], body[1]), (body[0] - int(axes[0] * 1.5), body[1] - axes[1]),
             1.0, 4, cv2.LINE_AA)
    fur = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), 1.0)
    edge = cv2.GaussianBlur(shape, (0, 0), 2.5)
    alpha = np.where((edge > 0.05) & (edge < 0.95), np.clip(edge * (0.6 + 0.8 * fur), 0, 1), shape)
    coat = rng.integers(60, 220, 3).astype(np.float32) * (0.8 + 0.4 * fur[..., None])
    image = alpha[..., None] * coat + (1 - alpha[..., None]) * back
    return np.clip(image, 0, 255).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8)


def make_am2k_sources(root: Path) -> Am2kDemoSources:
    """Write the stand-in below ``root`` (once; later calls reuse it)."""
    root = Path(root)
    sources = Am2kDemoSources(root / "zip", root / "folder")
    stage = fresh_stage(root, sources.zip_dir, sources.folder)
    if stage is None:
        return sources
    rng = np.random.default_rng(2000)
    write_split(stage, AM2K_TRAIN, "train", SETS["train"], animal, rng)
    write_split(sources.folder, AM2K_VALIDATION, "validation", SETS["validation"], animal, rng)
    zip_top(stage, "AM-2k", sources.zip_dir / "AM-2k.zip")
    mark_done(root)
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``am-2k`` read in place from AM-2k.zip, ``am-2k-validation`` from the folder."""
    sources = make_am2k_sources(sources_root / "am2k-demo")
    return FamilyDemo(
        builds=(DemoBuild(Am2kRecipe(Am2kOptions(data_dir=str(sources.zip_dir)), seed=0)),
                DemoBuild(Am2kValidationRecipe(Am2kValidationOptions(data_dir=str(sources.folder)),
                                               seed=0), split="validation")),
        load_lines=("# AM-2k read in place (train from AM-2k.zip, validation from the folder, "
                    "with its published trimaps):",
                    f"ds = load_dataset('mattehub', 'am-2k-validation', "
                    f"data_dir={str(sources.folder)!r}, split='validation', streaming=True)"))

"""A tiny P3M-10k stand-in for the demo, in the published layout.

``P3M-10k.zip`` (made with Info-ZIP ``zip``, holding ``P3M-10k/train/{blurred_image,mask}``
and ``P3M-10k/validation/P3M-500-P/{blurred_image,mask,trimap}``) and the extracted folder
``P3M-10k/validation/P3M-500-NP/{original_image,mask,trimap}``: the demo reads ``p3m-10k``
(train) and ``p3m-500`` P3M-500-P from the zip in place and P3M-500-NP from the folder. Each
image is a portrait (head and shoulders with a soft hair edge) on a textured background,
JPEG, its face blurred in the blurred sets; its matte an 8-bit grey PNG; the validation
trimaps 0/128/255 PNGs around the matte's soft edge (``benchmark_standin``). Names follow
P3M's ``p_<8 hex>`` style; sizes differ per image.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.benchmark_standin import fresh_stage, mark_done, write_split, zip_top
from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.p3m.layout import P3M_500, P3M_TRAIN
from mattehub.families.p3m.options import P3m500Options, P3mOptions
from mattehub.families.p3m.recipe import P3m500Recipe, P3mRecipe

SETS = {
    "train": (("p_0a1b2c3d", 180, 240), ("p_1f2e3d4c", 200, 230), ("p_2c3d4e5f", 170, 250),
              ("p_3d4e5f60", 210, 260), ("p_4e5f6071", 190, 220)),
    "p3m_500_p": (("p_5f607182", 200, 250), ("p_60718293", 176, 236), ("p_718293a4", 220, 260)),
    "p3m_500_np": (("p_8293a4b5", 190, 240), ("p_93a4b5c6", 214, 228)),
}
"""split -> (name, width, height) of its images."""


@dataclass(frozen=True)
class P3mDemoSources:
    zip_dir: Path
    """The folder holding P3M-10k.zip (train and P3M-500-P)."""
    folder: Path
    """The folder holding the extracted P3M-10k/ (P3M-500-NP)."""


def portrait(rng: np.random.Generator, name: str, width: int, height: int, split: str
             ) -> tuple[np.ndarray, np.ndarray]:
    """An RGB portrait and its 8-bit matte (soft hair edge); the face blurred except in
    P3M-500-NP."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    back = rng.integers(40, 220, 3).astype(np.float32) + rng.normal(0, 10, (height, width, 3))
    back += (xs[..., None] / width - 0.5) * rng.uniform(-60, 60, 3)
    alpha = np.zeros((height, width), np.float32)
    head = (int(width * rng.uniform(0.42, 0.58)), int(height * 0.33))
    radius = int(min(width, height) * rng.uniform(0.17, 0.21))
    cv2.ellipse(alpha, head, (radius, int(radius * 1.25)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    cv2.ellipse(alpha, (head[0], height), (int(width * 0.42), int(height * 0.45)), 0, 180, 360,
                1.0, -1, cv2.LINE_AA)
    hair = np.clip(1 - (np.hypot(xs - head[0], ys - head[1]) - radius) / (radius * 0.35), 0, 1)
    alpha = np.maximum(alpha, hair * (rng.random((height, width)) ** 0.5) * (ys < head[1] + 4))
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
    skin, cloth = rng.integers(150, 230, 3), rng.integers(0, 255, 3)
    person = np.where((ys < head[1] + radius * 1.2)[..., None], skin, cloth).astype(np.float32)
    image = alpha[..., None] * person + (1 - alpha[..., None]) * back
    if split != "p3m_500_np":
        face = np.zeros((height, width), np.uint8)
        cv2.ellipse(face, head, (int(radius * 0.7), int(radius * 0.9)), 0, 0, 360, 1, -1)
        image = np.where(face[..., None] > 0, cv2.GaussianBlur(image, (0, 0), 6), image)
    return np.clip(image, 0, 255).astype(np.uint8), np.rint(alpha * 255).astype(np.uint8)


def make_p3m_sources(root: Path) -> P3mDemoSources:
    """Write the stand-in below ``root`` (once; later calls reuse it)."""
    root = Path(root)
    sources = P3mDemoSources(root / "zip", root / "folder")
    stage = fresh_stage(root, sources.zip_dir, sources.folder)
    if stage is None:
        return sources
    rng = np.random.default_rng(10421)
    for layout, split, where in ((P3M_TRAIN, "train", stage), (P3M_500, "p3m_500_p", stage),
                                 (P3M_500, "p3m_500_np", sources.folder)):
        write_split(where, layout, split, SETS[split], portrait, rng)
    zip_top(stage, "P3M-10k", sources.zip_dir / "P3M-10k.zip")
    mark_done(root)
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``p3m-10k`` train and ``p3m-500`` P3M-500-P read in place from P3M-10k.zip, ``p3m-500``
    P3M-500-NP from the extracted folder."""
    sources = make_p3m_sources(sources_root / "p3m-demo")
    builds = [(P3mRecipe, P3mOptions, "train", sources.zip_dir),
              (P3m500Recipe, P3m500Options, "p3m_500_p", sources.zip_dir),
              (P3m500Recipe, P3m500Options, "p3m_500_np", sources.folder)]
    return FamilyDemo(
        builds=tuple(DemoBuild(recipe(options(data_dir=str(where), split=split), seed=0),
                               split=split) for recipe, options, split, where in builds),
        load_lines=("# P3M-10k read in place (train and P3M-500-P from P3M-10k.zip, P3M-500-NP "
                    "from the folder); p3m-500 has the published trimaps:",
                    f"ds = load_dataset('mattehub', 'p3m-500', data_dir={str(sources.zip_dir)!r}, "
                    "split='p3m_500_p', streaming=True)"))

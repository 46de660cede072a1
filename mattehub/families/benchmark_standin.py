"""Stand-ins of the image benchmarks read by ``recipes/benchmark.py``, in their published layout.

A family's ``standin.py`` says what its pictures look like (``Picture``: an RGB image and its
8-bit matte) and which samples each split has; this module writes them where the family's
``BenchmarkLayout`` puts them (``<top>/<role folder>/<name>.<jpg|png>``: JPEG images, PNG
mattes, and 0/128/255 PNG trimaps where the split ships them: an unknown band around the
matte's soft edge, as published trimaps are), and zips them with Info-ZIP the way the
datasets are published. File times are fixed, so a zip is the same on every run. Shared by
those families the way ``benchmark_export.py`` is.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mattehub.recipes.benchmark import BenchmarkLayout

FIXED_TIME = 1_700_000_000
Picture = Callable[[np.random.Generator, str, int, int, str], tuple[np.ndarray, np.ndarray]]
"""(rng, name, width, height, split) -> (RGB uint8 image, uint8 matte)."""


def trimap_of(alpha: np.ndarray, band: int = 15) -> np.ndarray:
    """A 0/128/255 trimap: unknown where the matte is soft, widened by ``band // 2`` pixels."""
    soft = ((alpha > 0) & (alpha < 255)).astype(np.uint8)
    unknown = cv2.dilate(soft, np.ones((band, band), np.uint8)) > 0
    return np.where(unknown, 128, np.where(alpha == 255, 255, 0)).astype(np.uint8)


def write_split(root: Path, layout: BenchmarkLayout, split: str,
                items: tuple[tuple[str, int, int], ...], picture: Picture,
                rng: np.random.Generator) -> None:
    """The files of ``split`` (``items``: name, width, height) below ``root/<top>``."""
    roles = {role.field: role.folder for role in layout.split(split).roles}
    for name, width, height in items:
        image, alpha = picture(rng, name, width, height, split)
        arrays = {"image": (image, "jpg"), "alpha": (alpha, "png")}
        if "trimap" in roles:
            arrays["trimap"] = (trimap_of(alpha), "png")
        for field, (array, ext) in arrays.items():
            folder = root / layout.top / roles[field]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(folder / f"{name}.{ext}", quality=92)


def zip_top(stage: Path, top: str, out: Path) -> None:
    """``out`` (a zip) holding ``stage/top``, made by Info-ZIP ``zip -r -X`` with fixed file
    times, as the datasets are published."""
    if shutil.which("zip") is None:
        raise RuntimeError("the benchmark stand-ins need Info-ZIP `zip` (apt-get install zip)")
    for path in [stage / top, *(stage / top).rglob("*")]:
        os.utime(path, (FIXED_TIME, FIXED_TIME))
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["zip", "-q", "-r", "-X", str(out.resolve()), top], cwd=stage, check=True)


def fresh_stage(root: Path, *folders: Path) -> Path | None:
    """The staging folder below ``root``, emptied with ``folders``; None when the stand-in
    below ``root`` was completed before (its ``done`` marker, written by ``mark_done``)."""
    if (root / "done").exists():
        return None
    stage = root / "stage"
    for folder in (stage, *folders):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    return stage


def mark_done(root: Path) -> None:
    """Mark the stand-in below ``root`` complete: later calls reuse it."""
    (root / "done").write_text("")

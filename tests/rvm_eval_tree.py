"""Stand-in Robust Video Matting evaluation sets for the tests, written without mattehub (numpy
and Pillow, as RVM's ``evaluation/generate_videomatte_with_background_*.py`` write them):
``<root>/videomatte_512x288/<dataset>/<clip:04d>/{com,fgr,pha,bgr}/<t:04d>.png``, ``pha``
saved from a Pillow ``L`` image, ``com = uint8(fgr * a + bgr * (1 - a))`` (the scripts'
formula), ``bgr`` frames after the first symbolic links to ``0000.png``.

Clips have different lengths (RVM's are 100 frames each by default) so that a mean per frame
position differs from a mean over all frames. ``expected`` maps each sample key
(``<dataset>_<clip>``) to its com and pha bytes and its alphas.
"""
from __future__ import annotations

import io
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = (40, 24)
DATASETS = {"videomatte_motion": (5, 3), "videomatte_static": (4,)}
"""dataset folder -> frames of each clip (clips 0000, 0001...)."""
TOP = "videomatte_512x288"


@dataclass
class EvalSets:
    root: Path
    """The folder holding the dataset folders (what evaluate_lr.py's --true-dir is)."""
    expected: dict = field(default_factory=dict)
    """key -> {"dataset", "clip", "names", "com": [bytes], "pha": [bytes], "alphas": [array]}."""


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _frame(t: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A soft disc moving right: fgr colour and 8-bit alpha."""
    width, height = SIZE
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot(xs - (8 + 3 * t + seed), ys - height / 2)
    alpha = np.clip((9 - distance) * 60, 0, 255).astype(np.uint8)
    fgr = np.zeros((height, width, 3), np.uint8)
    fgr[...] = (40 + 50 * seed, 200, 120)
    return fgr, alpha


def make_eval_sets(root: Path) -> EvalSets:
    """Write the sets below ``root`` (once)."""
    sets = EvalSets(Path(root) / TOP)
    ys, xs = np.mgrid[0:SIZE[1], 0:SIZE[0]]
    for number, (dataset, lengths) in enumerate(DATASETS.items()):
        for index, length in enumerate(lengths):
            clip = f"{index:04d}"
            folder = sets.root / dataset / clip
            for layer in ("com", "fgr", "pha", "bgr"):
                (folder / layer).mkdir(parents=True, exist_ok=True)
            bgr = np.dstack([xs * 5 % 256, ys * 9 % 256, np.full_like(xs, 30 * index)]).astype(np.uint8)
            entry = {"dataset": dataset, "clip": clip, "names": [], "com": [], "pha": [], "alphas": []}
            for t in range(length):
                name = f"{t:04d}"
                fgr, alpha = _frame(t, number + index)
                a = alpha.astype(float)[:, :, None] / 255
                com = np.uint8(fgr * a + bgr * (1 - a))
                files = {"fgr": _png(Image.fromarray(fgr)), "pha": _png(Image.fromarray(alpha, "L")),
                         "com": _png(Image.fromarray(com))}
                for layer, data in files.items():
                    (folder / layer / f"{name}.png").write_bytes(data)
                if t == 0:
                    (folder / "bgr" / "0000.png").write_bytes(_png(Image.fromarray(bgr)))
                else:
                    os.symlink("0000.png", folder / "bgr" / f"{name}.png")
                entry["names"].append(name)
                entry["com"].append(files["com"])
                entry["pha"].append(files["pha"])
                entry["alphas"].append(alpha)
            sets.expected[f"{dataset}_{clip}"] = entry
    return sets


def zip_sets(sets: EvalSets, out: Path) -> Path:
    """``zip -r -y`` of the folder holding the dataset folders (links stored as links)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{TOP}.zip"
    subprocess.run(["zip", "-q", "-r", "-y", str(target), TOP], cwd=sets.root.parent, check=True)
    return target

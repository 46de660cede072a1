"""A stand-in for Adobe's public release of the Deep Image Matting dataset, in its layout
(docs/sources.md, "Adobe's public release"), written independently of mattehub and packed
with Info-ZIP ``zip`` as the release archive is:

``Adobe_Deep_Matting_Dataset.zip`` -> ``Combined_Dataset/`` with ``Training_set/`` (a token
foreground and alpha under ``Adobe-licensed images/``, and its name list) and ``Test_set/``:
``test_fg_names.txt`` (2 foregrounds), ``test_bg_names.txt`` (20 backgrounds per foreground,
PASCAL VOC names), ``Adobe-licensed images/{fg,alpha,trimaps}`` (trimaps ``<fg stem>_<k>.png``).
The VOC backgrounds go to ``voc/``: some smaller than the foregrounds (scaled up), the last
one listed missing (a counted skip).
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aim_tree import _blocks, _write, soft_alpha

ARCHIVE = "Adobe_Deep_Matting_Dataset.zip"
TEST = "Combined_Dataset/Test_set"
IMAGES = f"{TEST}/Adobe-licensed images"
TEST_FGS = (("16452523375_08591714cf_o.png", 40, 30), ("boy-1518482_1920.png", 24, 36))
PER_FG = 20


@dataclass
class AdobeRelease:
    archive: Path
    extracted: Path
    voc: Path
    fg_names: list[str]
    bg_names: list[str]

    def member(self, path: str) -> Path:
        return self.extracted / path

    def composites(self) -> list[tuple[str, int, str]]:
        """(fg name, k, bg name) of every composite made, in order (the missing bg left out)."""
        return [(fg, k, self.bg_names[i * PER_FG + k]) for i, fg in enumerate(self.fg_names)
                for k in range(PER_FG) if (self.voc / self.bg_names[i * PER_FG + k]).exists()]


def make_adobe_release(root: Path) -> AdobeRelease:
    root = Path(root)
    tree = root / "extracted"
    rng = np.random.default_rng(11)
    fg_names = [name for name, _, _ in TEST_FGS]
    bg_names = [f"2008_{n:06d}.jpg" for n in range(len(fg_names) * PER_FG)]
    for number, (name, width, height) in enumerate(TEST_FGS):
        _write(tree / IMAGES / "fg" / name, _blocks(rng, width, height))
        alpha = soft_alpha(width, height, 200 + number)
        _write(tree / IMAGES / "alpha" / name, alpha)
        for k in range(PER_FG):
            band = (alpha > 0) & (alpha < 255)
            trimap = np.where(band, 128, np.where(alpha == 255, 255, 0)).astype(np.uint8)
            trimap[:, : k % 5] = 128  # each k its own trimap, as the release's differ per composite
            _write(tree / IMAGES / "trimaps" / f"{Path(name).stem}_{k}.png", trimap)
    (tree / TEST / "test_fg_names.txt").write_text("\r\n".join(fg_names) + "\r\n")
    (tree / TEST / "test_bg_names.txt").write_text("\r\n".join(bg_names) + "\r\n")
    train = tree / "Combined_Dataset/Training_set"
    _write(train / "Adobe-licensed images/fg/a.png", _blocks(rng, 20, 20))
    _write(train / "Adobe-licensed images/alpha/a.png", soft_alpha(20, 20, 1))
    (train / "training_fg_names.txt").write_text("a.png\n")
    voc = root / "voc"
    for n, name in enumerate(bg_names[:-1]):
        width, height = (30, 20) if n % 4 == 0 else (64, 48)
        _write(voc / name, _blocks(rng, width, height))
    archive = root / ARCHIVE
    assert shutil.which("zip"), "Info-ZIP zip packs the stand-in as the release is packed"
    subprocess.run(["zip", "-r", "-q", "-X", str(archive), "Combined_Dataset"], cwd=tree, check=True)
    return AdobeRelease(archive, tree, voc, fg_names, bg_names)

"""The "Monocular Depth Estimation and Segmentation" overlay notebooks' algorithm, their way.

This is the baseline (b) of ``bench_overlay.py`` (docs/sources.md, 'Overlay + mask + depth'), written from the
description with Pillow + numpy, one sample at a time, and no mattehub import:

- for each background (sorted): ``Image.open``, ``convert("RGB")``, ``resize((224, 224))``
  (Pillow's default filter), saved once as ``Dataset/bg/bg<B>.jpg`` (JPEG q60);
- for each foreground (sorted RGBA PNG) and its mask (``mask_<stem>.jpg`` in ``mask_root``
  if present, else the foreground's alpha channel), read once per (background, foreground)
  pair as the notebooks' nested loops do;
- for flip in (no, yes) (``ImageOps.mirror``): for scale in (1.0, 0.8, 0.6, 0.4): the
  foreground and the mask are resized with Pillow to ``round(side * scale)``; then 5 random
  positions with the box fully inside the canvas, each:

  * overlay: ``bg.copy()``, ``paste(fg, (x, y), fg)`` (the foreground's alpha as the paste
    mask), saved as JPEG q50;
  * mask: ``Image.new("L", (224, 224))``, ``paste(scaled mask, (x, y))``, saved as JPEG q50;
  * with ``depth="exact"``: the background's 16-bit depth map (``<bg stem>.png`` in
    ``depth_root``, opened with Pillow once per background, nearest-neighbour resized to
    224x224) copied, the pixels under the pasted mask (> 127) set to the depth at the foot
    point ``(x + w // 2, y + h - 1)``, saved as a 16-bit PNG with ``cv2.imwrite`` (OpenCV's
    default PNG settings: the fastest of Pillow's and OpenCV's defaults, so the reference is
    not slowed by its PNG writer; the original stored model depth as JPEG q85 instead;
    OpenCV is imported only then, so ``depth="none"`` is Pillow + numpy alone, start-up included);
  * a row ``"bg";"overlay";"mask";"depth"`` of ``label_data.csv`` (every field quoted,
    ``;``, no header; depth ``""`` without depth).

Files: ``out/Dataset/bg<B>/fg_<F>/{overlay,mask[,depth]}/<k>.jpg`` (``.png`` for depth),
``B``, ``F``, ``k`` 1-based, ``k`` 1-20 unflipped and 21-40 flipped, and ``out/label_data.csv``.
Positions come from ``place(sample_number, w, h)`` when given (a benchmark can make the same
draws as mattehub), else from ``numpy.random.default_rng(seed)``.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

SIZE = 224
SCALES = (1.0, 0.8, 0.6, 0.4)
POSITIONS = 5
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

Placer = Callable[[int, int, int], tuple[int, int]]


@dataclass
class ReferenceStats:
    """What a reference run did."""

    pairs: int = 0
    samples: int = 0


def list_images(root: Path) -> list[str]:
    """Sorted relative paths of the image files below ``root``."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def open_foreground(fg_root: Path, mask_root: Path | None, rel: str) -> tuple[Image.Image, Image.Image]:
    """The RGBA cut-out and its mask (L): ``mask_<stem>.jpg`` if present, else the alpha."""
    fg = Image.open(fg_root / rel).convert("RGBA")
    mask_path = mask_root / f"mask_{Path(rel).stem}.jpg" if mask_root else None
    if mask_path is not None and mask_path.is_file():
        return fg, Image.open(mask_path).convert("L")
    return fg, fg.split()[-1]


def run_reference(bg_root: Path, fg_root: Path, mask_root: Path | None, out: Path,
                  depth: str = "none", depth_root: Path | None = None, seed: int = 0,
                  place: Placer | None = None, pairs: int | None = None) -> ReferenceStats:
    """Every (background, foreground) pair (the first ``pairs`` ones when given), 40 samples
    each; ``depth``: ``none`` or ``exact`` (from ``depth_root``)."""
    bg_root, fg_root, out = Path(bg_root), Path(fg_root), Path(out)
    mask_root = Path(mask_root) if mask_root else None
    if depth not in ("none", "exact"):
        raise ValueError(f"depth is none or exact, not {depth!r}")
    if place is None:
        rng = np.random.default_rng(seed)
        place = lambda n, w, h: (int(rng.integers(SIZE - w + 1)), int(rng.integers(SIZE - h + 1)))  # noqa: E731
    backgrounds, foregrounds = list_images(bg_root), list_images(fg_root)
    stats, n = ReferenceStats(), 0
    (out / "Dataset" / "bg").mkdir(parents=True, exist_ok=True)
    with open(out / "label_data.csv", "w", newline="") as handle:
        rows = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        for b, bg_rel in enumerate(backgrounds, start=1):
            if pairs is not None and stats.pairs >= pairs:
                break
            bg = Image.open(bg_root / bg_rel).convert("RGB").resize((SIZE, SIZE))
            bg_path = f"Dataset/bg/bg{b}.jpg"
            bg.save(out / bg_path, quality=60)
            bg_depth = None
            if depth == "exact":
                import cv2  # only the depth PNGs need it: the notebooks' way is Pillow

                depth_image = Image.open(depth_root / Path(bg_rel).with_suffix(".png"))
                bg_depth = np.array(depth_image.resize((SIZE, SIZE), Image.NEAREST), dtype=np.uint16)
            for f, fg_rel in enumerate(foregrounds, start=1):
                if pairs is not None and stats.pairs >= pairs:
                    break
                fg, mask = open_foreground(fg_root, mask_root, fg_rel)
                pair = f"Dataset/bg{b}/fg_{f}"
                kinds = ("overlay", "mask") + (("depth",) if bg_depth is not None else ())
                for kind in kinds:
                    (out / pair / kind).mkdir(parents=True, exist_ok=True)
                k = 0
                for flipped in (False, True):
                    fg_f, mask_f = (ImageOps.mirror(fg), ImageOps.mirror(mask)) if flipped else (fg, mask)
                    for scale in SCALES:
                        w, h = max(1, round(fg.width * scale)), max(1, round(fg.height * scale))
                        fg_s, mask_s = fg_f.resize((w, h)), mask_f.resize((w, h))
                        for _ in range(POSITIONS):
                            k += 1
                            x, y = place(n, w, h)
                            overlay = bg.copy()
                            overlay.paste(fg_s, (x, y), fg_s)
                            overlay.save(out / pair / "overlay" / f"{k}.jpg", quality=50)
                            canvas = Image.new("L", (SIZE, SIZE))
                            canvas.paste(mask_s, (x, y))
                            canvas.save(out / pair / "mask" / f"{k}.jpg", quality=50)
                            depth_path = ""
                            if bg_depth is not None:
                                composed = bg_depth.copy()
                                composed[np.asarray(canvas) > 127] = bg_depth[y + h - 1, x + w // 2]
                                depth_path = f"{pair}/depth/{k}.png"
                                if not cv2.imwrite(str(out / depth_path), composed):
                                    raise OSError(f"cv2.imwrite failed for {out / depth_path}")
                            rows.writerow([bg_path, f"{pair}/overlay/{k}.jpg",
                                           f"{pair}/mask/{k}.jpg", depth_path])
                            stats.samples += 1
                            n += 1
                stats.pairs += 1
    return stats

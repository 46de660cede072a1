"""Adobe Image Matting training composites, written the way Deep Image Matting's script makes them.

This is the baseline (b) of ``bench_aim.py`` (docs/sources.md, 'Adobe Image Matting and Composition-1k'). It follows the
composition code released with Deep Image Matting (``Composition_code.py``), with OpenCV
in place of Pillow as the PyTorch re-implementations of it do, one composite at a time and
no mattehub import:

- for each foreground of ``fg_root`` (sorted): ``cv2.imread`` of the foreground (colour) and
  of the alpha file of the same name in ``alpha_root`` (grey);
- for each of its ``num_bgs`` backgrounds: ``cv2.imread`` of the background (read from disk
  for every composite, as the script does), scaled by
  ``ratio = max(fg_w / bg_w, fg_h / bg_h)`` when ``ratio > 1`` to
  ``(ceil(bg_w * ratio), ceil(bg_h * ratio))`` with ``cv2.INTER_CUBIC``, cropped at its
  top-left corner to the foreground's size, composited in float32
  (``alpha * fg + (1 - alpha) * bg``, ``alpha = a / 255``, truncated to uint8 as the
  script's ``astype(np.uint8)`` does);
- the composite written with ``cv2.imwrite`` as ``out/merged/<fg stem>_<k>.png`` (PNG, as
  the script saves it; OpenCV's default PNG settings: sub filter, zlib RLE strategy),
  and one line per composite in ``out/training_names.txt`` (composite, fg, bg), as the
  script writes its name lists. The foreground, alpha and background are not copied: a
  DIM training loader reads them from their own folders.

Which backgrounds a foreground gets is left to ``backgrounds(fg_number)`` (a list of paths
relative to ``bg_root``) so a benchmark can make the same draws as mattehub; by default the
script's rule: the backgrounds in sorted order, ``num_bgs`` consecutive ones per
foreground, wrapping around.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

Chooser = Callable[[int], list[str]]


@dataclass
class ReferenceStats:
    """What a reference run did."""

    foregrounds: int = 0
    samples: int = 0


def list_images(root: Path) -> list[str]:
    """Sorted relative paths of the image files below ``root``."""
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def composite4(fg: np.ndarray, bg: np.ndarray, a: np.ndarray, w: int, h: int) -> np.ndarray:
    """The script's ``composite4``: the background cropped to (w, h) at the top left, alpha
    blending in float32, truncated to uint8."""
    fg = np.array(fg, np.float32)
    bg = np.array(bg[0:h, 0:w], np.float32)
    alpha = np.zeros((h, w, 1), np.float32)
    alpha[:, :, 0] = a / 255.0
    comp = alpha * fg + (1 - alpha) * bg
    return comp.astype(np.uint8)


def scale_background(bg: np.ndarray, w: int, h: int) -> np.ndarray:
    """Scale ``bg`` so it covers a (w, h) foreground, only up (the script's rule)."""
    bh, bw = bg.shape[:2]
    ratio = max(w / bw, h / bh)
    if ratio > 1:
        bg = cv2.resize(bg, (math.ceil(bw * ratio), math.ceil(bh * ratio)), interpolation=cv2.INTER_CUBIC)
    return bg


def run_reference(fg_root: Path, alpha_root: Path, bg_root: Path, out: Path, num_bgs: int,
                  backgrounds: Chooser | None = None) -> ReferenceStats:
    """Composite every foreground over ``num_bgs`` backgrounds into ``out/merged``."""
    fg_root, alpha_root, bg_root, out = map(Path, (fg_root, alpha_root, bg_root, out))
    fg_files = list_images(fg_root)
    if backgrounds is None:
        bg_files = list_images(bg_root)
        backgrounds = lambda n: [bg_files[(n * num_bgs + k) % len(bg_files)]  # noqa: E731
                                 for k in range(num_bgs)]
    (out / "merged").mkdir(parents=True, exist_ok=True)
    stats = ReferenceStats()
    with open(out / "training_names.txt", "w") as names:
        for number, im_name in enumerate(fg_files):
            im = cv2.imread(str(fg_root / im_name), cv2.IMREAD_COLOR)
            a = cv2.imread(str(alpha_root / im_name), cv2.IMREAD_GRAYSCALE)
            if im is None or a is None:
                raise OSError(f"cannot read {im_name} from {fg_root} and {alpha_root}")
            h, w = im.shape[:2]
            stem = Path(im_name).stem
            for bcount, bg_name in enumerate(backgrounds(number)):
                bg = cv2.imread(str(bg_root / bg_name), cv2.IMREAD_COLOR)
                if bg is None:
                    raise OSError(f"cannot read {bg_root / bg_name}")
                out_name = f"{stem}_{bcount}.png"
                comp = composite4(im, scale_background(bg, w, h), a, w, h)
                if not cv2.imwrite(str(out / "merged" / out_name), comp):
                    raise OSError(f"cv2.imwrite failed for {out / 'merged' / out_name}")
                names.write(f"{out_name}\t{im_name}\t{bg_name}\n")
                stats.samples += 1
            stats.foregrounds += 1
    return stats

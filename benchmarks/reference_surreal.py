"""Deep Image Matting's SURREAL data creation, written the way the original tool does it.

This is the baseline (b) of ``bench_surreal.py`` (docs/sources.md, 'SURREAL'). OpenCV does all
pixel work, one frame at a time, with no caching beyond "a clip is read whole":

- a clip is read whole: ``scipy.io.loadmat`` of its ``_segm.mat`` (every ``segm_t``), and
  every frame of its ``.mp4`` decoded in order with ``cv2.VideoCapture`` into a list that
  is then indexed by frame number;
- per frame: the frame and its label map are resized so the longer side is 640, both with
  cubic interpolation (labels included, as upstream does), and alpha = (labels > 0) x 255;
- per chosen background, read from disk again for every frame (``cv2.imread``): cubic
  resize so its shorter side is ``bg_size`` (upstream 1280); the 640x480 frame and alpha
  are padded into the centre of a zero canvas of the scaled background's size;
- written with ``cv2.imwrite`` (PNG, OpenCV's default settings)::

      out/eps/<n>/<k>.png     the padded frame (the foreground; not masked, as upstream)
      out/alpha/<n>/<k>.png   the padded alpha
      out/bg/<n>/<k>.png      the scaled background

  ``n`` is a running frame counter over all clips, ``k`` the background's number. The
  composite is not written (Deep Image Matting composites online).

Which backgrounds a frame gets is left to ``choose(n)`` so a benchmark can make the same
draws as mattehub; by default ``num_bgs`` distinct ones from an unseeded generator.
Upstream's flaws that change no cost are not copied (BGR/RGB swap on save, a sampler that
never picks the last background, outputs of several sequences overwriting each other).
Depth and info files are not read: upstream does not use them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import scipy.io

FRAME_LONG_SIDE = 640
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

Chooser = Callable[[int], list[int]]


@dataclass
class ReferenceStats:
    """What a reference run did."""

    clips: int = 0
    frames: int = 0
    samples: int = 0
    choices: list[tuple[str, int, str, int]] = field(default_factory=list)
    """(clip stem, frame, background path, k) of every sample written, in order."""


def list_clips(root: Path) -> list[str]:
    """Sorted clip stems (relative to ``root``) that have both an ``.mp4`` and a ``_segm.mat``."""
    stems = []
    for video in root.rglob("*.mp4"):
        stem = video.relative_to(root).as_posix()[:-len(".mp4")]
        if (root / f"{stem}_segm.mat").is_file():
            stems.append(stem)
    return sorted(stems)


def list_backgrounds(bg_root: Path) -> list[str]:
    """Sorted relative paths of the image files below ``bg_root``."""
    return sorted(p.relative_to(bg_root).as_posix() for p in bg_root.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_clip(base: Path) -> tuple[list[np.ndarray], dict]:
    """The whole clip: every video frame (BGR) and the loaded segm file."""
    capture = cv2.VideoCapture(str(base.with_name(base.name + ".mp4")))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    segm = scipy.io.loadmat(str(base.with_name(base.name + "_segm.mat")))
    return frames, segm


def resize_longer_side(image: np.ndarray, side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = side / max(height, width)
    return cv2.resize(image, (round(width * scale), round(height * scale)),
                      interpolation=cv2.INTER_CUBIC)


def resize_shorter_side(image: np.ndarray, side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = side / min(height, width)
    return cv2.resize(image, (max(side, round(width * scale)), max(side, round(height * scale))),
                      interpolation=cv2.INTER_CUBIC)


def pad_centre(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` in the centre of a zero canvas of ``height`` x ``width``."""
    canvas = np.zeros((height, width) + image.shape[2:], image.dtype)
    y, x = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    canvas[y:y + image.shape[0], x:x + image.shape[1]] = image
    return canvas


def write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cv2.imwrite failed for {path}")


def run_reference(clips_root: Path, bg_root: Path, out: Path, num_bgs: int,
                  bg_size: int = 1280, frame_stride: int = 1,
                  choose: Chooser | None = None, limit: int | None = None) -> ReferenceStats:
    """Every ``frame_stride``-th frame of every clip below ``clips_root``, ``num_bgs``
    backgrounds each; ``choose(n)`` gives the background numbers of frame ``n``. ``limit``:
    stop after that many samples."""
    clips_root, bg_root, out = Path(clips_root), Path(bg_root), Path(out)
    backgrounds = list_backgrounds(bg_root)
    if choose is None:
        rng = np.random.default_rng()
        choose = lambda n: list(rng.choice(len(backgrounds), size=num_bgs, replace=False))  # noqa: E731
    stats, n = ReferenceStats(), 0
    for stem in list_clips(clips_root):
        if limit is not None and stats.samples >= limit:
            break
        frames, segm = read_clip(clips_root / stem)
        count = min(len(frames), sum(1 for key in segm if key.startswith("segm_")))
        stats.clips += 1
        for t in range(0, count, frame_stride):
            frame = resize_longer_side(frames[t], FRAME_LONG_SIDE)
            labels = resize_longer_side(segm[f"segm_{t + 1}"], FRAME_LONG_SIDE)
            alpha = ((labels > 0) * 255).astype(np.uint8)
            if limit is not None and stats.samples >= limit:
                break
            for k, number in enumerate(choose(n)):
                if limit is not None and stats.samples >= limit:
                    break
                path = backgrounds[int(number)]
                bg = resize_shorter_side(cv2.imread(str(bg_root / path)), bg_size)
                height, width = bg.shape[:2]
                write_png(out / "eps" / str(n) / f"{k}.png", pad_centre(frame, height, width))
                write_png(out / "alpha" / str(n) / f"{k}.png", pad_centre(alpha, height, width))
                write_png(out / "bg" / str(n) / f"{k}.png", bg)
                stats.samples += 1
                stats.choices.append((stem, t, path, k))
            stats.frames += 1
            n += 1
    return stats

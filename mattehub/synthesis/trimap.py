"""Trimaps computed from an alpha matte: 0 = background, 128 = unknown, 255 = foreground.

Three kinds, each the convention of a source (``docs/sources.md``):

- ``"him-eval"``: the evaluation trimap used with the HIM sets
  (``docs/sources.md``, "MaGGIe HIM release"): the band ``dilate(a) - erode(a) > 0`` of
  ``a = alpha / 255`` with a 25x25 elliptical kernel, one iteration; foreground where ``a > 0.5``.
- ``"duts"``: the DUTS ground-truth trimap (``docs/sources.md``, "DUTS"): a kernel of ones of
  size (H/40, W/40) and ``(erode(mask) + dilate(mask)) / 2`` in {0, 0.5, 1}, stored as
  {0, 128, 255}.
- ``"random"``: the him-eval construction with a seeded random ellipse size, for training.

Hand-written rather than taken from a library: each kind is two or three OpenCV calls, and the
point is to match those conventions exactly, which a generic trimap helper would not promise.
The same function runs at build time (``--with trimap``) and on a loaded sample, so a stored
``trimap`` field equals ``trimap(sample["alpha"], kind, seed)`` byte for byte.
"""
from __future__ import annotations

import cv2
import numpy as np

from mattehub.core.rng import config_salt
from mattehub.contract.choices import TRIMAP_KINDS

KINDS = TRIMAP_KINDS
"""The trimap kinds ``trimap`` knows."""

HIM_EVAL_KERNEL = 25
"""Side of the elliptical kernel of the him-eval trimap."""
RANDOM_KERNEL_SIZES: tuple[int, ...] = tuple(range(5, 42, 2))
"""Ellipse sides the random kind draws from, uniformly: the odd numbers 5, 7, ..., 41."""
DUTS_DIVISOR = 40
"""The DUTS kernel is (H // 40, W // 40) rows x columns, at least 1 x 1."""

UNKNOWN = 128
FOREGROUND = 255
_TRIMAP_STREAM = config_salt("trimap")  # keeps trimap seeds apart from the sample generators


def trimap(alpha: np.ndarray, kind: str = "him-eval", seed: int | None = None) -> np.ndarray:
    """The trimap of ``alpha`` (uint8, H x W) as uint8 (H, W) with values in {0, 128, 255}.

    ``kind`` is one of ``KINDS``; ``seed`` is required by ``"random"`` (use ``trimap_seed``
    at build time) and ignored by the others. Raises ValueError for another dtype or shape,
    an unknown kind, or a random trimap without a seed.
    """
    _check_alpha(alpha)
    if kind == "him-eval":
        return band_trimap(alpha, HIM_EVAL_KERNEL)
    if kind == "duts":
        return duts_trimap(alpha)
    if kind == "random":
        if seed is None:
            raise ValueError("trimap kind 'random' needs a seed (e.g. trimap_seed(config, seed, index))")
        return band_trimap(alpha, random_kernel_size(seed))
    raise ValueError(f"unknown trimap kind {kind!r}: expected one of {', '.join(KINDS)}")


def band_trimap(alpha: np.ndarray, kernel_size: int) -> np.ndarray:
    """The him-eval construction with a ``kernel_size`` x ``kernel_size`` ellipse.

    Order: 255 where ``alpha / 255 > 0.5`` (i.e. alpha >= 128), then 128 on the band
    ``dilate(a) - erode(a) > 0`` (one iteration), which overrides the foreground: the unknown
    region wins; 0 elsewhere. The morphology runs on the uint8 alpha: ``x / 255`` is strictly
    increasing, so max/min filters and the band are the same as on ``a = alpha / 255``.
    """
    _check_alpha(alpha)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_size, kernel_size))
    band = cv2.dilate(alpha, kernel, iterations=1) > cv2.erode(alpha, kernel, iterations=1)
    out = np.where(alpha >= 128, FOREGROUND, 0).astype(np.uint8)
    out[band] = UNKNOWN
    return out


def duts_kernel_shape(height: int, width: int) -> tuple[int, int]:
    """The DUTS kernel as cv2 wants it, (rows, cols) = (H // 40, W // 40), each at least 1."""
    return max(1, height // DUTS_DIVISOR), max(1, width // DUTS_DIVISOR)


def duts_trimap(alpha: np.ndarray) -> np.ndarray:
    """The DUTS trimap: mask = alpha >= 128; (erode + dilate) / 2 with a kernel of ones.

    With a 0/1 mask, erode <= dilate, so the mean is 0, 0.5 or 1, stored as 0, 128, 255.
    """
    _check_alpha(alpha)
    mask = (alpha >= 128).astype(np.uint8)
    kernel = np.ones(duts_kernel_shape(*alpha.shape), np.uint8)
    level = cv2.erode(mask, kernel) + cv2.dilate(mask, kernel)  # 0, 1 or 2
    return np.array([0, UNKNOWN, FOREGROUND], np.uint8)[level]


def random_kernel_size(seed: int) -> int:
    """The ellipse side of a random trimap: uniform over ``RANDOM_KERNEL_SIZES`` (odd, 5..41)."""
    rng = np.random.default_rng(seed)
    return RANDOM_KERNEL_SIZES[int(rng.integers(len(RANDOM_KERNEL_SIZES)))]


def trimap_seed(config: str, seed: int, index: int) -> int:
    """A stable 32-bit seed for the random trimap of sample ``index`` of ``config`` built with ``seed``.

    Derived with ``np.random.SeedSequence`` from the config's crc32 salt (not ``hash()``, which
    changes per process), so a loaded sample's trimap can be recomputed exactly.
    """
    entropy = [config_salt(config), int(seed), int(index), _TRIMAP_STREAM]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def _check_alpha(alpha: np.ndarray) -> None:
    """Refuse anything but a non-empty uint8 (H, W) array, saying what is expected."""
    if not isinstance(alpha, np.ndarray):
        raise ValueError(f"alpha must be a numpy uint8 array of shape (H, W), got {type(alpha).__name__}")
    if alpha.dtype != np.uint8:
        raise ValueError(f"alpha must be uint8 (0..255) of shape (H, W), got dtype {alpha.dtype}")
    if alpha.ndim != 2 or alpha.size == 0:
        raise ValueError(f"alpha must be a single-channel uint8 array of shape (H, W), "
                         f"got shape {alpha.shape}")

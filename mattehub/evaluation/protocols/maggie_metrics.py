"""MaGGIe's metrics as its released ``maggie/utils/metric.py`` computes them (hmchuong/MaGGIe,
commit 62344dd), one metric update at a time. Facts, not its code:

* Mattes are float32 ``v / 255``; predictions are first snapped: ``<= 1/255`` to 0 and
  ``>= 254/255`` to 1 (``maggie/engine/test.py``).
* An update scores a batch of B maps (an image's instances; or frames x instances of a clip
  window) and adds B to the count of each frame metric; a metric's result is
  ``sum of scores / (count + 1e-6)`` over the whole run.
* ``SAD = sum |p - g| m x 1e-3``; ``MSE = mean_HW((p - g)^2 m) / (sum m + 1e-6) x 1e10``
  and ``MAD`` likewise with ``|p - g|``: per map ``mattehub x 1e7 / (H W)`` on the whole
  image (the mean is taken over all H x W pixels, then divided by the region's size again).
* ``Grad``: both batches min-max normalised jointly, ``(x - min) / (max - min + 1e-6)`` over
  all maps of the update; ``gaussgradient`` (sigma 1.4) by ``F.conv2d`` with zero padding;
  ``sum (|G g| - |G p|)^2 m x 1e-3``.
* ``Conn``: per map, thresholds ``np.arange(0, 1.1, 0.1)``, the largest 4-connected component
  by ``skimage.measure.label`` (ties: first in row-major order), ``sum |phi_g - phi_p| m x
  1e-3``. On float32 ``v / 255`` mattes these thresholds select what exact decimals select.
* Regions ``m``: the whole image for MAD, MSE, SAD, Grad, Conn, dtSSD, MESSDdt; ``MAD_fg``,
  ``MAD_bg``, ``MAD_unk`` use the trimap ``2`` where ``g > 0.5``, then ``1`` on the band
  ``dilate(g) - erode(g) > 0`` (25 x 25 ellipse), else ``0`` (= ``trimap(alpha, "him-eval")``).
"""
from __future__ import annotations

import numpy as np

from mattehub.analysis.metrics import connectivity_error_map, gauss_gradient
from mattehub.synthesis.trimap import trimap as make_trimap

SNAP_LOW = np.float32(1.0 / 255.0)
SNAP_HIGH = np.float32(254.0 / 255.0)
EPSILON = 1e-6
"""MaGGIe's ``+ 1e-6``: in MSE/MAD denominators, Grad's normalisation and the final means."""
FRAME_METRICS = ("mad", "mse", "sad", "grad", "conn")
REGION_MAD = {"fg": 255, "bg": 0, "unknown": 128}
"""``MAD_fg`` / ``MAD_bg`` / ``MAD_unk``: the him-eval trimap value of each region."""


def unit(alpha: np.ndarray) -> np.ndarray:
    """uint8 mattes as MaGGIe holds them: float32 ``v / 255``."""
    return np.asarray(alpha, np.uint8).astype(np.float32) / np.float32(255)


def snapped(pred: np.ndarray) -> np.ndarray:
    """A prediction as MaGGIe scores it: float32 ``v / 255``, ``<= 1/255`` set to 0 and
    ``>= 254/255`` to 1."""
    p = unit(pred)
    p[p <= SNAP_LOW] = 0.0
    p[p >= SNAP_HIGH] = 1.0
    return p


def _mean_over_region(error: np.ndarray, region: np.ndarray | None) -> float:
    masked = error if region is None else error * region
    pixels = float(error.size if region is None else region.sum())
    return float(masked.mean()) / (pixels + EPSILON) * 1e10


def _normalised(batch: np.ndarray) -> np.ndarray:
    low, high = float(batch.min()), float(batch.max())
    return (batch.astype(np.float64) - low) / (high - low + EPSILON)


def frame_update(preds: np.ndarray, gts_u8: np.ndarray) -> list[dict[str, float]]:
    """One metric update on a batch of B maps (B, H, W): each map's contribution to every
    metric's score (each adds 1 to the count). ``preds`` snapped float32, ``gts_u8`` uint8."""
    gts = unit(gts_u8)
    grad_p = [gauss_gradient(m, "constant") for m in _normalised(preds)]
    grad_g = [gauss_gradient(m, "constant") for m in _normalised(gts)]
    out = []
    for b in range(len(gts)):
        diff = preds[b] - gts[b]
        trimap = make_trimap(gts_u8[b], "him-eval")
        scores = {"sad": float(np.abs(diff, dtype=np.float64).sum()) * 1e-3,
                  "mse": _mean_over_region(diff.astype(np.float64) ** 2, None),
                  "mad": _mean_over_region(np.abs(diff.astype(np.float64)), None),
                  "grad": float(((grad_g[b] - grad_p[b]) ** 2).sum()) * 1e-3,
                  "conn": float(connectivity_error_map(preds[b], gts[b], order="C").sum(
                      dtype=np.float64)) * 1e-3}
        for region, value in REGION_MAD.items():
            scores[f"mad_{region}"] = _mean_over_region(np.abs(diff.astype(np.float64)),
                                                        trimap == value)
        out.append(scores)
    return out

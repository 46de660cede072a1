"""Temporal matting errors of clips: dtSSD and MESSDdt (``mattehub evaluate`` on clip configs).

``pred``, ``gt`` and ``trimap`` are (T, H, W) clips as in ``mattehub.analysis.metrics``
(alphas uint8 or float in [0, 1], ``R`` the region: every pixel, or ``trimap == 128``).
Temporal errors of a clip (T >= 2; a one-frame clip scores 0):

* ``dtssd``: RVM's per-frame formula (``evaluate_lr.py``, ``MetricDTSSD``), per frame pair
  ``sqrt(sum_R ((a_p,t - a_p,t-1) - (a_g,t - a_g,t-1))^2 / |R|) x 100``, averaged over the
  T - 1 pairs; ``R`` is the region of frame t-1 (MaGGIe's ``mask_0``). RVM's script also
  counts a 0 for frame 0 in its average, so its clip value is this x (T - 1) / T
  (``--protocol rvm``); MaGGIe's dtSSD is ``sqrt(sum) x 0.1`` with no normalisation
  (``--protocol maggie``).
* ``messddt``: MaGGIe's definition (``maggie/utils/metric.py``): the ground-truth flow from
  frame t to t+1 by OpenCV Farneback on ``round(255 a_g)`` with (0.5, 5, 10, 2, 7, 1.5,
  ``OPTFLOW_FARNEBACK_GAUSSIAN``), rounded to whole pixels and clamped to the frame; with
  ``e = (a_p - a_g)^2`` and ``m`` the region,
  ``sum_t sum_x |e_t(x) m_t(x) - e_t+1(x + f(x)) m_t+1(x + f(x))| / sum_t |R_t| x 10^4``.
  The released code differs in three lines, reproduced by ``--protocol maggie`` only: it
  adds 1 to each frame's pixel count, indexes the warped frame with rows and columns swapped,
  and (``torch.take`` without a frame offset) reads every pair's warped frame from the
  clip's second frame; mattehub divides by the pixel count and follows the flow as OpenCV
  defines it (x, then y) into frame t+1.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from mattehub.analysis.metrics import FRAME_METRICS, as_unit, matting_errors, reduce_error, unit_pair, unknown_region

DTSSD_SCALE = 1e2
MESSDDT_SCALE = 1e4
FARNEBACK = (0.5, 5, 10, 2, 7, 1.5, cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
"""pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags (MaGGIe's MESSDdt)."""
CLIP_METRICS: tuple[str, ...] = FRAME_METRICS + ("dtssd", "messddt")


def _clip(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None):
    p, g, tri = unit_pair(pred, gt, trimap)
    if p.ndim != 3:
        raise ValueError(f"temporal errors need clips of shape (T, H, W), got {p.shape}")
    return p, g, unknown_region(tri, g.shape)


def dtssd(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """dtSSD x 100 of a clip: per frame pair, the root mean (over the earlier frame's region)
    of the squared difference of temporal derivatives; the mean over pairs."""
    p, g, region = _clip(pred, gt, trimap)
    if p.shape[0] < 2:
        return 0.0
    change = ((p[1:] - p[:-1]) - (g[1:] - g[:-1])) ** 2
    pairs = [math.sqrt(reduce_error(change[t], region[t], True, 1.0)) for t in range(len(change))]
    return float(np.mean(pairs)) * DTSSD_SCALE


def gt_flow(previous: np.ndarray, following: np.ndarray) -> np.ndarray:
    """Farneback flow (H, W, 2; x then y) from one ground-truth frame in [0, 1] to the next,
    on the 8-bit mattes, with MaGGIe's parameters (``FARNEBACK``)."""
    to8 = [np.rint(frame * 255).astype(np.uint8) for frame in (previous, following)]
    return cv2.calcOpticalFlowFarneback(to8[0], to8[1], None, *FARNEBACK)


def gt_flows(gt: np.ndarray) -> list[np.ndarray]:
    """The ground-truth flow of every frame pair of a clip (``gt_flow``), rounded to whole
    pixels: what MESSDdt follows. Depends on the ground truth only, so one clip's flows
    serve every region."""
    g = as_unit(gt, "gt")
    return [np.rint(gt_flow(g[t], g[t + 1])).astype(np.int64) for t in range(len(g) - 1)]


def messddt(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None,
            flows: Sequence[np.ndarray] | None = None) -> float:
    """MESSDdt x 10^4 of a clip: how much the squared error changes along the ground truth's
    motion, per pixel of the region (see the module docstring). ``flows``: ``gt_flows(gt)``
    when already computed."""
    p, g, region = _clip(pred, gt, trimap)
    flows = gt_flows(g) if flows is None else flows
    weighted = (p - g) ** 2 * region
    rows, cols = np.indices(g.shape[1:])
    total, pixels = 0.0, 0
    for t, flow in enumerate(flows):
        y = np.clip(rows + flow[..., 1], 0, g.shape[1] - 1)
        x = np.clip(cols + flow[..., 0], 0, g.shape[2] - 1)
        total += float(np.abs(weighted[t] - weighted[t + 1][y, x]).sum())
        pixels += int(region[t].sum())
    return total / pixels * MESSDDT_SCALE if pixels else 0.0


def clip_errors(pred: np.ndarray, gt: np.ndarray,
                trimap: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``matting_errors`` of a clip plus ``dtssd`` and ``messddt``, per region (the
    ground-truth flow is computed once for both)."""
    out = matting_errors(pred, gt, trimap)
    flows = gt_flows(gt)
    for name, region_trimap in (("whole", None), ("unknown", trimap)):
        if name in out:
            out[name]["dtssd"] = dtssd(pred, gt, region_trimap)
            out[name]["messddt"] = messddt(pred, gt, region_trimap, flows)
    return out

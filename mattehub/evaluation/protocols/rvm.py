"""``--protocol rvm``: Robust Video Matting's ``evaluation/evaluate_lr.py``
(PeterL1n/RobustVideoMatting), the VideoMatte240K tables.

Every clip (each instance's clip; an image is a one-frame clip) is scored frame by frame on
the whole frame, mattes float32 ``v / 255``, predictions as written (no snapping):

* ``MAD = mean |p - g| x 1e3``, ``MSE = mean (p - g)^2 x 1e3``;
* ``Grad``: each frame min-max normalised on its own (``cv2.normalize``, NORM_MINMAX),
  ``gaussgradient`` (sigma 1.4) with replicated borders, ``sum (|G g| - |G p|)^2 / 1000``
  (the DIM definition on the whole frame);
* ``Conn``: thresholds ``np.arange(0, 1.1, 0.1)``, largest 4-connected component by
  ``cv2.connectedComponentsWithStats`` (ties: first in row-major order), ``sum / 1000``;
* ``dtSSD``: 0 for frame 0, then ``sqrt(sum ((p_t - p_t-1) - (g_t - g_t-1))^2 / (H W)) x
  100``: averaged with that 0 included, RVM's clip value is mattehub's x (T - 1) / T.

The script writes one spreadsheet row per clip and one column per frame; its result is
``AVERAGE(C2:ZZ2)`` of the row ``AVERAGE(C3:C9999)``...: per frame position, the mean over
the clips that have that frame, then the mean over positions. So at most 700 positions
(C..ZZ) and 9,997 clips (rows 3..9999) enter, and with clips of unequal length a frame of a
short clip weighs more. RVM scores only the clips present in its prediction folder;
mattehub scores a missing prediction as zeros and lists it.
"""
from __future__ import annotations

import math

import numpy as np

from mattehub.analysis.metrics import connectivity_error_map, gradient_magnitude
from mattehub.evaluation.cases import Case, Pair
from mattehub.evaluation.protocols.base import Protocol, Summary
from mattehub.evaluation.protocols.maggie_metrics import unit

METRICS = ("mad", "mse", "grad", "conn", "dtssd")
MAX_POSITIONS, MAX_CLIPS = 700, 9997
"""Spreadsheet columns C..ZZ and rows 3..9999 of ``evaluate_lr.py``'s averages."""


def frame_scores(pred: np.ndarray, gt: np.ndarray, previous: tuple | None) -> dict[str, float]:
    """One frame's values (float32 ``v / 255`` mattes); ``previous``: the last frame's
    (pred, gt), None for frame 0."""
    diff = (pred - gt).astype(np.float64)
    grad = (gradient_magnitude(gt.astype(np.float64)) - gradient_magnitude(pred.astype(np.float64))) ** 2
    scores = {"mad": float(np.abs(diff).mean()) * 1e3, "mse": float((diff ** 2).mean()) * 1e3,
              "grad": float(grad.sum()) / 1000,
              "conn": float(connectivity_error_map(pred, gt, order="C").sum(dtype=np.float64)) / 1000,
              "dtssd": 0.0}
    if previous is not None:
        change = ((pred - previous[0]) - (gt - previous[1])).astype(np.float64) ** 2
        scores["dtssd"] = math.sqrt(float(change.sum()) / gt.size) * 1e2
    return scores


def clip_scores(pred: np.ndarray, gt: np.ndarray) -> dict[str, list[float]]:
    """Per metric, the value of every frame of one clip ((T, H, W) or (H, W) uint8)."""
    p, g = unit(pred), unit(gt)
    if g.ndim == 2:
        p, g = p[None], g[None]
    frames = [frame_scores(p[t], g[t], None if t == 0 else (p[t - 1], g[t - 1]))
              for t in range(len(g))]
    return {m: [f[m] for f in frames] for m in METRICS}


class RvmProtocol(Protocol):
    """``evaluate_lr.py`` on files."""

    name = "rvm"
    title = "protocol rvm: Robust Video Matting's evaluation/evaluate_lr.py"
    scales = ("MAD, MSE means x 1e3; Grad, Conn sums / 1000; dtSSD x 100 (0 at frame 0); mean "
              "per frame position, then over positions")

    def describe_scales(self, kind: str) -> str:
        return self.scales if kind == "clip" else self.scales.replace("; dtSSD x 100 (0 at frame 0)", "")

    def score(self, case: Case, pairs: list[Pair], trimap_kind: str | None) -> dict:
        return {"instances": [{"instance": p.instance, "prediction": p.prediction,
                               "frames": clip_scores(p.pred, p.gt)} for p in pairs]}

    def summarise(self, kind: str, records: list[dict]) -> Summary:
        clips = [i["frames"] for r in records for i in r["instances"]][:MAX_CLIPS]
        means = {}
        for metric in (METRICS if kind == "clip" else METRICS[:-1]):
            columns: dict[int, list[float]] = {}
            for clip in clips:
                for position, value in enumerate(clip[metric][:MAX_POSITIONS]):
                    columns.setdefault(position, []).append(value)
            per_position = [float(np.mean(values)) for values in columns.values()]
            means[metric] = float(np.mean(per_position)) if per_position else 0.0
        return Summary({"whole": means}, "frame positions (RVM: per position over clips, then "
                       "over positions)", {"clips": len(clips)})

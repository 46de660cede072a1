"""MaGGIe's clip evaluation (``eval_video`` in ``maggie/engine/test.py``, ``dtSSD`` and
``MESSDdt`` in ``maggie/utils/metric.py``, hmchuong/MaGGIe commit 62344dd), replayed.

The released loop reads a clip as windows of 3 frames with stride 1 (``clip_length: 3``,
``clip_overlap: 2`` in ``configs/maggie_video.yaml``) and keeps a buffer of frames; it
scores frame metrics on frame 0, then on one frame per window, then on the last 3 frames
together (so every frame x instance counts once, and Grad is normalised jointly over the
maps of each update), and temporal metrics on the frame pair of each window, the last window
on 4 frames. ``calls`` replays that buffer logic on frame numbers, a window whose guidance
masks are all empty included (skipped before the buffers are updated, as released).
Clips the loop cannot score (fewer than 5 frames: it reads a previous window's buffer that
does not exist) are refused by ``calls`` with ``Unscorable``.

* ``dtSSD`` of an update on frames F (F, I, H, W): per instance ``sqrt(sum over the frame
  pairs and pixels of ((p_t - p_t-1) - (g_t - g_t-1))^2) x 0.1``, summed over instances; the
  count grows by I.
* ``MESSDdt`` per instance: ground-truth flow by Farneback on ``(g x 255).astype(uint8)``
  (truncated), rounded; the warped frame is read at row ``x + dx`` (clamped to H - 1) and
  column ``y + dy`` (clamped to W - 1): rows and columns swapped; and ``torch.take`` on the
  flattened frames without a frame offset reads every pair's warped values from the
  update's second frame. ``sum |e_0 m_0 - e_1' m_1'| / sum (|m_0| + 1) x 10^4``; the count
  grows by one per instance.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from mattehub.analysis.clip_metrics import FARNEBACK

WINDOW, OVERLAP = 3, 2
"""``dataset.test.clip_length`` and ``clip_overlap`` of ``configs/maggie_video.yaml``."""


class Unscorable(ValueError):
    """A clip MaGGIe's loop cannot score (its code would fail on it)."""


Frames = tuple[list[int], list[int]]
"""(prediction frame numbers, ground-truth frame numbers) of one update."""


def calls(length: int, empty: Callable[[list[int]], bool]) -> list[tuple[Frames, Frames | None]]:
    """The metric updates ``eval_video`` makes on a clip of ``length`` frames: (frames of
    the frame-metric update, frames of the temporal update or None). ``empty(window)``: the
    window's guidance masks are all zero (MaGGIe skips it)."""
    made: list[tuple[Frames, Frames | None]] = []
    preds: list[int] = []
    gts: list[int] = []
    previous: int | None = None  # len(prev_preds) of the last window scored
    for start in range(0, length - OVERLAP, WINDOW - OVERLAP):
        window = list(range(start, start + WINDOW))
        first, last = start == 0, start + WINDOW >= length
        if first:
            preds, gts, previous = [], [], None
        if empty(window):
            continue
        if first:
            preds, gts = window[:], window[:]
        elif not preds:
            raise Unscorable("MaGGIe's eval_video cannot score a clip whose first window's "
                             "guidance masks are all empty (it joins frames to an empty list)")
        else:
            preds, gts = preds[:-1] + window[1:], gts + window[2:]
        if last and previous is None:
            raise Unscorable(f"MaGGIe's eval_video cannot score a clip of {length} frames "
                             "(its last window reads a buffer that was never filled)")
        end = previous if last else -3
        prior = (preds[-4:end], gts[-4:end]) if len(preds) > 3 else None
        previous = len(prior[0]) if prior else None
        stop = len(preds) if last else -2
        made.append(((preds[-3:stop], gts[-3:stop]), prior))
        if len(preds) > 3:
            preds, gts = preds[-3:], gts[-3:]
    return made


def dtssd_update(preds: np.ndarray, gts: np.ndarray) -> list[float]:
    """Per instance, the dtSSD score of one update ((F, I, H, W) float32 arrays)."""
    change = ((preds[1:] - preds[:-1]) - (gts[1:] - gts[:-1])).astype(np.float64) ** 2
    return [math.sqrt(float(change[:, i].sum())) * 0.1 for i in range(preds.shape[1])]


def _flow(previous: np.ndarray, following: np.ndarray) -> np.ndarray:
    to8 = [(frame * np.float32(255)).astype(np.uint8) for frame in (previous, following)]
    return np.rint(cv2.calcOpticalFlowFarneback(to8[0], to8[1], None, *FARNEBACK)).astype(np.int64)


def messddt_update(preds: np.ndarray, gts: np.ndarray) -> list[float]:
    """Per instance, the MESSDdt score of one update ((F, I, H, W) float32 arrays), as the
    released code computes it (see the module docstring)."""
    frames, _, height, width = gts.shape
    if frames < 2:  # MaGGIe's Pool(0) raises, and its update skips the instance
        return []
    rows, cols = np.indices((height, width))
    scores = []
    for i in range(gts.shape[1]):
        p, g = preds[:, i].astype(np.float64), gts[:, i].astype(np.float64)
        total, pixels = 0.0, 0.0
        for t in range(frames - 1):
            flow = _flow(gts[t, i], gts[t + 1, i])
            y = np.clip(cols + flow[..., 0], 0, height - 1)  # x + dx used as a row
            x = np.clip(rows + flow[..., 1], 0, width - 1)   # y + dy used as a column
            warped_error = (p[1] - g[1])[y, x] ** 2           # always the second frame
            total += float(np.abs((p[t] - g[t]) ** 2 - warped_error).sum())
            pixels += height * width + 1
        scores.append(total / pixels * 1e4)
    return scores


def clip_arrays(preds: list[np.ndarray], gts: list[np.ndarray],
                frames: Frames) -> tuple[np.ndarray, np.ndarray]:
    """(F, I, H, W) snapped float32 predictions and uint8 ground truth of the instances
    (``preds[i]``, ``gts[i]``: (T, H, W)) at ``frames``. Prediction and ground-truth frame
    numbers differ where a skipped window shifted MaGGIe's buffers; a different count of
    each is a clip its code fails on."""
    pred_frames, gt_frames = frames
    if len(pred_frames) != len(gt_frames):
        raise Unscorable("a skipped window leaves MaGGIe's prediction and ground-truth buffers "
                         "of different lengths (its code fails on this clip)")
    return (np.stack([np.stack([p[t] for p in preds]) for t in pred_frames]),
            np.stack([np.stack([g[t] for g in gts]) for t in gt_frames]))

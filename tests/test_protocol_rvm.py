"""``--protocol rvm`` against Robust Video Matting's ``evaluation/evaluate_lr.py``
(PeterL1n/RobustVideoMatting) on hand-made clips; each expected number is worked out from the
script's formulas (written beside it)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mattehub.analysis import clip_metrics as C
from mattehub.analysis import metrics as M
from mattehub.evaluation.cases import Case, Pair
from mattehub.evaluation.protocols.rvm import RvmProtocol

U8 = np.uint8
RVM = RvmProtocol()


def clip_means(*clips: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    records = [RVM.score(Case(f"c{i}", "clip", [gt], [0], 1), [Pair(0, 0, gt, pred)], None)
               for i, (gt, pred) in enumerate(clips)]
    return RVM.summarise("clip", records).means["whole"]


def test_dtssd_averages_a_zero_for_frame_zero():
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 256, (5, 12, 16)).astype(U8)
    pred = np.clip(gt.astype(int) + rng.integers(-30, 31, gt.shape), 0, 255).astype(U8)
    # MetricDTSSD per frame t >= 1: sqrt(sum(...) / size) x 100; frame 0 appends 0; the clip's
    # value is the mean of the 5 values: mattehub's mean over the 4 pairs x 4 / 5
    assert clip_means((gt, pred))["dtssd"] == pytest.approx(C.dtssd(pred, gt) * 4 / 5, rel=1e-5)


def test_means_are_per_frame_position_then_over_positions():
    # 10 x 10 frames: clip A has 2 frames with 1 wrong pixel (MAD 1e3 / 100 = 10 each), clip B
    # 4 frames with 3 wrong pixels (MAD 30 each). The spreadsheet averages each frame column
    # over clips (20, 20, 30, 30), then the columns: 25 (not 23.33 per frame, nor 20 per clip).
    def clip(frames: int, wrong: int):
        gt = np.zeros((frames, 10, 10), U8)
        pred = gt.copy()
        pred[:, 0, :wrong] = 255
        return gt, pred
    result = clip_means(clip(2, 1), clip(4, 3))
    assert result["mad"] == pytest.approx(25.0, rel=1e-6)
    assert result["mse"] == pytest.approx(25.0, rel=1e-6)  # errors of 1: squared = absolute


def test_conn_ties_row_major_and_grad_as_dim_on_the_whole_frame():
    gt = np.zeros((1, 4, 4), U8)
    gt[0, 0, 3] = gt[0, 3, 0] = 255
    pred = gt.copy()
    pred[0, 3, 0] = 166
    result = clip_means((gt, pred))
    # cv2.connectedComponentsWithStats numbers components in row-major order: the top-right
    # pixel wins the tie, the bottom-left one gets l = 0: |phi_g - phi_p| = 1 - 166/255, / 1000
    assert result["conn"] == pytest.approx((1 - 166 / 255) / 1000, rel=1e-6)
    # MetricGRAD: per-frame min-max, replicated borders, sum / 1000: the DIM definition
    assert result["grad"] == pytest.approx(M.gradient_error(pred[0], gt[0]), rel=1e-6)


def test_images_are_one_frame_clips_without_dtssd():
    gt = np.zeros((6, 6), U8)
    gt[1:4, 1:4] = 255
    pred = gt.copy()
    pred[2, 2] = 0
    records = [RVM.score(Case("i", "alpha", [gt], [0], 1), [Pair(0, "i.png", gt, pred)], None)]
    result = RVM.summarise("alpha", records).means["whole"]
    assert "dtssd" not in result
    assert result["mad"] == pytest.approx(1e3 / 36) and math.isclose(result["mse"], 1e3 / 36)

"""``mattehub.analysis.metrics`` and ``clip_metrics`` against cases worked out by hand: SAD,
MSE, MAD, Grad and Conn over the whole image and the unknown region, clips, dtSSD, MESSDdt,
and instance matching.

Expected values are written from the definitions in the comments (alpha = value / 255),
never taken from the functions under test."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mattehub.analysis import clip_metrics as C
from mattehub.analysis import metrics as M
from mattehub.analysis import matching as MA

U8 = np.uint8


def test_sad_mse_mad_whole_image_and_unknown_region():
    # gt  = [[0, 255], [255, 0]], pred differs by 51 (= 0.2) at (0, 0) only.
    # whole: SAD = 0.2 / 1000; MSE = 0.04 / 4 pixels x 1000 = 10; MAD = 0.2 / 4 x 1000 = 50.
    gt = np.array([[0, 255], [255, 0]], U8)
    pred = np.array([[51, 255], [255, 0]], U8)
    assert M.sad(pred, gt) == pytest.approx(0.0002)
    assert M.mse(pred, gt) == pytest.approx(10.0)
    assert M.mad(pred, gt) == pytest.approx(50.0)
    # unknown region = (0, 0) and (0, 1): SAD unchanged, MSE = 0.04 / 2 x 1000, MAD = 0.2 / 2 x 1000.
    trimap = np.array([[128, 128], [255, 0]], U8)
    assert M.sad(pred, gt, trimap) == pytest.approx(0.0002)
    assert M.mse(pred, gt, trimap) == pytest.approx(20.0)
    assert M.mad(pred, gt, trimap) == pytest.approx(100.0)
    # an unknown region that misses the wrong pixel sees no error at all
    elsewhere = np.array([[255, 128], [128, 0]], U8)
    assert M.sad(pred, gt, elsewhere) == 0 and M.mse(pred, gt, elsewhere) == 0


def test_matting_errors_reports_both_regions_and_empty_region_is_zero():
    gt = np.array([[0, 255], [255, 0]], U8)
    pred = np.array([[51, 255], [255, 0]], U8)
    errors = M.matting_errors(pred, gt, np.zeros_like(gt))  # no unknown pixel
    assert set(errors) == {"whole", "unknown"} and set(errors["whole"]) == set(M.FRAME_METRICS)
    assert errors["whole"]["mse"] == pytest.approx(10.0)
    assert all(value == 0 for value in errors["unknown"].values())
    assert set(M.matting_errors(pred, gt)) == {"whole"}


def test_perfect_prediction_scores_zero_everywhere():
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 256, (4, 17, 13), dtype=U8)
    trimap = rng.choice(np.array([0, 128, 255], U8), gt.shape)
    clip = C.clip_errors(gt.copy(), gt, trimap)
    assert {name: set(values) for name, values in clip.items()} == {
        "whole": set(C.CLIP_METRICS), "unknown": set(C.CLIP_METRICS)}
    assert all(value == 0 for region in clip.values() for value in region.values())


@pytest.mark.parametrize("metric", M.FRAME_METRICS)
def test_every_frame_metric_is_symmetric_and_accepts_floats(metric):
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 256, (2, 12, 9), dtype=U8)
    trimap = rng.choice(np.array([0, 128, 255], U8), a.shape)
    forward = M.matting_errors(a, b, trimap, (metric,))
    assert forward["whole"][metric] > 0 and forward["unknown"][metric] > 0
    for other in (M.matting_errors(b, a, trimap, (metric,)),
                  M.matting_errors(a / 255.0, b / 255.0, trimap, (metric,))):
        for region in ("whole", "unknown"):
            assert other[region][metric] == pytest.approx(forward[region][metric])


def test_gauss_gradient_kernel_constants():
    # half size = ceil(1.4 * sqrt(-2 ln(sqrt(2 pi) * 1.4 * 0.01))) = ceil(1.4 * 2.5883) = ceil(3.62) = 4
    kernel = M.gauss_gradient_kernel()
    assert kernel.shape == (9, 9)
    assert (kernel ** 2).sum() == pytest.approx(1.0)
    assert np.allclose(kernel[:, 4], 0) and np.allclose(kernel, -kernel[:, ::-1])  # odd in x
    assert np.allclose(kernel, kernel[::-1, :])  # even (Gaussian) in y


def _step_edge_column_terms() -> list[float]:
    """gx^2 at the 8 columns around a 0 -> 1 step, written out from gaussgradient's formula:
    kernel(a, b) = G(a) D(b) / N, G(u) = exp(-u^2 / 2s^2) / (s sqrt(2 pi)), D(u) = -u G(u) / s^2,
    N = sqrt(sum G^2 * sum D^2), s = 1.4, a, b in -4..4. On an image constant along y the
    convolution at column c + k is (sum G / N) * sum_{b <= k} D(b); zero for k < -4 and k >= 4."""
    s = 1.4
    g = {u: math.exp(-u * u / (2 * s * s)) / (s * math.sqrt(2 * math.pi)) for u in range(-4, 5)}
    d = {u: -u * g[u] / s ** 2 for u in range(-4, 5)}
    norm = math.sqrt(sum(v * v for v in g.values()) * sum(v * v for v in d.values()))
    return [(sum(g.values()) / norm * sum(d[b] for b in range(-4, k + 1))) ** 2 for k in range(-4, 4)]


def test_gradient_error_of_a_step_edge_against_a_flat_prediction():
    # gt: 3 rows, 0 left of column 6 and 255 from it; pred all 0 has no gradient, so the
    # error is sum of gt's gx^2: 3 rows x sum of the 8 column terms (19.5907...) / 1000.
    terms = _step_edge_column_terms()
    assert sum(terms) == pytest.approx(19.59071600641622)
    gt = np.zeros((3, 12), U8)
    gt[:, 6:] = 255
    flat = np.zeros_like(gt)
    assert M.gradient_error(flat, gt) == pytest.approx(3 * sum(terms) / 1000)
    assert M.gradient_error(flat.T, gt.T) == pytest.approx(3 * sum(terms) / 1000)  # y derivative
    band = np.zeros_like(gt)
    band[:, 5:7] = 128  # columns c - 1 and c: terms k = -1 and k = 0
    assert M.gradient_error(flat, gt, band) == pytest.approx(3 * (terms[3] + terms[4]) / 1000)


def test_gradient_error_normalises_each_matte_like_mat2gray():
    # a 0/100 step is min-max normalised to the same 0/1 step as gt: no gradient error, but SAD
    gt = np.zeros((5, 10), U8)
    gt[:, 4:] = 255
    faint = np.where(gt > 0, 100, 0).astype(U8)
    assert M.gradient_error(faint, gt) == pytest.approx(0, abs=1e-12)
    assert M.sad(faint, gt) == pytest.approx(5 * 6 * (155 / 255) / 1000)


def test_connectivity_error_of_a_missed_bright_pixel():
    # gt = [1, 0, 1], pred = [1, 0, 0]: the common component is pixel 0 at every threshold, so
    # l = [1, 0, 0]; d_pred = [0, 0, 0] -> phi 1; d_gt = [0, 0, 1] -> phi [1, 1, 0]. Conn = 1 / 1000.
    gt = np.array([[255, 0, 255]], U8)
    pred = np.array([[255, 0, 0]], U8)
    assert M.connectivity_error(pred, gt) == pytest.approx(0.001)


def test_connectivity_error_with_no_common_component():
    # pred all 0: no component at 0.1, every pixel gets l = 0. d_gt = [1, 0.2] (both >= 0.15)
    # -> phi_gt = [0, 0.8]; phi_pred = [1, 1]. Conn = (1 + 0.2) / 1000.
    gt = np.array([[255, 51]], U8)
    assert M.connectivity_error(np.zeros_like(gt), gt) == pytest.approx(0.0012)


def test_connectivity_uses_4_connectivity():
    # pred = [[1, 1, 0], [0, 0, 1]], gt the same but 166 (0.651) at (1, 2), diagonal to (0, 1).
    # 4-connected: the largest common component is A = {(0,0), (0,1)} at every threshold, so
    # (1, 2) gets l = 0: phi_pred = 1 - 1 = 0, phi_gt = 1 - 166/255 -> Conn = (89/255) / 1000.
    # (8-connected, (1, 2) would join A until 0.6: l = 0.6, phi_pred = 0.6, phi_gt = 1 -> 0.4.)
    pred = np.array([[255, 255, 0], [0, 0, 255]], U8)
    gt = np.array([[255, 255, 0], [0, 0, 166]], U8)
    assert M.connectivity_error(pred, gt) == pytest.approx(89 / 255 / 1000)


def test_connectivity_breaks_ties_in_column_major_order_like_matlab():
    # Two single-pixel components X = (0, 2) (pred 1, gt 166) and Y = (1, 0) (both 1). Row-major
    # X comes first, column-major (MATLAB's bwconncomp) Y does. Y kept: X gets l = 0 ->
    # |0 - (1 - 166/255)| = 89/255. (X kept until 0.6, Y would get l = 0 and X l = 0.6 -> 0.4.)
    pred = np.array([[0, 0, 255], [255, 0, 0]], U8)
    gt = np.array([[0, 0, 166], [255, 0, 0]], U8)
    assert M.connectivity_error(pred, gt) == pytest.approx(89 / 255 / 1000)
    assert M.connectivity_error(pred.T, gt.T) == pytest.approx(0.4 / 1000)  # now X is first


def test_connectivity_unknown_region_counts_only_its_pixels():
    gt = np.array([[255, 0, 255]], U8)
    pred = np.array([[255, 0, 0]], U8)
    assert M.connectivity_error(pred, gt, np.array([[128, 128, 0]], U8)) == 0
    assert M.connectivity_error(pred, gt, np.array([[0, 0, 128]], U8)) == pytest.approx(0.001)


def test_clip_errors_are_frame_means():
    # frame 0 perfect, frame 1 off by 51 at one of 2 pixels: SAD (0 + 0.2/1000) / 2, MSE
    # (0 + 0.04/2 x 1000) / 2 = 10.
    gt = np.zeros((2, 1, 2), U8)
    pred = gt.copy()
    pred[1, 0, 0] = 51
    errors = M.matting_errors(pred, gt)["whole"]
    assert errors["sad"] == pytest.approx(0.0001)
    assert errors["mse"] == pytest.approx(10.0)


def test_dtssd_and_messddt_by_hand():
    # gt static 0; pred 0 then [0.2, 0]: one frame pair, derivative difference [0.2, 0].
    # dtSSD = sqrt((0.04 + 0) / 2) x 100 = 14.1421...; MESSDdt (zero flow on a static gt):
    # |e_0 - e_1| = [0.04, 0] summed / 2 pixels of frame 0 = 0.02 x 10^4 = 200.
    gt = np.zeros((2, 1, 2), U8)
    pred = gt.copy()
    pred[1, 0, 0] = 51
    assert C.dtssd(pred, gt) == pytest.approx(100 * math.sqrt(0.02))
    assert C.messddt(pred, gt) == pytest.approx(200.0)
    # region of the earlier frame only: pixel (0, 0) unknown in frame 0 -> sqrt(0.04 / 1) x 100
    trimap = np.array([[[128, 0]], [[0, 0]]], U8)
    assert C.dtssd(pred, gt, trimap) == pytest.approx(20.0)
    assert C.messddt(pred, gt, trimap) == pytest.approx(0.0)  # e_1 is outside frame 1's region
    assert C.dtssd(pred[:1], gt[:1]) == 0 and C.messddt(pred[:1], gt[:1]) == 0


def test_temporal_errors_ignore_an_error_constant_in_time():
    # (64 x 64: Farneback's 5-level pyramid needs some room; on a static gt its flow is 0)
    gt = np.zeros((3, 64, 64), U8)
    gt[:, 20:30, 20:30] = 255
    biased = np.where(gt == 0, 40, 255).astype(U8)  # the same wrong background in every frame
    assert M.sad(biased, gt) > 0
    assert C.dtssd(biased, gt) == 0 and C.messddt(biased, gt) == 0


def test_messddt_follows_the_ground_truth_motion_and_dtssd_does_not():
    # a 10 x 10 square moving 3 px right per frame; pred misses one pixel that moves with it.
    # MESSDdt compares e_t(x) with e_t+1(x + 3): the same error -> 0. dtSSD sees the error
    # leave one pixel and appear at another in each pair: sqrt(2 / 4096) x 100, every pair.
    gt = np.zeros((3, 64, 64), U8)
    pred = gt.copy()
    for t in range(3):
        gt[t, 20:30, 20 + 3 * t:30 + 3 * t] = 255
        pred[t] = gt[t]
        pred[t, 25, 24 + 3 * t] = 0
    assert C.messddt(pred, gt) == 0
    assert C.dtssd(pred, gt) == pytest.approx(100 * math.sqrt(2 / 4096))


def test_hungarian_matching_finds_the_permutation_and_index_keeps_order():
    gts = [np.zeros((6, 6), U8) for _ in range(3)]
    for k, gt in enumerate(gts):
        gt[k * 2:k * 2 + 2, :] = 255
    preds = [gts[2], gts[0], gts[1]]
    assert MA.match_instances(preds, gts, "hungarian") == [1, 2, 0]
    assert MA.match_instances(preds, gts, "index") == [0, 1, 2]
    paired = MA.matched_predictions(preds, gts, [1, 2, 0])
    assert all(M.sad(p, g) == 0 for p, g in zip(paired, gts))


def test_unmatched_instance_is_scored_against_zeros_and_extra_predictions_ignored():
    gts = [np.zeros((4, 4), U8), np.zeros((4, 4), U8)]
    gts[0][0, :] = 255
    gts[1][3, :2] = 255
    # one prediction for two instances: instance 1 has none -> all-zero, SAD = 2 pixels / 1000
    assignment = MA.match_instances([gts[0]], gts, "hungarian")
    assert assignment == [0, None]
    paired = MA.matched_predictions([gts[0]], gts, assignment)
    assert M.sad(paired[1], gts[1]) == pytest.approx(2 / 1000)
    assert MA.match_instances([gts[0]], gts, "index") == [0, None]
    # three predictions for two instances: the two right ones are used, the blank ignored
    assert MA.match_instances([np.zeros((4, 4), U8), gts[1], gts[0]], gts, "hungarian") == [2, 1]
    assert MA.match_instances([], gts, "hungarian") == [None, None]


def test_hungarian_matches_clips_over_all_frames():
    a = np.zeros((3, 4, 4), U8)
    a[:, 0] = 255
    b = np.zeros((3, 4, 4), U8)
    b[:, 3] = 255
    assert MA.match_instances([b, a], [a, b], "hungarian") == [1, 0]


def test_bad_inputs_are_refused():
    gt = np.zeros((3, 3), U8)
    with pytest.raises(ValueError, match="share one shape"):
        M.sad(np.zeros((3, 4), U8), gt)
    with pytest.raises(ValueError, match=r"pred: float values must lie in \[0, 1\]"):
        M.sad(np.full((3, 3), 2.0), gt)
    with pytest.raises(ValueError, match="expected uint8"):
        M.sad(np.zeros((3, 3), np.int16), gt)
    with pytest.raises(ValueError, match="trimap"):
        M.sad(gt, gt, np.zeros((2, 2), U8))
    with pytest.raises(ValueError, match=r"clips of shape \(T, H, W\)"):
        C.dtssd(gt, gt)
    with pytest.raises(ValueError, match="unknown matching"):
        MA.match_instances([gt], [gt], "greedy")

"""``--protocol maggie`` against MaGGIe's released evaluation (hmchuong/MaGGIe commit 62344dd:
``maggie/engine/test.py``, ``maggie/utils/metric.py``, ``maggie/dataloader/him.py``), on
hand-made cases. Where each expected number comes from is written beside it: worked out by
hand from the released formulas, or computed here with torch the way the released code
computes it (``F.conv2d`` with zero padding, ``torch.take`` on flattened frames), which is
independent of mattehub's numpy/scipy implementation."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from mattehub.analysis import metrics as M
from mattehub.evaluation.cases import Case, Pair
from mattehub.evaluation.protocols import maggie_video as video
from mattehub.evaluation.protocols.dim import DimProtocol
from mattehub.evaluation.protocols.maggie import MaggieProtocol

U8 = np.uint8
MAGGIE = MaggieProtocol()


def image_case(gts, preds, key="a", guidance=None) -> tuple[Case, list[Pair]]:
    case = Case(key, "instances", list(gts), list(range(len(gts))), len(gts), guidance=guidance)
    return case, [Pair(k, k, g, p) for k, (g, p) in enumerate(zip(gts, preds))]


def clip_case(gt, pred, key="c") -> tuple[Case, list[Pair]]:
    return Case(key, "clip", [gt], [0], 1), [Pair(0, 0, gt, pred)]


def means(kind: str, *scored: tuple[Case, list[Pair]]) -> dict:
    records = [MAGGIE.score(case, pairs, None) for case, pairs in scored]
    return MAGGIE.summarise(kind, records).means


def test_snapping_and_mse_mad_scaling_follow_the_released_formulas():
    gt = np.zeros((10, 20), U8)
    gt[2:6, 3:9] = 255
    pred = gt.copy()
    pred[0, 0], pred[0, 1] = 1, 2        # 1/255 snaps to 0; 2/255 stays
    pred[2, 3], pred[2, 4] = 254, 253    # 254/255 snaps to 1; 253/255 stays
    result = means("instances", image_case([gt], [pred]))["whole"]
    count = 1 + 1e-6                      # Metric.average(): score / (count + 1e-6)
    # SAD: the two unsnapped errors, 2/255 each, x 1e-3 (SAD.compute_metric)
    assert result["sad"] == pytest.approx(4 / 255 * 1e-3 / count, rel=1e-6)
    # MSE: mean over the 200 pixels, divided by the region's 200 pixels + 1e-6, x 1e10
    assert result["mse"] == pytest.approx(2 * (2 / 255) ** 2 / 200 / (200 + 1e-6) * 1e10 / count, rel=1e-5)
    assert result["mad"] == pytest.approx(4 / 255 / 200 / (200 + 1e-6) * 1e10 / count, rel=1e-5)
    # ... = mattehub's per-pixel MSE/MAD (x 1000) of the snapped prediction x 1e7 / (H W)
    snapped = pred.copy()
    snapped[0, 0], snapped[2, 3] = 0, 255
    assert result["mse"] == pytest.approx(M.mse(snapped, gt) * 1e7 / 200, rel=1e-5)
    # mattehub's dim protocol scores the file as written: all four errors count
    assert M.sad(pred, gt) == pytest.approx(6 / 255 * 1e-3)


def _torch_grad(preds: np.ndarray, gts: np.ndarray) -> float:
    """Grad.compute_grad of the released code: a 9 x 9 kernel gaussian(i - 4) * dgaussian(j - 4)
    (sigma 1.4) of unit norm, joint min-max normalisation with + 1e-6, conv2d padding 4."""
    torch = pytest.importorskip("torch")
    sigma, half = 1.4, 4
    u = np.arange(-half, half + 1)
    gauss = np.exp(-u ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi))
    kernel = np.outer(gauss, -u * gauss / sigma ** 2)
    kernel /= np.sqrt((kernel ** 2).sum())
    fx = torch.tensor(kernel, dtype=torch.float32)[None, None]
    fy = torch.tensor(kernel.T.copy(), dtype=torch.float32)[None, None]

    def magnitude(batch):
        x = torch.from_numpy(batch).float().unsqueeze(1)
        x = (x - x.min()) / (x.max() - x.min() + 1e-6)
        gx = torch.nn.functional.conv2d(x, fx, padding=half)
        gy = torch.nn.functional.conv2d(x, fy, padding=half)
        return torch.sqrt(gx ** 2 + gy ** 2)

    return float(((magnitude(gts) - magnitude(preds)) ** 2).sum()) * 1e-3


def test_grad_is_zero_padded_and_normalised_jointly_over_the_image_instances():
    # instance 0 touches the border (zero padding makes an edge there); instance 1 peaks at
    # 128, so a joint min-max differs from each matte's own
    g0 = np.zeros((20, 20), U8)
    g0[:10] = 255
    g1 = np.zeros((20, 20), U8)
    g1[12:16, 4:9] = 128
    p0 = cv2.GaussianBlur(g0, (5, 5), 1.5)
    p1 = cv2.GaussianBlur(g1, (5, 5), 1.5)
    result = means("instances", image_case([g0, g1], [p0, p1]))["whole"]["grad"]
    unit = [x.astype(np.float32) / np.float32(255) for x in (p0, p1, g0, g1)]
    expected = _torch_grad(np.stack(unit[:2]), np.stack(unit[2:])) / (2 + 1e-6)
    assert result == pytest.approx(expected, rel=1e-4)
    dim = np.mean([M.gradient_error(p, g) for p, g in ((p0, g0), (p1, g1))])
    assert abs(result - dim) > 0.01 * dim  # the quirk matters on this case


def test_conn_breaks_ties_in_row_major_order():
    # Two one-pixel components of equal size at every threshold up to 0.6: top-right (first in
    # row-major order, skimage / MaGGIe) and bottom-left (first in column-major order, MATLAB).
    gt = np.zeros((4, 4), U8)
    gt[0, 3] = gt[3, 0] = 255
    pred = gt.copy()
    pred[3, 0] = 166  # 0.651: leaves the intersection at 0.7
    # row-major: bottom-left never in the component -> l = 0, phi_g = 0, phi_p = 1 - 0.651
    expected = (1 - 166 / 255) * 1e-3 / (1 + 1e-6)
    assert means("instances", image_case([gt], [pred]))["whole"]["conn"] == pytest.approx(expected, rel=1e-6)
    # column-major (dim): bottom-left kept up to 0.6 -> l = 0.6, phi_g = 0.6, phi_p = 1: 0.4
    assert M.connectivity_error(pred, gt) == pytest.approx(0.4e-3)


def test_mad_per_region_uses_the_him_eval_trimap():
    from mattehub.synthesis.trimap import trimap

    gt = np.zeros((80, 80), U8)
    gt[20:60, 20:60] = 255
    pred = gt.copy()
    pred[0, 0] = 128   # background, far from the band (12 px each side of the edge)
    pred[40, 40] = 0   # foreground, inside it
    regions = means("instances", image_case([gt], [pred]))
    t = trimap(gt, "him-eval")  # 2 where alpha > 0.5, 1 on dilate - erode (25 x 25 ellipse)
    fg, bg = int((t == 255).sum()), int((t == 0).sum())
    assert fg and bg
    # MAD_bg / MAD_fg: mean over all 6400 pixels of the masked error / (region pixels + 1e-6) x 1e10
    assert regions["bg"]["mad"] == pytest.approx(128 / 255 / 6400 / (bg + 1e-6) * 1e10 / (1 + 1e-6), rel=1e-5)
    assert regions["fg"]["mad"] == pytest.approx(1 / 6400 / (fg + 1e-6) * 1e10 / (1 + 1e-6), rel=1e-5)
    assert regions["unknown"]["mad"] == 0


def test_eval_video_windows_are_replayed_on_frame_numbers():
    # clip_length 3, overlap 2: windows start at 0..T-3. Worked by hand from eval_video for
    # T = 6: frame metrics on [0], [1], [2], then [3, 4, 5]; temporal on [0, 1], [1, 2] and
    # the last window on [2, 3, 4, 5].
    got = video.calls(6, lambda window: False)
    assert [c[0][0] for c in got] == [[0], [1], [2], [3, 4, 5]]
    assert [None if p is None else p[0] + c[0] for c, p in got] == [None, [0, 1], [1, 2], [2, 3, 4, 5]]
    # every frame scored once for any length >= 5
    for length in (5, 9, 30):
        frames = [t for current, _ in video.calls(length, lambda w: False) for t in current[0]]
        assert frames == list(range(length))
    with pytest.raises(video.Unscorable):
        video.calls(4, lambda window: False)


def test_clip_means_weight_every_frame_and_instance():
    # clip A: 6 frames, 1 wrong pixel each (SAD 1e-3 per frame); clip B: 12 frames, 3 each.
    def clip(frames: int, wrong: int):
        gt = np.zeros((frames, 8, 8), U8)
        gt[:, 2:6, 2:6] = 255
        pred = gt.copy()
        pred[:, 2, 2:2 + wrong] = 0
        return clip_case(gt, pred, f"clip{frames}")
    a, b = clip(6, 1), clip(12, 3)
    # MaGGIe: (6 x 1 + 12 x 3) e-3 over 18 frame maps (+ 1e-6); mattehub dim: (1 + 3) / 2 e-3
    assert means("clip", a, b)["whole"]["sad"] == pytest.approx(42e-3 / (18 + 1e-6), rel=1e-6)
    dim = DimProtocol()
    records = [dim.score(case, pairs, None) for case, pairs in (a, b)]
    assert dim.summarise("clip", records).means["whole"]["sad"] == pytest.approx(2e-3)


def _moving_clip(frames=6, height=24, width=32):
    gt = np.zeros((frames, height, width), U8)
    pred = np.zeros_like(gt)
    for t in range(frames):
        gt[t, 6:16, 4 + 2 * t:14 + 2 * t] = 255
        pred[t] = np.roll(gt[t], 1 if t % 2 else 0, axis=1)
        pred[t, 8, 8 + t] = 100
    return gt, pred


def _torch_messddt(pred: np.ndarray, gt: np.ndarray) -> float:
    """MESSDdt.compute_single_video of the released code for one instance (F, H, W) float32."""
    torch = pytest.importorskip("torch")
    flows = [cv2.calcOpticalFlowFarneback((gt[t] * 255).astype(U8), (gt[t + 1] * 255).astype(U8), None,
                                          0.5, 5, 10, 2, 7, 1.5, cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
             for t in range(len(gt) - 1)]
    flow = torch.from_numpy(np.rint(np.array(flows)).astype(np.int64))
    p, g = torch.from_numpy(pred), torch.from_numpy(gt)
    n, h, w = p[:-1].shape
    rows, cols = torch.meshgrid([torch.arange(0, h), torch.arange(0, w)], indexing="ij")
    coords = torch.stack([cols, rows], dim=2).unsqueeze(0).repeat((n, 1, 1, 1)) + flow
    index = coords[..., 0].clamp(0, h - 1) * w + coords[..., 1].clamp(0, w - 1)
    warped = (torch.take(p[1:], index) - torch.take(g[1:], index)) ** 2
    error = ((p[:-1] - g[:-1]) ** 2 - warped).abs().view(n, -1).sum(dim=1)
    return float(error.sum()) / float(n * (h * w + 1)) * 1e4


def test_dtssd_and_messddt_as_the_released_code_computes_them():
    gt, pred = _moving_clip()
    result = means("clip", clip_case(gt, pred))["whole"]
    p = pred.astype(np.float32) / np.float32(255)
    g = gt.astype(np.float32) / np.float32(255)
    updates = [[0, 1], [1, 2], [2, 3, 4, 5]]  # the temporal windows of a 6-frame clip (above)
    # dtSSD.update: sqrt(sum over the window's pairs and pixels) x 0.1, one count per update
    dtssd = [math.sqrt(float(((np.diff(p[u], axis=0) - np.diff(g[u], axis=0)).astype(np.float64) ** 2).sum()))
             * 0.1 for u in updates]
    assert result["dtssd"] == pytest.approx(sum(dtssd) / (3 + 1e-6), rel=1e-5)
    messddt = [_torch_messddt(p[u], g[u]) for u in updates]
    assert result["messddt"] == pytest.approx(sum(messddt) / (3 + 1e-6), rel=1e-4)


def test_ten_instance_cap_draws_per_loader_worker_with_seed_2023():
    gts = [np.full((4, 4), k, U8) for k in range(12)]
    cases = [Case(f"img{i}", "instances", list(gts), list(range(12)), 12) for i in range(6)]
    cases.insert(2, Case("few", "instances", gts[:3], [0, 1, 2], 3))
    kept = {case.key: case.ids for case in MAGGIE.prepare(iter(cases))}
    # HIMDataset(random_seed=2023).random.choice(alphas, 10, replace=False), one generator per
    # DataLoader worker (test.num_workers: 4); image i of the split goes to worker i % 4.
    first = sorted(np.random.RandomState(2023).choice(12, 10, replace=False).tolist())
    stream = np.random.RandomState(2023)
    stream.choice(12, 10, replace=False)
    second = sorted(stream.choice(12, 10, replace=False).tolist())
    assert kept["few"] == [0, 1, 2]
    # order: img0 (worker 0), img1 (1), few (2), img2 (3), img3 (0: its 2nd draw), img4 (1)...
    assert kept["img0"] == kept["img1"] == kept["img2"] == first
    assert kept["img3"] == kept["img4"] == second and first != second


def test_images_with_empty_guidance_are_skipped_as_maggie_does():
    gt = np.zeros((576, 576), U8)
    gt[100:200, 100:200] = 255
    pred = np.zeros_like(gt)

    def mask_at(row: int, col: int) -> np.ndarray:
        mask = np.zeros_like(gt)
        mask[row, col] = 255
        return mask

    # short side 576: no resize; masks are downsampled 1/8 by nearest: (3, 3) vanishes
    records = [MAGGIE.score(*image_case([gt], [pred], key, guidance=[mask]), None)
               for key, mask in (("empty", np.zeros_like(gt)), ("lost", mask_at(3, 3)),
                                 ("kept", mask_at(8, 8)))]
    assert [bool(r["skipped"]) for r in records] == [True, True, False]
    summary = MAGGIE.summarise("instances", records)
    assert summary.counts["skipped_samples"] == 2 and summary.counts["maps"] == 1
    assert summary.means["whole"]["sad"] == pytest.approx(10000 / 1000 / (1 + 1e-6))

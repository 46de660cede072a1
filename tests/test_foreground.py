"""Foreground re-estimation (``mattehub.estimate_foreground``): lower re-composition error than
the raw foreground on composites with a known truth (both methods), "lsa" equal to a plain
per-iteration numpy transcription of the energy written here, exact fixed points, all-zero alpha,
channel independence and the refusals."""
from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from mattehub.synthesis import foreground
from mattehub.core.errors import BuildError
from mattehub.synthesis.foreground import estimate_foreground

METHODS = ("lsa", "ml")


def smooth_colours(rng: np.random.Generator, shape: tuple[int, int], cells: int = 4) -> np.ndarray:
    """A smooth float (H, W, 3) colour field in [0, 1]."""
    h, w = shape
    small = rng.random((cells, cells, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1).astype(np.float64)


def composite_case(seed: int, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """True F (smooth), a soft-edged noisy disc alpha, raw fg = a F + (1-a) B0, a new bg B."""
    rng = np.random.default_rng(seed)
    h, w = shape
    F = smooth_colours(rng, shape)
    yy, xx = np.mgrid[:h, :w]
    a = np.clip((min(h, w) * 0.35 - np.hypot(yy - h / 2, xx - w / 2)) / 8 + 0.5, 0, 1)
    a = np.clip(a + 0.3 * (rng.random(shape) - 0.5) * ((a > 0) & (a < 1)), 0, 1)
    alpha = np.rint(a * 255).astype(np.uint8)
    a = alpha[..., None] / 255.0
    raw = np.rint((a * F + (1 - a) * rng.random((h, w, 3))) * 255).astype(np.uint8)
    return {"F": F, "alpha": alpha, "raw": raw, "B": rng.random((h, w, 3))}


def recomposition_error(case: dict[str, np.ndarray], fg: np.ndarray) -> float:
    """Mean |a fg + (1-a) B - (a F + (1-a) B)| over alpha > 0, fg uint8."""
    a = case["alpha"][..., None] / 255.0
    truth = a * case["F"] + (1 - a) * case["B"]
    recomposed = a * (fg / 255.0) + (1 - a) * case["B"]
    return float(np.abs(recomposed - truth)[case["alpha"] > 0].mean())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed, shape", [(0, (90, 120)), (1, (41, 67)), (2, (75, 50))])
def test_reestimate_lowers_recomposition_error(method, seed, shape):
    case = composite_case(seed, shape)
    estimate = estimate_foreground(case["raw"], case["alpha"], method)
    assert estimate.dtype == np.uint8 and estimate.shape == case["raw"].shape
    raw_error = recomposition_error(case, case["raw"])
    assert recomposition_error(case, estimate) < 0.85 * raw_error
    region = case["alpha"] > 0
    assert (np.abs(estimate / 255.0 - case["F"])[region].mean()
            < 0.7 * np.abs(case["raw"] / 255.0 - case["F"])[region].mean())


def reference_lsa(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The energy's Jacobi iterations written plainly in float64: np.pad "reflect" for borders,
    6 scales of size max(1, n >> s) (cv2 INTER_AREA), 20 * 2^s iterations, INTER_LINEAR up."""
    fg, a = image / 255.0, alpha / 255.0
    h, w = alpha.shape
    F = None
    for s in range(5, -1, -1):
        size = (max(1, w >> s), max(1, h >> s))
        down = (lambda x: x) if s == 0 else (lambda x: cv2.resize(
            x.astype(np.float32), size, interpolation=cv2.INTER_AREA).astype(np.float64))
        fg_s = down(fg).reshape(size[1], size[0], 3)
        a_s = down(a).reshape(size[1], size[0])
        F = fg_s.copy() if F is None else cv2.resize(
            F.astype(np.float32), size, interpolation=cv2.INTER_LINEAR).reshape(fg_s.shape).astype(np.float64)
        for _ in range(20 << s):
            F = reference_jacobi_step(F, fg_s, a_s)
    return np.rint(np.clip(F, 0, 1) * 255).astype(np.uint8)


def reference_jacobi_step(F: np.ndarray, fg: np.ndarray, a: np.ndarray) -> np.ndarray:
    """F_i <- (a_i^2 fg_i + sum_j w_ij F_j) / (a_i^2 + sum_j w_ij), w_ij = (1-a_i)^2 + (1-a_j)^2."""
    ap = np.pad(a, 1, mode="reflect")
    Fp = np.pad(F, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    numerator = a[..., None] ** 2 * fg
    denominator = a ** 2
    for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        rows, cols = slice(1 + dy, ap.shape[0] - 1 + dy), slice(1 + dx, ap.shape[1] - 1 + dx)
        weight = (1 - a) ** 2 + (1 - ap[rows, cols]) ** 2
        numerator = numerator + weight[..., None] * Fp[rows, cols]
        denominator = denominator + weight
    return numerator / denominator[..., None]


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (6, 1), (2, 2), (5, 3), (33, 47), (70, 129)])
@pytest.mark.parametrize("block", [None, 150])
def test_lsa_equals_plain_jacobi_transcription(shape, block, monkeypatch):
    """Also with small sweep blocks, so that whole opaque blocks take the fixed-pixel path."""
    if block:
        monkeypatch.setattr(foreground, "_CHUNK", block)
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    alpha = rng.integers(0, 256, shape, dtype=np.uint8)
    alpha[rng.random(shape) < 0.3] = 0
    alpha[rng.random(shape) < 0.3] = 255
    alpha[: shape[0] // 2] = 255  # opaque rows: fixed pixels
    if not alpha.any():
        alpha[0, 0] = 1
    difference = np.abs(estimate_foreground(image, alpha, "lsa").astype(int) - reference_lsa(image, alpha))
    assert difference.max() <= 1  # float32 against float64 rounding at .5
    assert difference.mean() < 0.01


def test_lsa_long_transparent_run_depends_on_every_scale():
    """A 3 x 2048 strip, opaque only at its left end: the far right is reached only through
    the coarse scales, so a missing scale or another start changes it."""
    x = np.linspace(0, 1, 2048)
    image = np.rint(np.stack([x, 1 - x, (7 * x) % 1], -1)[None].repeat(3, 0) * 255).astype(np.uint8)
    alpha = np.zeros((3, 2048), np.uint8)
    alpha[:, :40] = 255
    alpha[:, 40:60] = 128
    difference = np.abs(estimate_foreground(image, alpha, "lsa").astype(int) - reference_lsa(image, alpha))
    assert difference.max() <= 1


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (4, 3), (7, 9), (64, 70)])
def test_lsa_opaque_alpha_returns_the_image_exactly(shape):
    image = np.random.default_rng(3).integers(0, 256, shape + (3,), dtype=np.uint8)
    result = estimate_foreground(image, np.full(shape, 255, np.uint8), "lsa")
    np.testing.assert_array_equal(result, image)


def test_lsa_stays_within_the_image_colours():
    """Each update is a convex combination of fg and neighbours: no overshoot."""
    case = composite_case(4, (60, 80))
    result = estimate_foreground(case["raw"], case["alpha"], "lsa")
    for ch in range(3):
        assert case["raw"][..., ch].min() <= result[..., ch].min()
        assert result[..., ch].max() <= case["raw"][..., ch].max()


@pytest.mark.parametrize("method", METHODS)
def test_all_zero_alpha_returns_the_input(method):
    image = np.random.default_rng(5).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    result = estimate_foreground(image, np.zeros((17, 23), np.uint8), method)
    np.testing.assert_array_equal(result, image)
    assert result is not image and not np.shares_memory(result, image)


@pytest.mark.parametrize("method", METHODS)
def test_nearly_zero_alpha_gives_no_nan(method):
    image = np.random.default_rng(6).integers(0, 256, (31, 40, 3), dtype=np.uint8)
    alpha = np.zeros((31, 40), np.uint8)
    alpha[30, 39] = 1
    with np.errstate(all="raise"):
        result = estimate_foreground(image, alpha, method)
    assert result.dtype == np.uint8 and result.shape == image.shape


@pytest.mark.parametrize("method", METHODS)
def test_channels_are_independent(method):
    case = composite_case(7, (40, 52))
    rgb = estimate_foreground(case["raw"], case["alpha"], method)
    bgr = estimate_foreground(np.ascontiguousarray(case["raw"][..., ::-1]), case["alpha"], method)
    np.testing.assert_array_equal(bgr[..., ::-1], rgb)


def test_ml_is_pymattings_estimate():
    pymatting = pytest.importorskip("pymatting")
    case = composite_case(8, (33, 45))
    expected = pymatting.estimate_foreground_ml(case["raw"] / 255.0, case["alpha"] / 255.0)
    expected = np.rint(np.clip(expected, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(estimate_foreground(case["raw"], case["alpha"], "ml"), expected)


def test_ml_without_pymatting_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymatting", None)  # makes "import pymatting" fail
    image = np.zeros((4, 4, 3), np.uint8)
    alpha = np.full((4, 4), 200, np.uint8)
    with pytest.raises(ImportError, match=r"pip install 'mattehub\[foreground\]'") as err:
        estimate_foreground(image, alpha, "ml")
    assert isinstance(err.value, BuildError)
    assert estimate_foreground(image, alpha, "lsa").shape == (4, 4, 3)  # lsa needs no extra


@pytest.mark.parametrize("image, alpha, message", [
    (np.zeros((4, 5), np.uint8), np.zeros((4, 5), np.uint8), r"image must have shape \(H, W, 3\)"),
    (np.zeros((4, 5, 4), np.uint8), np.zeros((4, 5), np.uint8), r"image must have shape \(H, W, 3\)"),
    (np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5, 3), np.uint8), r"alpha must have shape \(H, W\)"),
    (np.zeros((4, 5, 3), np.uint8), np.zeros((5, 4), np.uint8), r"alpha shape \(5, 4\) does not match"),
    (np.zeros((4, 5, 3), np.float32), np.zeros((4, 5), np.uint8), "image must be uint8"),
    (np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5), np.uint16), "alpha must be uint8"),
    (np.zeros((0, 5, 3), np.uint8), np.zeros((0, 5), np.uint8), r"image must have shape \(H, W, 3\)"),
    ([[[0, 0, 0]]], np.zeros((1, 1), np.uint8), "image must be a numpy uint8 array"),
])
def test_refuses_bad_shapes(image, alpha, message):
    for method in METHODS:
        with pytest.raises(ValueError, match=message):
            estimate_foreground(image, alpha, method)


def test_refuses_unknown_method():
    with pytest.raises(ValueError, match="unknown foreground method 'knn'"):
        estimate_foreground(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2), np.uint8), "knn")

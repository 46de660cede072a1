"""Trimaps (``mattehub.synthesis.trimap``): every kind against its definition computed here directly with
OpenCV on float alphas (binary, soft, noise; odd and non-square sizes), the random kind's seeding,
``trimap_seed`` stability across processes, and the refusals."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mattehub.synthesis.trimap import KINDS, RANDOM_KERNEL_SIZES, random_kernel_size, trimap, trimap_seed

SHAPES = [(1, 1), (7, 3), (37, 53), (83, 250), (121, 61)]


def soft_alpha(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Smooth blobs with soft edges, and exact 127/128 values sprinkled in (the threshold)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    field = cv2.resize(rng.random((max(1, h // 8), max(1, w // 8))).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_CUBIC).reshape(h, w)
    alpha = np.clip((field - 0.5) * 4 + 0.5, 0, 1)
    out = np.rint(alpha * 255).astype(np.uint8)
    out[rng.random(shape) < 0.02] = 127
    out[rng.random(shape) < 0.02] = 128
    return out


def alphas(shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Binary, soft and noise alphas of one shape."""
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    soft = soft_alpha(shape, shape[0] + shape[1])
    return {"soft": soft, "binary": np.where(soft >= 128, 255, 0).astype(np.uint8),
            "noise": rng.integers(0, 256, shape, dtype=np.uint8)}


def direct_band(alpha: np.ndarray, size: int) -> np.ndarray:
    """The evaluation convention on a = alpha / 255 in float: 2 where a > 0.5, 1 on the band."""
    a = alpha.astype(np.float32) / 255.0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    band = (cv2.dilate(a, kernel, iterations=1) - cv2.erode(a, kernel, iterations=1)) > 0
    expected = np.zeros(alpha.shape, np.uint8)
    expected[a > 0.5] = 255
    expected[band] = 128
    return expected


def direct_duts(alpha: np.ndarray) -> np.ndarray:
    """DUTS: kernel of ones (H/40, W/40) rows x cols, (erode + dilate) / 2 of the binary mask."""
    h, w = alpha.shape
    kernel = np.ones((max(1, h // 40), max(1, w // 40)), np.float32)
    mask = (alpha >= 128).astype(np.float32)
    half = (cv2.erode(mask, kernel) + cv2.dilate(mask, kernel)) / 2.0
    return np.select([half == 0.0, half == 0.5, half == 1.0], [0, 128, 255], -1).astype(np.int64)


def assert_trimap(result: np.ndarray, shape: tuple[int, int]) -> None:
    assert result.dtype == np.uint8 and result.shape == shape
    assert set(np.unique(result)) <= {0, 128, 255}


@pytest.mark.parametrize("shape", SHAPES)
def test_him_eval_is_the_float_definition(shape):
    for name, alpha in alphas(shape).items():
        result = trimap(alpha)
        assert_trimap(result, shape)
        np.testing.assert_array_equal(result, direct_band(alpha, 25), err_msg=f"{name} {shape}")


def test_him_eval_band_overrides_foreground():
    alpha = np.zeros((61, 61), np.uint8)
    alpha[20:41, 20:41] = 255
    result = trimap(alpha, "him-eval")
    assert result[20, 30] == 128 and alpha[20, 30] == 255  # opaque, but on the band
    assert result[30, 30] == 128  # 10 px from the edge, within the 25x25 ellipse's reach
    assert result[0, 0] == 0 and result[60, 60] == 0
    big = np.zeros((101, 101), np.uint8)
    big[10:91, 10:91] = 255
    assert trimap(big)[50, 50] == 255


@pytest.mark.parametrize("kind", ["him-eval", "random", "duts"])
def test_foreground_threshold_is_alpha_128(kind):
    """A uniform matte has no band: 128 / 255 > 0.5 is foreground, 127 / 255 is not."""
    for value, expected in ((127, 0), (128, 255), (0, 0), (255, 255)):
        result = trimap(np.full((45, 47), value, np.uint8), kind, seed=1)
        assert (result == expected).all(), (kind, value)


@pytest.mark.parametrize("shape", SHAPES)
def test_duts_is_erode_plus_dilate(shape):
    for name, alpha in alphas(shape).items():
        result = trimap(alpha, "duts")
        assert_trimap(result, shape)
        np.testing.assert_array_equal(result, direct_duts(alpha), err_msg=f"{name} {shape}")


def test_duts_kernel_is_rows_by_columns():
    """(83, 250): kernel 2 rows x 6 cols, so the band is cols - 1 = 5 wide across a vertical edge
    and rows - 1 = 1 high across a horizontal one; a (6, 2) kernel would swap the two."""
    alpha = np.zeros((83, 250), np.uint8)
    alpha[40:, 100:] = 255
    result = trimap(alpha, "duts")
    np.testing.assert_array_equal(result, direct_duts(alpha))
    assert (result[60] == 128).sum() == 5
    assert (result[:, 200] == 128).sum() == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_random_is_the_band_with_the_seeded_kernel(shape):
    for seed in (0, 1, 2, 12345):
        size = random_kernel_size(seed)
        assert size in range(5, 42, 2)
        for name, alpha in alphas(shape).items():
            result = trimap(alpha, "random", seed=seed)
            assert_trimap(result, shape)
            np.testing.assert_array_equal(result, direct_band(alpha, size), err_msg=f"{name} {seed}")


def test_random_same_seed_same_trimap_and_seeds_change_width():
    alpha = np.zeros((151, 151), np.uint8)
    cv2.circle(alpha, (75, 75), 40, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.0)
    np.testing.assert_array_equal(trimap(alpha, "random", seed=7), trimap(alpha, "random", seed=7))
    sizes = {seed: random_kernel_size(seed) for seed in range(200)}
    bands = {seed: int((trimap(alpha, "random", seed=seed) == 128).sum()) for seed in range(200)}
    assert len(set(bands.values())) >= 15  # many different band widths
    by_size = sorted((sizes[s], bands[s]) for s in sizes)
    assert all(b1 <= b2 for (k1, b1), (k2, b2) in zip(by_size, by_size[1:]))  # wider kernel, wider band
    a, b = next((s, t) for s in range(200) for t in range(200) if sizes[s] < sizes[t])
    assert bands[a] < bands[b]


def test_random_kernel_sizes_are_uniform_over_odd_5_to_41():
    assert RANDOM_KERNEL_SIZES == tuple(range(5, 42, 2))
    counts = np.bincount([random_kernel_size(seed) for seed in range(19 * 400)], minlength=42)
    odd = counts[5:42:2]
    assert counts.sum() == odd.sum()  # only odd sizes in [5, 41]
    assert odd.min() > 300 and odd.max() < 500  # 400 expected each


def test_trimap_seed_is_stable_across_processes():
    first = trimap_seed("aim", 3, 17)
    assert first == trimap_seed("aim", 3, 17)
    assert isinstance(first, int) and 0 <= first < 2**32
    code = "from mattehub.synthesis.trimap import trimap_seed; print(trimap_seed('aim', 3, 17))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "random"}, cwd="/")
    assert int(other.stdout) == first
    variants = {trimap_seed("aim", 3, 18), trimap_seed("aim", 4, 17), trimap_seed("duts", 3, 17), first}
    assert len(variants) == 4


def test_build_time_trimap_equals_loaded_sample_trimap():
    alpha = soft_alpha((64, 80), 5)
    stored = trimap(alpha.copy(), "random", seed=trimap_seed("duts", 0, 9))
    np.testing.assert_array_equal(stored, trimap(alpha, "random", seed=trimap_seed("duts", 0, 9)))


@pytest.mark.parametrize("alpha, expected", [
    (np.zeros((4, 4), np.float32), "dtype float32"),
    (np.zeros((4, 4), np.uint16), "dtype uint16"),
    (np.zeros((4, 4, 1), np.uint8), "shape (4, 4, 1)"),
    (np.zeros((4, 4, 3), np.uint8), "shape (4, 4, 3)"),
    (np.zeros((0, 4), np.uint8), "shape (0, 4)"),
    ([[0, 255]], "list"),
])
def test_refuses_other_alphas(alpha, expected):
    with pytest.raises(ValueError, match="expected|must be") as err:
        trimap(alpha)
    assert expected in str(err.value) and "(H, W)" in str(err.value)


def test_refuses_unknown_kind_and_random_without_seed():
    alpha = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="unknown trimap kind 'ellipse'"):
        trimap(alpha, "ellipse")
    with pytest.raises(ValueError, match="needs a seed"):
        trimap(alpha, "random")
    assert KINDS == ("him-eval", "duts", "random")

"""Matting errors: SAD, MSE, MAD, Grad and Conn per image (and per frame of a clip), as the
Deep Image Matting evaluation defines them (``mattehub evaluate --protocol dim``; other
papers' variants are parameters here and choices in ``mattehub.evaluation.protocols``).

The image errors are those of the Deep Image Matting / alphamatting.com MATLAB evaluation
code (Ning Xu, 2018: ``compute_sad_loss.m``, ``compute_mse_loss.m``,
``compute_gradient_loss.m`` with ``gaussgradient.m``, ``compute_connectivity_error.m``),
rewritten with numpy and scipy. ``a`` is an alpha in [0, 1] (8-bit input is divided by 255),
``R`` the region summed over: the whole image, or the unknown region ``trimap == 128``.

===========  =====================================================================  ==========
metric       definition                                                             reported
===========  =====================================================================  ==========
``sad``      ``sum_R |a_p - a_g|``                                                  / 1000
``mse``      ``sum_R (a_p - a_g)^2 / |R|``                                          x 1000
``mad``      ``sum_R |a_p - a_g| / |R|``                                            x 1000
``grad``     ``sum_R (|G * n(a_p)| - |G * n(a_g)|)^2``                              / 1000
``conn``     ``sum_R |phi(a_p) - phi(a_g)|``                                        / 1000
===========  =====================================================================  ==========

SAD / 1000 is what the MATLAB code returns ("scaled by 1000 due to the large images"); Grad
and Conn are returned raw by MATLAB and divided by 1000 in the Deep Image Matting tables and
in GCA-Matting's Python port, as here (MatteFormer's evaluation has no Grad or Conn). MSE is
raw in MATLAB (0.014 in the paper); mattehub reports MSE and MAD x 1000, the scale of recent
tables. An empty region gives 0 (the MATLAB code would divide by zero).

* **Grad**: ``n`` is MATLAB's ``mat2gray`` (each matte min-max normalised to [0, 1]; a
  constant matte has no gradient). ``G`` is ``gaussgradient(., 1.4)``: a 2-D kernel
  ``gauss(row) * dgauss(col)`` with ``sigma = 1.4``, half size
  ``ceil(sigma * sqrt(-2 ln(sqrt(2 pi) sigma eps)))`` with ``eps = 0.01`` (4 for 1.4, so
  9 x 9), scaled to unit Frobenius norm; its transpose gives the y derivative. Filtering is
  a true convolution with replicated borders (``imfilter(.., 'replicate', 'conv')`` =
  scipy.ndimage with ``mode="nearest"``; the kernel is an outer product, so it runs as two
  1-D passes). ``|.|`` is the gradient magnitude. Of the Python ports, GCA-Matting and
  InstMatt divide by 255 instead of ``mat2gray`` (the same when a matte spans 0..255); RVM
  min-max normalises each frame as here; MaGGIe zero-pads and normalises all instances of
  an image jointly (``gauss_gradient(.., border="constant")`` serves it).
* **Conn**: thresholds ``t_i = i / 10`` (step 0.1, exact decimals, i = 1..10). For each, the
  largest 4-connected component (``bwconncomp(., 4)``) of ``(a_p >= t_i) & (a_g >= t_i)``;
  a pixel first missing from it at ``t_i`` gets ``l = t_{i-1}``, a pixel never missing gets
  ``l = 1``. ``d = a - l``, ``phi = 1 - d`` where ``d >= 0.15``, else 1. Ties between
  components of equal size go to the one MATLAB picks: the first in column-major order
  (``order="C"``: the first in row-major order, as MaGGIe's ``skimage.measure.label`` and
  RVM's ``cv2.connectedComponentsWithStats`` number them). The MATLAB code also builds
  ``bwdist`` maps normalised by their maximum but never uses them in the error, so they are
  not computed here. With no component at a threshold, every pixel still unassigned gets
  ``t_{i-1}``, as in the MATLAB code, which guards the empty list. (GCA-Matting's own
  port labels the background too, so its largest component can be the background.)

Clips (T, H, W): each frame error is computed per frame and the clip's value is the mean
over its frames, so a clip's SAD is comparable to an image's.

Temporal errors of clips (dtSSD, MESSDdt) are in ``mattehub.analysis.clip_metrics``.

Instances are paired with predictions by ``mattehub.analysis.matching``; how they are
weighted, and every other paper-specific step (snapping, caps, scales), is the business of
an evaluation protocol (``mattehub.evaluation.protocols``, docs/evaluation.md).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


UNKNOWN = 128
"""Trimap value of the unknown region."""
SAD_SCALE = 1e-3
MSE_SCALE = 1e3
MAD_SCALE = 1e3
GRAD_SCALE = 1e-3
CONN_SCALE = 1e-3
GRAD_SIGMA = 1.4
GRAD_EPSILON = 1e-2
CONN_STEP = 0.1
CONN_MIN_DIFF = 0.15

FRAME_METRICS: tuple[str, ...] = ("sad", "mse", "mad", "grad", "conn")
REGIONS: tuple[str, ...] = ("whole", "unknown")
SCALES: dict[str, str] = {
    "sad": "sum of |error| / 1000", "mse": "mean of squared error x 1000",
    "mad": "mean of |error| x 1000", "grad": "sum of squared gradient-magnitude error / 1000",
    "conn": "sum of |connectivity error| / 1000", "dtssd": "per frame pair sqrt(mean) x 100",
    "messddt": "mean flow-compensated squared-error change x 10^4"}
"""The reporting scale of each metric (alphas in [0, 1]), as stored with results."""

_FOUR = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
"""4-connectivity, as ``bwconncomp(., 4)``. scipy.ndimage and scipy.optimize are imported
where they are used (0.8 s): ``load_dataset("mattehub", ...)`` builds the CLI parser, which
names this module's choices, and should not pay for them."""


# -- inputs ---------------------------------------------------------------------------------


def as_unit(alpha: np.ndarray, name: str = "alpha") -> np.ndarray:
    """``alpha`` as float64 in [0, 1]: uint8 is divided by 255, floats must already lie in
    [0, 1]. Raises ValueError for other dtypes or out-of-range floats, naming ``name``."""
    alpha = np.asarray(alpha)
    if alpha.dtype == np.uint8:
        return alpha.astype(np.float64) / 255.0
    if np.issubdtype(alpha.dtype, np.floating):
        if alpha.size and not (np.isfinite(alpha).all() and alpha.min() >= 0 and alpha.max() <= 1):
            raise ValueError(f"{name}: float values must lie in [0, 1]")
        return alpha.astype(np.float64)
    raise ValueError(f"{name}: expected uint8 (0..255) or float in [0, 1], got {alpha.dtype}")


def unit_pair(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None):
    """Unit-range pred and gt of one shape (H, W) or (T, H, W), and the trimap checked."""
    p, g = as_unit(pred, "pred"), as_unit(gt, "gt")
    if p.shape != g.shape or p.ndim not in (2, 3):
        raise ValueError(f"pred {p.shape} and gt {g.shape} must share one shape (H, W) or (T, H, W)")
    if trimap is not None and np.shape(trimap) != g.shape:
        raise ValueError(f"trimap {np.shape(trimap)} must have the shape of gt {g.shape}")
    return p, g, None if trimap is None else np.asarray(trimap)


def unknown_region(trimap: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """The pixels a metric sums over: ``trimap == 128``, or every pixel when ``trimap`` is None."""
    return np.ones(shape, bool) if trimap is None else np.asarray(trimap) == UNKNOWN


# -- per-pixel error maps (one frame) ---------------------------------------------------------


def gauss_gradient_factors(sigma: float = GRAD_SIGMA,
                           epsilon: float = GRAD_EPSILON) -> tuple[np.ndarray, np.ndarray]:
    """The two 1-D factors of ``gaussgradient``'s kernel, each of unit norm: the Gaussian
    ``G(u) = exp(-u^2 / 2 sigma^2) / (sigma sqrt(2 pi))`` and its derivative
    ``-u G(u) / sigma^2``, for ``u`` in ``-h..h``, ``h = ceil(sigma * sqrt(-2 ln(sqrt(2 pi)
    sigma epsilon)))``."""
    half = math.ceil(sigma * math.sqrt(-2 * math.log(math.sqrt(2 * math.pi) * sigma * epsilon)))
    u = np.arange(-half, half + 1, dtype=np.float64)
    gauss = np.exp(-u ** 2 / (2 * sigma ** 2)) / (sigma * math.sqrt(2 * math.pi))
    derivative = -u * gauss / sigma ** 2
    return gauss / np.linalg.norm(gauss), derivative / np.linalg.norm(derivative)


def gauss_gradient_kernel(sigma: float = GRAD_SIGMA, epsilon: float = GRAD_EPSILON) -> np.ndarray:
    """``gaussgradient``'s 2-D x-derivative kernel: rows a Gaussian, columns its derivative,
    unit Frobenius norm (the outer product of ``gauss_gradient_factors``)."""
    return np.outer(*gauss_gradient_factors(sigma, epsilon))


_GAUSS, _DERIVATIVE = gauss_gradient_factors()


def gauss_gradient(image: np.ndarray, border: str = "nearest") -> np.ndarray:
    """``|gaussgradient(image, 1.4)|`` of one (H, W) frame, as given (no normalisation).
    ``border``: ``"nearest"`` replicates edges (MATLAB's ``imfilter(.., 'replicate')``,
    OpenCV's ``BORDER_REPLICATE``); ``"constant"`` pads with zeros (``F.conv2d(padding=4)``,
    MaGGIe). The 2-D kernel is an outer product, so it is applied as two 1-D passes (same
    result, 9 / 2 times fewer operations). Convolution or correlation (the ports use
    ``filter2D`` / ``conv2d``, which correlate) only flips the derivative's sign: the
    magnitude is the same."""
    from scipy import ndimage

    def derivative(axis: int) -> np.ndarray:
        along = ndimage.convolve1d(image, _DERIVATIVE, axis=axis, mode=border)
        return ndimage.convolve1d(along, _GAUSS, axis=1 - axis, mode=border)

    return np.hypot(derivative(1), derivative(0))


def gradient_magnitude(alpha: np.ndarray) -> np.ndarray:
    """``|gaussgradient(mat2gray(alpha), 1.4)|`` of one (H, W) frame in [0, 1]: the matte
    min-max normalised on its own (a constant matte has no gradient), replicated borders."""
    low, high = float(alpha.min()), float(alpha.max())
    if high == low:
        return np.zeros(alpha.shape)
    return gauss_gradient((alpha - low) / (high - low))


def largest_component(mask: np.ndarray, order: str = "F") -> np.ndarray:
    """The largest 4-connected component of a 2-D boolean mask (all False if none).

    Components of equal size: ``order="F"`` keeps the first in column-major order, as
    MATLAB's ``bwconncomp`` + ``max`` do (the transpose is labelled); ``order="C"`` the first
    in row-major order, as ``skimage.measure.label`` (MaGGIe) and
    ``cv2.connectedComponentsWithStats`` (RVM) number them."""
    from scipy import ndimage

    labels, count = ndimage.label(mask.T if order == "F" else mask, structure=_FOUR)
    if count == 0:
        return np.zeros(mask.shape, bool)
    sizes = np.bincount(labels.ravel())[1:]
    largest = labels == int(np.argmax(sizes)) + 1
    return largest.T if order == "F" else largest


def connectivity_levels(pred: np.ndarray, gt: np.ndarray, step: float = CONN_STEP,
                        order: str = "F") -> np.ndarray:
    """The map ``l`` of the connectivity error: the threshold below the first one at which a
    pixel leaves the largest common component (1 for pixels that never leave it).
    Thresholds are exact decimals (3 / 10, not 3 * 0.1); ``order``: see
    ``largest_component``. The level map has ``gt``'s float type (the Python ports keep
    float32 mattes in float32)."""
    count = round(1 / step)
    if count < 1 or not math.isclose(count * step, 1.0):
        raise ValueError(f"step {step} must divide 1 into whole steps (e.g. 0.1)")
    thresholds = np.arange(count + 1) / count
    level = np.full(gt.shape, -1.0, dtype=gt.dtype)
    for i in range(1, count + 1):
        omega = largest_component((pred >= thresholds[i]) & (gt >= thresholds[i]), order)
        level[(level == -1) & ~omega] = thresholds[i - 1]
    level[level == -1] = 1.0
    return level


def connectivity_error_map(pred: np.ndarray, gt: np.ndarray, order: str = "F") -> np.ndarray:
    """``|phi(pred) - phi(gt)|`` per pixel of one frame (to be summed over a region)."""
    level = connectivity_levels(pred, gt, order=order)
    return np.abs(_phi(pred, level) - _phi(gt, level))


def _phi(alpha: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``1 - d`` where ``d = alpha - level >= 0.15``, else 1: the degree of connectivity."""
    d = alpha - level
    return 1.0 - d * (d >= CONN_MIN_DIFF)


def _abs_map(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.abs(p - g)


def _squared_map(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return (p - g) ** 2


def _grad_map(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return (gradient_magnitude(p) - gradient_magnitude(g)) ** 2


def _conn_map(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return connectivity_error_map(p, g)


_MAPS: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], bool, float]] = {
    "sad": (_abs_map, False, SAD_SCALE), "mse": (_squared_map, True, MSE_SCALE),
    "mad": (_abs_map, True, MAD_SCALE), "grad": (_grad_map, False, GRAD_SCALE),
    "conn": (_conn_map, False, CONN_SCALE)}
"""metric -> (per-pixel error map, mean over the region (else sum), reporting scale)."""


def reduce_error(error: np.ndarray, region: np.ndarray, mean: bool, scale: float) -> float:
    """Sum or mean of ``error`` over ``region``, scaled; an empty region gives 0."""
    values = error[region]
    if mean:
        return float(values.mean()) * scale if values.size else 0.0
    return float(values.sum()) * scale


# -- image errors -----------------------------------------------------------------------------


def matting_errors(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None,
                   metrics: Sequence[str] = FRAME_METRICS) -> dict[str, dict[str, float]]:
    """Every metric over the whole image and, with a trimap, over its unknown region:
    ``{"whole": {"sad": .., ...}, "unknown": {...}}``. Each per-pixel map is computed once
    for both regions. Clips (T, H, W) give the mean over frames of each frame's errors."""
    p, g, tri = unit_pair(pred, gt, trimap)
    if p.ndim == 3:
        frames = [matting_errors(p[t], g[t], None if tri is None else tri[t], metrics)
                  for t in range(p.shape[0])]
        return {region: {m: float(np.mean([f[region][m] for f in frames])) for m in metrics}
                for region in frames[0]} if frames else {}
    regions = {"whole": np.ones(g.shape, bool)}
    if tri is not None:
        regions["unknown"] = tri == UNKNOWN
    out: dict[str, dict[str, float]] = {name: {} for name in regions}
    maps: dict[Callable, np.ndarray] = {}
    for metric in metrics:
        make, mean, scale = _MAPS[metric]
        if make not in maps:
            maps[make] = make(p, g)
        for name, region in regions.items():
            out[name][metric] = reduce_error(maps[make], region, mean, scale)
    return out


def _one(metric: str, pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None) -> float:
    region = "whole" if trimap is None else "unknown"
    return matting_errors(pred, gt, trimap, (metric,))[region][metric]


def sad(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """Sum of absolute differences / 1000 over the unknown region (whole image without trimap)."""
    return _one("sad", pred, gt, trimap)


def mse(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """Mean squared error x 1000 over the unknown region (whole image without trimap)."""
    return _one("mse", pred, gt, trimap)


def mad(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """Mean absolute difference x 1000 over the unknown region (whole image without trimap)."""
    return _one("mad", pred, gt, trimap)


def gradient_error(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """Gradient error / 1000 (``compute_gradient_loss``) over the unknown region."""
    return _one("grad", pred, gt, trimap)


def connectivity_error(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray | None = None) -> float:
    """Connectivity error / 1000 (``compute_connectivity_error``, step 0.1) over the unknown region."""
    return _one("conn", pred, gt, trimap)

"""Foreground re-estimation: a foreground F such that alpha*F + (1-alpha)*B recomposes cleanly.

A raw foreground (or a composite) carries its old background in the semi-transparent pixels;
pasted onto a new background those pixels show a halo. ``estimate_foreground`` re-estimates F
from an image and its alpha with one of two methods:

- ``"lsa"`` (default, no extra needed: numpy and OpenCV): the local-smoothness energy of the Adobe Image Matting
  re-estimation work (``docs/sources.md``, "Adobe Image Matting and Composition-1k")::

      sum_i (a_i F_i - a_i fg_i)^2 + k sum_edges [(1-a_i)^2 + (1-a_j)^2] |F_i - F_j|^2,  k = 1

  data fidelity where alpha is high, smoothing where it is low, over 4-neighbour edges, solved
  by Jacobi iterations coarse to fine as the paper does (``LSA_SCALES`` scales, size / 2^s for
  s = 5..0, ``LSA_ITERATIONS`` x 2^s iterations at scale s).
- ``"ml"``: the multilevel solver of Germer et al., pymatting's ``estimate_foreground_ml``
  (the optional extra ``mattehub[foreground]``); used as is, not re-implemented.

Channels are independent in both, so RGB and BGR images give the same result.
"""
from __future__ import annotations

import cv2
import numpy as np

from mattehub.contract.choices import FOREGROUND_INSTALL_HINT
from mattehub.core.errors import BuildError

METHODS: tuple[str, ...] = ("lsa", "ml")
INSTALL_HINT = FOREGROUND_INSTALL_HINT
LSA_K = 1.0
"""Weight of the smoothness term."""
LSA_SCALES = 6
"""Number of pyramid scales; scale s has size max(1, n >> s) per side (floor of n / 2^s)."""
LSA_ITERATIONS = 20
"""Jacobi iterations at full size; scale s runs LSA_ITERATIONS * 2^s."""
_CHUNK = 65536
"""Pixels per block of a Jacobi sweep: the block's output stays in cache while its 4 terms add up."""


class ForegroundExtraMissing(BuildError, ImportError):
    """``method="ml"`` without pymatting installed; the message names the install command."""


def estimate_foreground(image: np.ndarray, alpha: np.ndarray, method: str = "lsa") -> np.ndarray:
    """Re-estimate the foreground colours of ``image`` (uint8 (H, W, 3)) under ``alpha`` (uint8 (H, W)).

    Returns uint8 (H, W, 3) in the channel order of ``image``. An all-zero alpha has no
    foreground to estimate: the result is a copy of ``image``. Raises ValueError for bad
    shapes, dtypes or method, and ``ForegroundExtraMissing`` (a BuildError and ImportError)
    for ``"ml"`` without pymatting.
    """
    _check_inputs(image, alpha)
    if method not in METHODS:
        raise ValueError(f"unknown foreground method {method!r}: expected one of {', '.join(METHODS)}")
    if not alpha.any():
        return image.copy()
    if method == "ml":
        foreground = _estimate_ml(image, alpha)
    else:
        foreground = _estimate_lsa(image, alpha)
    return _to_uint8(foreground)


def _check_inputs(image: np.ndarray, alpha: np.ndarray) -> None:
    """ValueError naming what is wrong unless image is uint8 (H, W, 3) and alpha uint8 (H, W)."""
    for name, array in (("image", image), ("alpha", alpha)):
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{name} must be a numpy uint8 array, got {type(array).__name__}")
        if array.dtype != np.uint8:
            raise ValueError(f"{name} must be uint8, got dtype {array.dtype}")
    if image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
    if alpha.ndim != 2:
        raise ValueError(f"alpha must have shape (H, W) (one channel), got {alpha.shape}")
    if alpha.shape != image.shape[:2]:
        raise ValueError(f"alpha shape {alpha.shape} does not match the image's (H, W) = {image.shape[:2]}")


def _to_uint8(foreground: np.ndarray) -> np.ndarray:
    """Float (H, W, 3) in [0, 1] (clipped) to uint8, rounded."""
    return np.rint(np.clip(foreground, 0.0, 1.0) * 255.0).astype(np.uint8)


def _estimate_ml(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """pymatting's multilevel estimate on float64 in [0, 1], imported lazily (optional extra)."""
    try:
        from pymatting import estimate_foreground_ml
    except ImportError as err:
        raise ForegroundExtraMissing(f"estimate_foreground(method='ml') needs pymatting: {INSTALL_HINT} "
                                     f"({err})") from err
    return estimate_foreground_ml(image / 255.0, alpha / 255.0)


def _estimate_lsa(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The local-smoothness estimate, coarse to fine; float32 (H, W, 3) in [0, 1]."""
    fg = image.astype(np.float32) / np.float32(255.0)
    a = alpha.astype(np.float32) / np.float32(255.0)
    height, width = alpha.shape
    F: np.ndarray | None = None
    for s in range(LSA_SCALES - 1, -1, -1):
        size = (max(1, width >> s), max(1, height >> s))  # cv2 order: (width, height)
        fg_s, a_s = (fg, a) if s == 0 else (_resize(fg, size, cv2.INTER_AREA),
                                            _resize(a, size, cv2.INTER_AREA))
        F = fg_s if F is None else _resize(F, size, cv2.INTER_LINEAR)
        F = _jacobi(F, fg_s, a_s, LSA_ITERATIONS << s)
    return F


def _resize(array: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """cv2.resize that keeps the channel axis of an (H, W, 3) array even when a side is 1."""
    out = cv2.resize(array, size, interpolation=interpolation)
    return out.reshape(size[1], size[0], *array.shape[2:])


def _jacobi(F: np.ndarray, fg: np.ndarray, a: np.ndarray, iterations: int) -> np.ndarray:
    """``iterations`` Jacobi sweeps of the energy at one scale, from the initial F (H, W, 3).

    F_i <- (a_i^2 fg_i + k sum_j w_ij F_j) / (a_i^2 + k sum_j w_ij) with
    w_ij = (1-a_i)^2 + (1-a_j)^2 over the 4 neighbours, a neighbour outside the image being
    the mirrored pixel (numpy's "reflect"). Written as F_i <- c_i + sum_d W_d,i F_(i+d) with the
    coefficients precomputed, on flat channel-planar buffers (3, pad + H*W + pad) where the
    neighbour d of flat pixel i is i + d (d = -1, +1, -W, +W); two buffers alternate.
    """
    height, width = a.shape
    plane = height * width
    pad = width + 1  # every neighbour index stays inside the buffer
    coeffs = _coefficients(a)
    c = coeffs.pop("data")[None] * fg.transpose(2, 0, 1).reshape(3, plane)
    buffers = [np.zeros((3, plane + 2 * pad), np.float32) for _ in range(2)]
    buffers[0][:, pad:pad + plane] = F.transpose(2, 0, 1).reshape(3, plane)
    offsets = {"left": -1, "right": 1, "up": -width, "down": width, "self": 0}
    sweeps = [_plan(buffers[p], buffers[1 - p], c, coeffs, offsets, pad) for p in (0, 1)]
    for iteration in range(iterations):
        _sweep(sweeps[iteration % 2])
    out = buffers[iterations % 2][:, pad:pad + plane].reshape(3, height, width)
    return out.transpose(1, 2, 0)


Term = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(weight (1, n), shifted source channel (1, n), output channel (1, n))."""
Plan = list[tuple[np.ndarray, np.ndarray, list[Term]]]
"""Per block: (output (3, n), c (3, n), terms)."""


def _plan(src: np.ndarray, dst: np.ndarray, c: np.ndarray, coeffs: dict[str, np.ndarray],
          offsets: dict[str, int], pad: int) -> Plan:
    """The views of one sweep src -> dst, block by block, made once per scale.

    A block whose coefficients are all zero (opaque pixels among opaque neighbours) is fixed
    at F = c = fg: it is written here and left out of the plan (the plan of the other parity
    writes the other buffer).
    """
    plane = c.shape[1]
    plan: Plan = []
    for start in range(0, plane, _CHUNK):
        stop = min(plane, start + _CHUNK)
        out = dst[:, pad + start:pad + stop]
        terms = [(weight[None, start:stop], src[ch:ch + 1, shift + start:shift + stop], out[ch:ch + 1])
                 for name, weight in coeffs.items() if weight[start:stop].any()
                 for shift in (pad + offsets[name],) for ch in range(3)]
        if terms:
            plan.append((out, c[:, start:stop], terms))
        else:
            out[...] = c[:, start:stop]
    return plan


def _sweep(plan: Plan) -> None:
    """One Jacobi sweep: out = c + sum_d W_d * F(shifted by d), block by block.

    cv2.accumulateProduct is a fused out += w * f in one pass where numpy needs two (multiply,
    then add); the sweep is bound by memory traffic, so this is ~2x faster. One call per
    channel with the shared (1, n) weight: tiling the weight to (3, n) costs more traffic.
    """
    for out, c, terms in plan:
        np.copyto(out, c)
        for weight, shifted, channel_out in terms:
            cv2.accumulateProduct(weight, shifted, channel_out)


def _coefficients(a: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pixel coefficients (flat, float32): "data" = a^2 / den and W_d = k w_d / den.

    den = a^2 + k sum_d w_d > 0 whenever a pixel has a neighbour (a mirrored one counts). At
    the first/last column the reflected left/right neighbour is the pixel's other neighbour,
    so its weight moves there; along a side of length 1 the mirror is the pixel itself ("self").
    """
    height, width = a.shape
    padded = np.pad(a, 1, mode="reflect")
    smooth = np.square(1.0 - padded)
    centre = smooth[1:-1, 1:-1]
    w = {"left": centre + smooth[1:-1, :-2], "right": centre + smooth[1:-1, 2:],
         "up": centre + smooth[:-2, 1:-1], "down": centre + smooth[2:, 1:-1]}
    a2 = np.square(a)
    den = a2 + LSA_K * (w["left"] + w["right"] + w["up"] + w["down"])
    inv = 1.0 / den
    coeffs = {name: (LSA_K * weight * inv).astype(np.float32, copy=False) for name, weight in w.items()}
    coeffs["self"] = np.zeros_like(a, dtype=np.float32)
    _fold_border(coeffs, "left", "right", width, axis=1)
    _fold_border(coeffs, "up", "down", height, axis=0)
    flat = {name: array.reshape(-1) for name, array in coeffs.items()}
    flat["data"] = (a2 * inv).astype(np.float32, copy=False).reshape(-1)
    return flat


def _fold_border(coeffs: dict[str, np.ndarray], low: str, high: str, length: int, axis: int) -> None:
    """Move the weight of a mirrored neighbour onto the real pixel it mirrors.

    On the flat buffer the pixel before the first column is the previous row's last pixel;
    its coefficient must be zero and its weight go to the actual mirrored neighbour.
    """
    if length == 1:
        coeffs["self"] += coeffs[low] + coeffs[high]
        coeffs[low][...] = 0.0
        coeffs[high][...] = 0.0
        return
    first = (slice(None), 0) if axis == 1 else (0, slice(None))
    last = (slice(None), -1) if axis == 1 else (-1, slice(None))
    coeffs[high][first] += coeffs[low][first]
    coeffs[low][first] = 0.0
    coeffs[low][last] += coeffs[high][last]
    coeffs[high][last] = 0.0

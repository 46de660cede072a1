"""Image encoding with fixed settings, so encoded bytes are reproducible.

All arrays are RGB (H, W, 3) uint8 or single-channel (H, W) uint8/uint16. OpenCV does the
work (it is several times faster than Pillow for PNG/JPEG). Decoding source files is the
job of ``mattehub.inputs.gate``, which also checks and normalises what it decodes.
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from mattehub.contract.choices import DEFAULT_JPEG_QUALITY


# Stated in docs/format.md: RGB may be JPEG at this quality; mattes are always PNG.
PNG_COMPRESSION = 3
ORIENTATION_TAG = 0x0112


def encode_png(array: np.ndarray, bgr: bool = False, smooth: bool = False) -> bytes:
    """Lossless PNG of an 8/16-bit gray, RGB or RGBA array (``bgr``: colour already in
    OpenCV's channel order).

    Gray mattes are mostly long runs of 0 and 255: with no row filter and zlib's RLE
    strategy they encode ~4x faster than with adaptive filtering, and smaller
    (measured on 1024x768 mattes: 1.5 ms / 15.5 KB against 6 ms / 20.9 KB). ``smooth`` gray
    maps (depth) vary slowly from row to row instead: the "up" filter and level 1 suit them
    (224x224 16-bit depth: 1.33 ms / 72.6 KB -> 1.18 ms / 45.4 KB; 8-bit model depth:
    43.5 KB -> 17.8 KB).
    """
    if array.ndim == 2 and smooth:
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
                  cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
        return _png(array, params)
    if array.ndim == 3:
        if not bgr:
            to_bgr = cv2.COLOR_RGBA2BGRA if array.shape[2] == 4 else cv2.COLOR_RGB2BGR
            array = cv2.cvtColor(array, to_bgr)
        params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION, cv2.IMWRITE_PNG_FILTER,
                  cv2.IMWRITE_PNG_FILTER_NONE, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    return _png(array, params)


def _png(array: np.ndarray, params: list[int]) -> bytes:
    ok, buf = cv2.imencode(".png", array, params)
    if not ok:  # pragma: no cover - OpenCV only fails on unsupported dtypes
        raise ValueError(f"cannot PNG-encode array of {array.dtype} {array.shape}")
    return buf.tobytes()


def encode_jpeg(rgb: np.ndarray, quality: int = DEFAULT_JPEG_QUALITY, bgr: bool = False) -> bytes:
    """Baseline JPEG (4:2:0) of an RGB array at ``quality`` (``bgr``: the array is already
    in OpenCV's channel order, which saves a conversion on large canvases)."""
    array = rgb if bgr else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover
        raise ValueError(f"cannot JPEG-encode array of {rgb.dtype} {rgb.shape}")
    return buf.tobytes()


def encode_rgb(rgb: np.ndarray, image_format: str, quality: int, bgr: bool = False) -> bytes:
    """Encode RGB as ``jpg`` (at ``quality``) or ``png`` (lossless); ``bgr``: the array is
    in OpenCV's channel order."""
    return encode_jpeg(rgb, quality, bgr) if image_format == "jpg" else encode_png(rgb, bgr)


def is_upright_rgb_jpeg(data: bytes) -> bool:
    """True for a 3-channel JPEG without an EXIF rotation: bytes that decode, in any
    reader, to the same RGB pixels mattehub composited (so they can be stored as-is)."""
    if sniff_format(data) != "jpg":
        return False
    with Image.open(io.BytesIO(data)) as image:
        return image.mode == "RGB" and image.getexif().get(ORIENTATION_TAG, 1) == 1


def sniff_format(data: bytes) -> str | None:
    """Return ``"jpg"`` or ``"png"`` from magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None

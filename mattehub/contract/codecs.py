"""Image encoding with fixed settings, so encoded bytes are reproducible.

All arrays are RGB (H, W, 3) uint8 or single-channel (H, W) uint8/uint16. PNG is written
by ``mattehub.contract.png`` (fixed row filter, run-length deflate: fast, and the same bytes
on every machine); JPEG by OpenCV's libjpeg-turbo, which measured as fast as simplejpeg and
faster than Pillow here, counting the RGB->BGR conversion it needs (``benchmarks/bench_codecs.py``).
Decoding source files is the job of ``mattehub.inputs.gate``, which also checks and
normalises what it decodes.
"""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from mattehub.contract import png
from mattehub.contract.choices import DEFAULT_JPEG_QUALITY


ORIENTATION_TAG = 0x0112


def encode_png(array: np.ndarray, bgr: bool = False, smooth: bool = False) -> bytes:
    """Lossless PNG of an 8/16-bit gray, RGB or RGBA array (``bgr``: colour already in
    OpenCV's channel order).

    ``mattehub.contract.png`` writes it: one fixed row filter per kind of array, then
    run-length deflate (zlib-ng), whose bytes do not depend on the machine (see there).
    The filters, measured in ``benchmarks/bench_codecs.py``:

    * 8-bit gray mattes and masks (long runs of 0 and 255): no filter. This is the stream
      libpng wrote here before (no filter, zlib's RLE strategy), 2-4x faster.
    * ``smooth`` 8-bit gray maps (model depth, which varies slowly from row to row) and
      every 16-bit gray map (depth): Up. A 16-bit sample repeats no byte unless filtered,
      so unfiltered run-length deflate cannot shrink it (surreal-alpha's 320x240 depth
      planes: 8.0 KB unfiltered, 1.8 KB with Up).
    * RGB(A): Sub. Photos leave few runs, so run-length deflate is mostly Huffman coding
      of the residuals: 6-10x faster than libpng's adaptive filters at zlib level 3, from
      6% smaller (the stand-in photos) to 6% larger (a camera photo).
    """
    if array.ndim == 3:
        if bgr:
            to_rgb = cv2.COLOR_BGRA2RGBA if array.shape[2] == 4 else cv2.COLOR_BGR2RGB
            array = cv2.cvtColor(array, to_rgb)
        return png.encode(array, png.FILTER_SUB)
    up = smooth or array.dtype == np.uint16
    return png.encode(array, png.FILTER_UP if up else png.FILTER_NONE)


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

"""Stored image bytes (PNG, JPEG) straight to numpy arrays, without Pillow: ``as_arrays``' fast route.

``header(data, colour)`` reads only the header and picks a route, or says None (then the
caller decodes with Pillow, the decoder of ``datasets``, as before). A route exists only
where its pixels are Pillow's exactly (``tests/test_stored_decode.py`` compares every field
of every demo config):

* **PNG in mattehub's own profile** (``mattehub.contract.png``: one row filter, None, Sub or
  Up, for the whole image; 8/16-bit grey or 8-bit RGB; not interlaced): inflated by
  ``zlib-ng`` and unfiltered with numpy, straight into the output array. Why not a library:
  libpng (OpenCV, Pillow) and libspng inflate with stock zlib, which copies the distance-1
  matches of mattehub's run-length streams byte by byte: 2.1 ms per 1024x768 matte here
  against 0.09 ms for zlib-ng's inflate of the same stream (``benchmarks/bench_read.py``).
* **other PNG** (adaptive filters, written by libpng: sources stored as they are), same
  kinds: ``cv2.imdecode`` (libpng).
* **JPEG** with 1 or 3 components and no EXIF or Adobe segment: ``cv2.imdecode``
  (libjpeg-turbo, the library in Pillow's wheels, with the same default IDCT and upsampling).
  simplejpeg was measured too (``bench_read.py``): not clearly faster at these sizes.

Left to Pillow: EXIF orientation (``datasets`` applies it), palettes, grey+alpha, CMYK/YCCK,
16-bit RGB (Pillow reduces it to 8 bits), animated PNG, other formats, bit depths below 8.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np
from zlib_ng import zlib_ng

from mattehub.contract import decoded
from mattehub.contract.png import FILTER_NONE, FILTER_SUB, FILTER_UP, SIGNATURE

JPEG_START = b"\xff\xd8"
_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
_PILLOW_ONLY_CHUNKS = frozenset((b"eXIf", b"acTL", b"PLTE"))
"""PNG chunks whose image Pillow reads differently from libpng (EXIF rotation, animation)."""


class Header(NamedTuple):
    """What the header of stored bytes says: the array's shape and dtype, and the route."""

    shape: tuple[int, ...]
    dtype: type
    route: Callable[[memoryview, Header, np.ndarray | None], np.ndarray | None]
    bpp: int = 0  # bytes per pixel, for mattehub's PNG route


def header(data: bytes | memoryview, colour: bool) -> Header | None:
    """The route for ``data`` decoded as a colour (H, W, 3) or grey (H, W) field, or None
    (decode with Pillow)."""
    data = memoryview(data)
    if data[:8] == SIGNATURE:
        return _png_header(data, colour)
    if data[:2] == JPEG_START:
        return _jpeg_header(data, colour)
    return None


def decode(data: bytes | memoryview, found: Header, out: np.ndarray | None = None) -> np.ndarray | None:
    """Decode ``data`` by ``found``'s route into ``out`` (or a new array); None if the route
    cannot (damaged bytes, a filter mix): the caller decodes with Pillow instead."""
    return found.route(memoryview(data), found, out)


# -- PNG -----------------------------------------------------------------------------------
def _png_header(data: memoryview, colour: bool) -> Header | None:
    if len(data) < 33 or data[8:16] != b"\0\0\0\x0dIHDR":
        return None
    width, height, depth, colour_type, method, filtering, interlace = struct.unpack(">IIBBBBB", data[16:29])
    grey = colour_type == 0 and depth in (8, 16)
    rgb = colour_type == 2 and depth == 8
    if not (grey and not colour or rgb and colour) or 0 in (width, height) or method or filtering:
        return None
    shape = (height, width, 3) if colour else (height, width)
    dtype = np.uint16 if depth == 16 else np.uint8
    if interlace:
        return Header(shape, dtype, _cv2_png)
    return Header(shape, dtype, _own_png, (depth // 8) * (3 if colour else 1))


def _chunks(data: memoryview, start: int):
    """(type, payload) of each chunk from ``start``; ValueError on a bad CRC or a cut file."""
    pos = start
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("truncated PNG chunk")
        payload = data[pos + 8:end - 4]
        if zlib.crc32(payload, zlib.crc32(kind)) != struct.unpack(">I", data[end - 4:end])[0]:
            raise ValueError(f"bad CRC in PNG chunk {kind!r}")
        yield kind, payload
        if kind == b"IEND":
            return
        pos = end
    raise ValueError("PNG without IEND")


def _own_png(data: memoryview, found: Header, out: np.ndarray | None) -> np.ndarray | None:
    """mattehub's PNG profile: zlib-ng inflate, one filter for every row, unfiltered in
    numpy; anything else goes to libpng (``_cv2_png``)."""
    try:
        parts = []
        for kind, payload in _chunks(data, 8):
            if kind in _PILLOW_ONLY_CHUNKS:
                return None
            if kind == b"IDAT":
                parts.append(payload)
    except ValueError:
        return None
    known = _recalled(data, found, out)
    if known is not None:
        return known
    try:
        inflated = zlib_ng.decompress(b"".join(parts))
    except zlib_ng.error:
        return None
    height, width = found.shape[:2]
    bpp = found.bpp
    if len(inflated) != height * (1 + width * bpp):
        return None
    raw = np.frombuffer(inflated, np.uint8).reshape(height, 1 + width * bpp)
    kinds = raw[:, 0]
    if not (kinds == kinds[0]).all() or kinds[0] not in (FILTER_NONE, FILTER_SUB, FILTER_UP):
        return _cv2_png(data, found, out)
    out = np.empty(found.shape, found.dtype) if out is None else out
    _unfilter(raw[:, 1:], int(kinds[0]), bpp, out)
    return out


def _unfilter(rows: np.ndarray, kind: int, bpp: int, out: np.ndarray) -> None:
    """Undo one PNG filter on every row (byte-wise, modulo 256) into ``out``; samples are
    big-endian in the file, so 16-bit rows go through one byte-swapping copy."""
    height = rows.shape[0]
    wide = out.dtype == np.uint16
    target = np.empty(rows.shape, np.uint8) if wide else out.reshape(height, -1)
    if kind == FILTER_NONE:
        if wide:
            out[...] = rows.view(">u2").reshape(out.shape)
            return
        target[...] = rows
    elif kind == FILTER_UP:
        _running_rows(rows, target)
    else:
        np.cumsum(rows.reshape(height, -1, bpp), axis=1, dtype=np.uint8,
                  out=target.reshape(height, -1, bpp))
    if wide:
        out[...] = target.view(">u2").reshape(out.shape)


def _running_rows(rows: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = rows[0] + ... + rows[i]`` modulo 256 (undoing the Up filter), one vector add
    per row. ``np.cumsum(rows, axis=0)`` gives the same bytes but walks the array column by
    column: 5.0 ms against 0.5 ms for a 1024x1024 matte here, a tenth of a 1024x1024 sample's
    decode time."""
    out[0] = rows[0]
    add = np.add
    for index in range(1, rows.shape[0]):
        add(out[index - 1], rows[index], out=out[index])


def _recalled(data: memoryview, found: Header, out: np.ndarray | None) -> np.ndarray | None:
    """The pixels the maker of this sample already decoded from equal bytes, in ``out`` when
    given (``mattehub.contract.decoded``); None: decode."""
    array = decoded.recall(data, found.shape, found.dtype)
    if array is None or out is None:
        return array
    out[...] = array
    return out


def _cv2_png(data: memoryview, found: Header, out: np.ndarray | None) -> np.ndarray | None:
    """Any other PNG of the same kinds through libpng; refused (None) where libpng's
    reading could differ from Pillow's."""
    try:
        if any(kind in _PILLOW_ONLY_CHUNKS for kind, _ in _chunks(data, 8)):
            return None
    except ValueError:
        return None
    known = _recalled(data, found, out)
    if known is not None:
        return known
    flag = cv2.IMREAD_COLOR_RGB if len(found.shape) == 3 else cv2.IMREAD_UNCHANGED
    return _cv2_decode(data, found, flag, out)


def _cv2_decode(data: memoryview, found: Header, flag: int, out: np.ndarray | None) -> np.ndarray | None:
    """``cv2.imdecode`` (no ``dst`` in OpenCV 5's binding: copied into ``out`` when given);
    None if it fails or disagrees with the header."""
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
    if array is None or array.shape != found.shape or array.dtype != found.dtype:
        return None
    if out is None:
        return array
    out[...] = array
    return out


# -- JPEG ----------------------------------------------------------------------------------
def _jpeg_header(data: memoryview, colour: bool) -> Header | None:
    """Walk the markers up to the first scan: size and components from the frame header;
    None for EXIF (Pillow rotates), Adobe (colour transforms), 12-bit or 4-component files."""
    pos, frame = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:
            break
        if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        length = (data[pos + 2] << 8) | data[pos + 3]
        segment = data[pos + 4:pos + 2 + length]
        if (marker == 0xE1 and segment[:6] == b"Exif\0\0") or (marker == 0xEE and segment[:5] == b"Adobe"):
            return None
        if marker in _SOF and len(segment) >= 6:
            precision, height, width, components = struct.unpack(">BHHB", segment[:6])
            frame = (precision, height, width, components)
        pos += 2 + length
    if frame is None or frame[0] != 8 or 0 in frame[1:3]:
        return None
    _, height, width, components = frame
    if colour and components in (1, 3):
        return Header((height, width, 3), np.uint8, _cv2_jpeg)
    if not colour and components == 1:
        return Header((height, width), np.uint8, _cv2_jpeg)
    return None


def _cv2_jpeg(data: memoryview, found: Header, out: np.ndarray | None) -> np.ndarray | None:
    flag = cv2.IMREAD_COLOR_RGB if len(found.shape) == 3 else cv2.IMREAD_GRAYSCALE
    return _cv2_decode(data, found, flag, out)

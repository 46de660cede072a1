"""A small PNG writer: one fixed row filter and run-length deflate, fast and reproducible.

Why mattehub writes the PNG container itself (signature, IHDR, one IDAT, IEND, CRCs by
``zlib.crc32``): no library on the registry offers a fixed row filter with a fast deflate
whose output does not depend on the machine. libpng (OpenCV, Pillow, imagecodecs)
compresses with whichever zlib it was built against and, by default, tries all five filters
on every row (RGB at 6-14 MP/s here); libspng has no filter choice; pyspng only decodes.
The file is plain PNG (ISO/IEC 15948): tests/test_png.py decodes it pixel-identically with
Pillow, OpenCV (libpng) and pyspng (libspng), and pngcheck found no error in the demo.

The rows are filtered with one filter for the whole image (numpy, byte-wise, as the format
defines it), then deflated by zlib-ng (the ``zlib-ng`` package) with the ``Z_RLE`` strategy:
every match is a run of the previous byte (distance 1, greedy, up to 258 bytes), so there is
no hash table and no match search. Why this deflate:

* Its output depends only on the input: the run lengths are exact (zlib-ng picks the
  run-comparison code at compile time, ``deflate_rle.c``, and every variant returns the same
  length), and block splitting and Huffman tables follow zlib's ``trees.c``. zlib-ng's
  authors do not promise identical output across platforms in general (zlib-ng/zlib-ng#795,
  #2216): that is about its hash-based levels. Measured: zlib-ng 2.3.3's ``Z_RLE`` bytes
  equal stock zlib 1.2.13's, on this AVX-512 host and under ``qemu-x86_64 -cpu`` Haswell
  (AVX2), Nehalem (SSE4.2) and Conroe (no SSE4.1) (``benchmarks/codec_determinism.py``).
  The one exception in the source is IBM Z's hardware deflate (DFLTCC), a build option
  the ``zlib-ng`` wheels do not enable.
* ISA-L (``isal``), faster on smooth data, is NOT deterministic: igzip dispatches per CPU to
  different hash and parsing code (``igzip/igzip_multibinary.asm``: level 3 parses lazily
  up to AVX and greedily on AVX2; the C fallback hashes by multiplication where the
  assembly uses CRC32). Measured on the same ``qemu`` CPUs: level 3 gave three different
  outputs on AVX-512, AVX2 and SSE4.2 hosts, and levels 0-2 differ without SSE4.1.
* libdeflate is deterministic for one version (ebiggers/libdeflate#400) but, without a
  run-length mode, was 2-6x slower than this on mattes, masks and mostly-empty planes.

So the stored bytes are a pure function of (pixels, settings, zlib-ng's ``Z_RLE``);
tests/test_png.py pins digests so a change in them is noticed, never silent.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
from zlib_ng import zlib_ng

SIGNATURE = b"\x89PNG\r\n\x1a\n"
FILTER_NONE, FILTER_SUB, FILTER_UP = 0, 1, 2
# PNG colour type per channel count: grey, RGB, RGBA
_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}


def encode(array: np.ndarray, filter_type: int) -> bytes:
    """PNG of a uint8/uint16 array, (H, W) grey or (H, W, 3|4) RGB(A) in PNG's channel
    order, each row filtered by ``filter_type``, then deflated run-length only."""
    return assemble(array, rle_deflate(filtered_rows(array, filter_type)))


def rle_deflate(data: np.ndarray | bytes) -> bytes:
    """zlib stream of ``data`` with zlib-ng's run-length strategy (32 KB window, default
    memory level: the settings the reproducibility tests pin)."""
    compressor = zlib_ng.compressobj(1, zlib_ng.DEFLATED, 15, 8, zlib_ng.Z_RLE)
    return compressor.compress(data) + compressor.flush()


def assemble(array: np.ndarray, zlib_stream: bytes) -> bytes:
    """The PNG file of ``array`` whose filtered rows, zlib-wrapped, are ``zlib_stream``."""
    return b"".join((SIGNATURE, chunk(b"IHDR", header(array)), chunk(b"IDAT", zlib_stream),
                     chunk(b"IEND", b"")))


def header(array: np.ndarray) -> bytes:
    """IHDR data: size, bit depth, colour type; deflate, adaptive filtering, no interlace."""
    height, width, channels = _shape(array)
    depth = 8 * array.dtype.itemsize
    return struct.pack(">IIBBBBB", width, height, depth, _COLOUR_TYPES[channels], 0, 0, 0)


def chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk: length, type, data, CRC-32 of type and data."""
    return b"".join((struct.pack(">I", len(data)), kind, data,
                     struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))))


def filtered_rows(array: np.ndarray, filter_type: int) -> np.ndarray:
    """The image data PNG deflates: per row, the filter-type byte then the row's bytes
    (samples big-endian) filtered byte-wise modulo 256, ``bpp`` bytes per pixel:
    None keeps them, Sub subtracts the byte ``bpp`` to the left, Up the byte above."""
    height, width, channels = _shape(array)
    bpp = channels * array.dtype.itemsize
    rows = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).view(np.uint8)
    rows = rows.reshape(height, width * bpp)
    out = np.empty((height, width * bpp + 1), np.uint8)
    out[:, 0] = filter_type
    if filter_type == FILTER_UP:
        out[0, 1:] = rows[0]
        np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    elif filter_type == FILTER_SUB:
        out[:, 1:bpp + 1] = rows[:, :bpp]
        np.subtract(rows[:, bpp:], rows[:, :-bpp], out=out[:, bpp + 1:])
    elif filter_type == FILTER_NONE:
        out[:, 1:] = rows
    else:
        raise ValueError(f"unsupported PNG filter type {filter_type}")
    return out


def _shape(array: np.ndarray) -> tuple[int, int, int]:
    """(height, width, channels) of an array PNG can hold, else ValueError."""
    if array.dtype.kind != "u" or array.dtype.itemsize not in (1, 2):
        raise ValueError(f"PNG holds uint8 or uint16 samples, not {array.dtype}")
    channels = 1 if array.ndim == 2 else array.shape[-1] if array.ndim == 3 else 0
    if channels not in _COLOUR_TYPES or 0 in array.shape[:2]:
        raise ValueError(f"cannot PNG-encode an array of shape {array.shape}")
    return array.shape[0], array.shape[1], channels

"""mattehub's own PNG writer (mattehub.contract.png, behind codecs.encode_png): every file
decodes to the same pixels in Pillow, OpenCV (libpng) and pyspng (libspng), is a
well-formed PNG, and is the same bytes on every run and machine."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from mattehub.contract import codecs, png

_RNG = np.random.default_rng(20)


def _matte(height: int, width: int) -> np.ndarray:
    """Mostly 0 and 255 with a soft border: a disc whose edge ramps over a few pixels
    (integer arithmetic only, so the pinned digests below hold on every machine)."""
    yy, xx = np.mgrid[:height, :width]
    inside = (min(height, width) // 3) ** 2 - ((2 * yy - height) ** 2 + (3 * xx - width) ** 2) // 4
    return np.clip(inside * 255 // (4 * min(height, width)), 0, 255).astype(np.uint8)


CORPUS = {
    "noise u8": _RNG.integers(0, 256, (37, 53), dtype=np.uint8),
    "noise u16": _RNG.integers(0, 65536, (29, 31), dtype=np.uint16),
    "noise rgb": _RNG.integers(0, 256, (17, 23, 3), dtype=np.uint8),
    "noise rgba": _RNG.integers(0, 256, (19, 11, 4), dtype=np.uint8),
    "noise rgb u16": _RNG.integers(0, 65536, (9, 7, 3), dtype=np.uint16),
    "zeros": np.zeros((48, 64), np.uint8),
    "all 255": np.full((33, 65), 255, np.uint8),
    "zeros u16": np.zeros((16, 16), np.uint16),
    "full range u16": np.array([[0, 1, 255, 256], [32767, 32768, 65534, 65535]], np.uint16),
    "gradient x": np.tile(np.arange(256, dtype=np.uint8), (5, 1)),
    "gradient y u16": np.repeat(np.linspace(0, 65535, 300).astype(np.uint16)[:, None], 3, axis=1),
    "gradient rgb": np.dstack([np.tile(np.arange(0, 250, 2, dtype=np.uint8), (40, 1))] * 3),
    "matte odd width": _matte(61, 97),
    "mostly empty plane": np.pad(_matte(20, 30), ((100, 120), (40, 250))),
    "1x1": np.array([[200]], np.uint8),
    "1x1 rgb": np.array([[[1, 2, 3]]], np.uint8),
    "1xN": _RNG.integers(0, 256, (1, 77), dtype=np.uint8),
    "Nx1": _RNG.integers(0, 256, (77, 1), dtype=np.uint8),
    "Nx1 u16": _RNG.integers(0, 65536, (13, 1), dtype=np.uint16),
    "1xN rgba": _RNG.integers(0, 256, (1, 9, 4), dtype=np.uint8),
    "strided view": _matte(80, 120)[::2, 1::3],
    "reversed channels view": _RNG.integers(0, 256, (8, 6, 3), dtype=np.uint8)[..., ::-1],
}
FILTERS = (png.FILTER_NONE, png.FILTER_SUB, png.FILTER_UP)
MODES = {(1, 1): "L", (1, 2): "I;16", (3, 1): "RGB", (4, 1): "RGBA"}


def _channels(array: np.ndarray) -> int:
    return 1 if array.ndim == 2 else array.shape[2]


def _check_decoders(data: bytes, array: np.ndarray) -> None:
    """Pixels, shape and dtype as written, in every decoder that reads that kind."""
    image = Image.open(io.BytesIO(data))
    if array.dtype == np.uint16 and array.ndim == 3:  # Pillow has no 16-bit RGB mode
        assert image.mode in ("RGB", "RGBA") and image.size == array.shape[1::-1]
    else:
        assert image.mode == MODES[_channels(array), array.dtype.itemsize]
        _assert_same(np.asarray(image), array)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    to_rgb = {3: cv2.COLOR_BGR2RGB, 4: cv2.COLOR_BGRA2RGBA}.get(_channels(array))
    _assert_same(decoded if to_rgb is None else cv2.cvtColor(decoded, to_rgb), array)


def _assert_same(decoded: np.ndarray, array: np.ndarray) -> None:
    assert decoded.dtype == array.dtype and decoded.shape == array.shape
    assert np.array_equal(decoded, array)


@pytest.mark.parametrize("filter_type", FILTERS)
@pytest.mark.parametrize("name", CORPUS)
def test_every_filter_decodes_to_the_same_pixels(name, filter_type):
    array = CORPUS[name]
    _check_decoders(png.encode(array, filter_type), array)


@pytest.mark.parametrize("name", CORPUS)
def test_pyspng_decodes_the_same_pixels(name):
    pyspng = pytest.importorskip("pyspng")  # in the test extra: a third decoder (libspng)
    array = CORPUS[name]
    for filter_type in FILTERS:
        decoded = pyspng.load(png.encode(array, filter_type))
        if array.dtype == np.uint16 and _channels(array) in (1, 3):  # pyspng adds opaque
            assert (decoded[..., -1] == 65535).all()                 # alpha to 16-bit
            decoded = decoded[..., 0] if array.ndim == 2 else decoded[..., :3]
        _assert_same(decoded, array)


@pytest.mark.parametrize("smooth", (False, True))
@pytest.mark.parametrize("name", CORPUS)
def test_encode_png_decodes_to_the_same_pixels_and_repeats_its_bytes(name, smooth):
    array = CORPUS[name]
    data = codecs.encode_png(array, smooth=smooth)
    _check_decoders(data, array)
    assert codecs.encode_png(array.copy(), smooth=smooth) == data
    if array.ndim == 3:  # bgr: the same image handed over in OpenCV's channel order
        assert codecs.encode_png(np.ascontiguousarray(array[..., [2, 1, 0, 3][:array.shape[2]]]),
                                 bgr=True) == data


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == png.SIGNATURE
    chunks, at = [], 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body, crc = data[at + 8:at + 8 + length], data[at + 8 + length:at + 12 + length]
        assert struct.unpack(">I", crc)[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


@pytest.mark.parametrize(("name", "smooth", "depth", "colour", "row_filter"), [
    ("matte odd width", False, 8, 0, png.FILTER_NONE),
    ("matte odd width", True, 8, 0, png.FILTER_UP),
    ("noise u16", False, 16, 0, png.FILTER_UP),
    ("noise rgb", False, 8, 2, png.FILTER_SUB),
    ("noise rgba", False, 8, 6, png.FILTER_SUB),
])
def test_encode_png_writes_one_fixed_filter_per_kind(name, smooth, depth, colour, row_filter):
    """IHDR, one IDAT, IEND with valid CRCs; every row carries the kind's filter byte."""
    array = CORPUS[name]
    chunks = _chunks(codecs.encode_png(array, smooth=smooth))
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    height, width = array.shape[:2]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (width, height, depth, colour, 0, 0, 0)
    rows = np.frombuffer(zlib.decompress(chunks[1][1]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == row_filter).all()


def test_the_deflate_stream_is_plain_run_length_deflate():
    """zlib-ng's run-length strategy gives stock zlib's bytes: nothing machine-specific."""
    data = png.filtered_rows(CORPUS["mostly empty plane"], png.FILTER_NONE).tobytes()
    data += _RNG.integers(0, 4, 200_000, dtype=np.uint8).tobytes()  # several deflate blocks
    stock = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    assert png.rle_deflate(data) == stock.compress(data) + stock.flush()


def _pinned_arrays() -> dict[str, tuple[np.ndarray, bool]]:
    ramp = np.linspace(0, 60000, 64 * 48).reshape(48, 64).astype(np.uint16)
    rgb = np.dstack([_matte(40, 50), _matte(40, 50)[::-1], np.full((40, 50), 90, np.uint8)])
    return {"matte": (_matte(61, 97), False), "depth u16": (ramp, False),
            "smooth u8": ((ramp >> 8).astype(np.uint8), True), "rgb": (rgb, False)}


# sha256 of codecs.encode_png output. A change means stored sample bytes change: only for a
# deliberate codec change, noted in the changelog, never for a dependency bump alone.
DIGESTS = {
    "matte": "b1aea9726589bce0701f00eea134ef7e9a5a6dc658143724d09df24086a78bc1",
    "depth u16": "5d6e6130bf08b54a9a667e517f0cebfbb4059af5b99b01e2c5a7175183c2e2b8",
    "smooth u8": "47ab7bd790c3d18c028bb593d66e59b9e04b30234344c497733523fb593c72a8",
    "rgb": "8ee5f5c7c1f3a5c9d9e3a68c438645aea8d8b77939efdac9f9fe1b2987f2f86e",
}


@pytest.mark.parametrize("name", DIGESTS)
def test_encoded_bytes_are_pinned(name):
    array, smooth = _pinned_arrays()[name]
    assert hashlib.sha256(codecs.encode_png(array, smooth=smooth)).hexdigest() == DIGESTS[name]


@pytest.mark.parametrize("array", [np.zeros((4, 4), np.float32), np.zeros((4, 4), np.int16),
                                   np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4), np.uint8),
                                   np.zeros((4, 4, 4, 1), np.uint8), np.zeros((4, 4), np.uint32)])
def test_arrays_png_cannot_hold_are_refused(array):
    with pytest.raises(ValueError):
        png.encode(array, png.FILTER_NONE)

"""The one gate every source read goes through: complete, decodable, normalised to the contract.

Synthesis inputs (HHM images and alphas, backgrounds, video frames), release members and
every later source family read their files through these functions, so a damaged input is
caught the same way wherever it comes from:

* **complete**: a JPEG must end with its end-of-image marker; a PNG's chunks must all be
  there, CRCs right, up to ``IEND`` (OpenCV decodes a truncated file with grey filler and
  only a warning; Pillow fails later, at training time);
* **decodable**: the header parses (pass-through bytes), or the pixels decode;
* **normalised**: a matte (alpha, mask) becomes 8-bit single-channel at its image's size.
  16-bit is rounded to 8 bits; a colour matte becomes grey (BT.601 luma, OpenCV's
  ``cvtColor``: within one level of ``cv2.imread(p, 0)``, how matting code bases read
  alphas); an RGBA matte uses its A channel unless A is constant (then its colour channels
  carry the matte). A matte of another size than its
  image is refused: resizing would invent a matte.

Problems raise :class:`~mattehub.core.errors.SourceError` naming the file; recipes turn that into
a counted skip. Each normalisation is returned as a note, so recipes can say in the stats
what was converted.
"""
from __future__ import annotations

import contextlib
import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from mattehub.contract import codecs
from mattehub.contract.choices import DEFAULT_JPEG_QUALITY
from mattehub.core.errors import SourceError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_GRAY, PNG_RGB, PNG_8_BIT = 0, 2, 8
ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
FIX = "re-download it, or remove it from the sources (or list it in the invalid-names file)"
_DECODE_ANY = cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION


@dataclass(frozen=True)
class Matte:
    """A matte that passed the gate: pixels, bytes to store, and what was converted."""

    array: np.ndarray
    """uint8 (H, W)."""
    data: bytes
    """The source bytes when they already are an 8-bit grey PNG, else a lossless re-encoding."""
    note: str | None = None
    """What normalisation did (None: nothing), for the stats."""


def read_file(path: str | Path) -> bytes:
    """Read a whole file, turning OS errors into a SourceError that names it."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror or exc}") from None


def check_complete(data: bytes, name: str | Path) -> None:
    """Refuse truncated or damaged JPEG/PNG files (other formats: left to the decoder)."""
    kind = codecs.sniff_format(data)
    if kind == "jpg" and not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        raise SourceError(name, "is a truncated JPEG (no end-of-image marker)", FIX)
    if kind == "png":
        problem = _png_problem(data)
        if problem:
            raise SourceError(name, f"is a damaged PNG ({problem})", FIX)
    if not data:
        raise SourceError(name, "is empty (0 bytes)", FIX)


def _png_problem(data: bytes) -> str | None:
    """What is wrong with a PNG's chunk structure, or None: every chunk whole, CRC right,
    ending with IEND. Costs one CRC pass over the file (far less than decoding it)."""
    at, view = len(PNG_SIGNATURE), memoryview(data)
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        end = at + 12 + length
        if end > len(data):
            return f"truncated inside its {kind.decode('latin-1')} chunk"
        if zlib.crc32(view[at + 4:end - 4]) != struct.unpack(">I", data[end - 4:end])[0]:
            return f"CRC error in its {kind.decode('latin-1')} chunk at byte {at}"
        if kind == b"IEND":
            return None
        at = end
    return "truncated: no IEND chunk"


@contextlib.contextmanager
def open_image(source: str | Path | io.BytesIO, name: str | Path) -> Iterator[Image.Image]:
    """Open an image's header with Pillow; SourceError naming ``name`` when it is not a
    readable image or exceeds Pillow's pixel limit (``DecompressionBombError``, which is no
    ``OSError``: it would otherwise escape as a traceback)."""
    try:
        with Image.open(source) as image:
            yield image
    except Image.DecompressionBombError:
        raise SourceError(name, f"has more pixels than Pillow's limit ({Image.MAX_IMAGE_PIXELS} "
                                "pixels, Image.MAX_IMAGE_PIXELS): refused as a possible "
                                "decompression bomb", FIX) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SourceError(name, f"is not a readable image ({type(exc).__name__})", FIX) from None


def image_header(data: bytes, name: str | Path) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied) of complete image bytes that
    are passed through undecoded; SourceError if incomplete or not an image."""
    check_complete(data, name)
    with open_image(io.BytesIO(data), name) as image:
        return displayed_size(image, data)


def displayed_size(image: Image.Image, data: bytes | None = None) -> tuple[int, int]:
    """(width, height) of an opened image as shown: swapped when its EXIF orientation
    turns it by 90 degrees (as ``decode_rgb`` and ``datasets`` apply it)."""
    width, height = image.size
    if orientation(image, data) in ROTATED:
        return height, width
    return width, height


_PNG_METADATA = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})
"""PNG chunks Pillow reads an orientation from: eXIf, and the text chunks that may hold a
"Raw profile type exif" or XMP's tiff:Orientation."""


def png_may_be_rotated(data: bytes) -> bool:
    """Whether a PNG has a chunk an EXIF orientation could come from (chunk headers only).
    Pillow's ``getexif`` on a PNG decodes every pixel to reach chunks after the image data
    (2 ms for a 512 x 288 frame): a PNG with no such chunk is upright without that cost."""
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind in _PNG_METADATA:
            return True
        if kind == b"IEND":
            return False
        at += 12 + length
    return True  # no IEND found: let Pillow decide


def orientation(image: Image.Image, data: bytes | None = None) -> int:
    """The EXIF orientation of an opened image (1: upright, also when absent or invalid).
    ``data``: the image's bytes, when at hand, let a PNG without metadata chunks skip
    Pillow's decode (``png_may_be_rotated``)."""
    if data is not None and data[:8] == PNG_SIGNATURE and not png_may_be_rotated(data):
        return 1
    value = image.getexif().get(codecs.ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


@dataclass(frozen=True)
class RgbImage:
    """An RGB image that passed the gate for pass-through: the bytes to store, its size,
    and what was converted."""

    data: bytes
    """The source bytes when they already are plain upright 8-bit RGB, else a re-encoding."""
    size: tuple[int, int]
    """(width, height) of the stored image (upright)."""
    note: str | None = None
    """Why the source was re-encoded (None: stored byte for byte), for the stats."""


def pass_through_rgb(data: bytes, name: str | Path, image_format: str,
                     quality: int = DEFAULT_JPEG_QUALITY) -> RgbImage:
    """Check image bytes meant to be stored as is in an RGB field of ``image_format``.

    Bytes that every reader decodes to the same upright 8-bit RGB (a 3-component JPEG, a
    PNG of colour type RGB at 8 bits, in the field's format, without an EXIF rotation) are
    kept byte for byte. Anything else (grey, CMYK, RGBA, palette, 16-bit, EXIF-rotated) is
    decoded, turned upright, made 8-bit RGB (alpha dropped, as ``cv2.imread`` reads it) and
    re-encoded (JPEG at ``quality``, or lossless PNG), with a note saying why: readers
    that ignore EXIF (OpenCV, webdataset) and those that apply it would otherwise disagree.
    """
    check_complete(data, name)
    with open_image(io.BytesIO(data), name) as image:
        size, turn = image.size, orientation(image, data)
        problem = _not_plain_rgb(data, image, image_format, turn)
    if problem is None:
        return RgbImage(data, size, None)
    array = cv2.imdecode(np.frombuffer(data, np.uint8),
                         cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION)
    if array is None:
        raise SourceError(name, "cannot be decoded as an image (corrupt or truncated file?)", FIX)
    if array.dtype == np.uint16:
        array = _to_8_bits(array)
    array = upright(array, turn)
    stored = codecs.encode_rgb(array, image_format, quality, bgr=True)
    return RgbImage(stored, (array.shape[1], array.shape[0]),
                    f"{problem}: stored as upright 8-bit RGB {image_format.upper()}")


def _not_plain_rgb(data: bytes, image: Image.Image, image_format: str, turn: int) -> str | None:
    """Why ``data`` cannot be stored as is in an RGB field of ``image_format`` (None: it can)."""
    kind = codecs.sniff_format(data)
    if kind != image_format:
        return f"{image.format or 'unknown'} image in a {image_format.upper()} field"
    if kind == "jpg" and image.mode != "RGB":
        return f"{image.mode} JPEG ({len(image.getbands())} component(s), not YCbCr/RGB)"
    if kind == "png" and (data[24], data[25]) != (PNG_8_BIT, PNG_RGB):
        return f"{image.mode} PNG (colour type {data[25]}, {data[24]}-bit; not 8-bit RGB)"
    if turn != 1:
        return f"EXIF orientation {turn}"
    return None


_TURNS = {2: lambda a: cv2.flip(a, 1), 3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
          4: lambda a: cv2.flip(a, 0), 5: lambda a: cv2.transpose(a),
          6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
          7: lambda a: cv2.rotate(cv2.transpose(a), cv2.ROTATE_180),
          8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE)}


def upright(array: np.ndarray, turn: int) -> np.ndarray:
    """``array`` as displayed under EXIF orientation ``turn`` (``PIL.ImageOps.exif_transpose``)."""
    return np.ascontiguousarray(_TURNS[turn](array)) if turn in _TURNS else array


def decode_rgb(data: bytes, name: str | Path, bgr: bool = False) -> np.ndarray:
    """Decode complete image bytes to RGB uint8 (H, W, 3), EXIF orientation applied
    (as ``datasets`` shows it); ``bgr``: keep OpenCV's channel order (no conversion)."""
    check_complete(data, name)
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if array is None:
        raise SourceError(name, "cannot be decoded as an image (corrupt or truncated file?)", FIX)
    return array if bgr else cv2.cvtColor(array, cv2.COLOR_BGR2RGB)


def decode_rgba(data: bytes, name: str | Path) -> tuple[np.ndarray, np.ndarray | None, str | None]:
    """Decode a foreground cut-out: (BGR uint8 (H, W, 3), its alpha uint8 (H, W) or None
    when the file has none, a note on what was converted or None). Pixels as stored (no
    EXIF rotation: a cut-out and its mask file are compared as stored); 16-bit is rounded
    to 8 bits, grey becomes BGR."""
    check_complete(data, name)
    array = cv2.imdecode(np.frombuffer(data, np.uint8), _DECODE_ANY)
    if array is None:
        raise SourceError(name, "cannot be decoded as an image (corrupt or truncated file?)", FIX)
    note = None
    if array.dtype == np.uint16:
        array, note = _to_8_bits(array), "16-bit image rounded to 8 bits"
    elif array.dtype != np.uint8:
        raise SourceError(name, f"is a {array.dtype} image; foregrounds must be 8- or 16-bit")
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR), None, note
    if array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3]), np.ascontiguousarray(array[:, :, 3]), note
    return array, None, note


def _to_8_bits(array: np.ndarray) -> np.ndarray:
    """16-bit values rounded to the nearest 8-bit level (65535 -> 255)."""
    return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def depth_png16(data: bytes, name: str | Path, size: tuple[int, int]) -> np.ndarray:
    """A 16-bit single-channel PNG depth map (e.g. millimetres) at ``size`` (W, H), as uint16;
    anything else is refused: rescaling 8-bit values or resizing would invent depths."""
    check_complete(data, name)
    array = cv2.imdecode(np.frombuffer(data, np.uint8), _DECODE_ANY)
    if array is None:
        raise SourceError(name, "cannot be decoded as a depth map (corrupt or truncated file?)", FIX)
    if array.dtype != np.uint16 or array.ndim != 2:
        channels = 1 if array.ndim == 2 else array.shape[2]
        raise SourceError(name, f"is {array.dtype} with {channels} channel(s); a depth map must be "
                                "a 16-bit single-channel PNG", "save depths as uint16 PNG in millimetres")
    if (array.shape[1], array.shape[0]) != tuple(size):
        raise SourceError(name, f"is {array.shape[1]}x{array.shape[0]} but its background is "
                                f"{size[0]}x{size[1]}", "a depth map must have its background's size")
    return array


def decode_matte(data: bytes, name: str | Path, size: tuple[int, int] | None = None,
                 keep_lossy: bool = False) -> Matte:
    """Decode, check and normalise a matte; ``size`` (width, height) is its image's.
    ``keep_lossy``: a JPEG matte that needs no normalisation keeps its own bytes (pass-through
    readers), instead of being stored as PNG."""
    check_complete(data, name)
    array = cv2.imdecode(np.frombuffer(data, np.uint8), _DECODE_ANY)
    if array is None:
        raise SourceError(name, "cannot be decoded as a matte (corrupt or truncated file?)", FIX)
    array, note = normalise_matte(array, name)
    if size is not None and (array.shape[1], array.shape[0]) != tuple(size):
        raise SourceError(name, f"is {array.shape[1]}x{array.shape[0]} but its image is "
                                f"{size[0]}x{size[1]}", "mattes must have their image's size")
    if note is None and not _is_gray8_png(data) and not keep_lossy:
        note = f"{codecs.sniff_format(data) or 'non-PNG'} matte stored as 8-bit grey PNG"
    stored = data if note is None else codecs.encode_png(array)
    return Matte(array, stored, note)


def normalise_matte(array: np.ndarray, name: str | Path) -> tuple[np.ndarray, str | None]:
    """An 8-bit (H, W) matte from a decoded array (OpenCV channel order), and a note
    saying what was converted (None when nothing was)."""
    notes = []
    if array.dtype == np.uint16:
        array = _to_8_bits(array)
        notes.append("16-bit matte rounded to 8 bits")
    elif array.dtype != np.uint8:
        raise SourceError(name, f"is a {array.dtype} matte; mattes must be 8- or 16-bit")
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = array[:, :, 3]
        if alpha.min() != alpha.max():
            notes.append("RGBA matte: used its A channel")
            array = alpha
        else:
            notes.append("RGBA matte with a constant A channel: used its colour channels")
            array = array[:, :, :3]
    if array.ndim == 3:
        same = bool((array == array[:, :, :1]).all())
        array = array[:, :, 0] if same else cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
        notes.append("grey matte stored as colour: used one channel" if same
                     else "colour matte converted to grey (luma)")
    return np.ascontiguousarray(array), "; ".join(notes) or None


TRIMAP_VALUES = (0, 128, 255)
"""Background, unknown, foreground: the only values a stored trimap holds."""


def check_trimap(matte: Matte, name: str | Path) -> Matte:
    """A decoded trimap with values in ``TRIMAP_VALUES`` only. A 0/1/2 label trimap (values
    within {0, 1, 2}, 2 present, so the scale is plain) is mapped to 0/128/255 with a note;
    any other value set is refused: rounding it would invent unknown regions (or empty them,
    as a 0/1/2 trimap stored as is empties an evaluation's unknown region)."""
    values = np.unique(matte.array)
    if np.isin(values, TRIMAP_VALUES).all():
        return matte
    if np.isin(values, (0, 1, 2)).all() and values.max() == 2:
        array = np.asarray(TRIMAP_VALUES, np.uint8)[matte.array]
        note = "; ".join(filter(None, (matte.note, "0/1/2 trimap mapped to 0/128/255")))
        return Matte(array, codecs.encode_png(array), note)
    shown = ", ".join(str(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
    raise SourceError(name, f"is not a trimap: values {shown} (a trimap holds 0 background, "
                            "128 unknown, 255 foreground; or 0/1/2)", FIX)


def _is_gray8_png(data: bytes) -> bool:
    """True for a PNG whose header says 8-bit greyscale: loads as mode ``L`` everywhere."""
    return (data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
            and data[24] == PNG_8_BIT and data[25] == PNG_GRAY)


def note_event(name: str | Path, note: str) -> dict:
    """The stats event recording a normalised input."""
    return {"kind": "normalised_input", "path": str(name), "reason": note}


def bad_input_event(error: SourceError) -> dict:
    """The stats event recording an input that failed the gate."""
    return {"kind": "bad_input", "path": error.path, "reason": error.problem}


def check_frame(array: np.ndarray, size: tuple[int, int], name: str | Path, what: str) -> None:
    """Refuse a video frame (or its matte) whose size is not the clip's ``size`` (W, H)."""
    if (array.shape[1], array.shape[0]) != tuple(size):
        raise SourceError(name, f"{what} is {array.shape[1]}x{array.shape[0]} but the clip is "
                                f"{size[0]}x{size[1]}", "every frame of a clip must have one size")


def label_map(array: np.ndarray, size: tuple[int, int], name: str | Path, what: str) -> np.ndarray:
    """A label map (part segmentation) as uint8 (H, W), checked, never rescaled.

    Labels are identities, not intensities: a map must already be single-channel, integral
    and within 0..255 at the image's ``size`` (W, H), else it is refused (converting would
    merge or invent labels).
    """
    array = np.asarray(array)
    if array.ndim != 2:
        raise SourceError(name, f"{what} has shape {array.shape}; a label map is 2-D (H, W)", FIX)
    if not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise SourceError(name, f"{what} is {array.dtype}; labels must be integers", FIX)
    if array.size and (array.min() < 0 or array.max() > 255):
        raise SourceError(name, f"{what} has labels outside 0..255 ({array.min()}..{array.max()})", FIX)
    check_frame(array, size, name, what)
    return np.ascontiguousarray(array, dtype=np.uint8)


def depth_map(array: np.ndarray, size: tuple[int, int], name: str | Path, what: str) -> np.ndarray:
    """A depth map as float32 (H, W) in the source's units, checked against ``size`` (W, H);
    complex values are refused, not cast (the cast would drop their imaginary part)."""
    array = np.asarray(array)
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise SourceError(name, f"{what} is {array.dtype} of shape {array.shape}; a depth map "
                                "is a 2-D array of real numbers", FIX)
    check_frame(array, size, name, what)
    return array.astype(np.float32, copy=False)

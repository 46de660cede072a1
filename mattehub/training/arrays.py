"""Decoded samples as uint8 numpy arrays: one example dict for images, clips and both loaders.

``to_arrays`` turns a sample as ``datasets`` yields it (``PIL`` images, lists of them, lists
of lists for clips), as the ``webdataset`` library yields it (bytes, ``.decode("rgb8")``
arrays) or as ``datasets`` yields it with ``Image(decode=False)`` (``{"bytes", "path"}``) into
one layout, so every transform and the collate function see the same thing:

========================== ====================== ======================
field                      image sample           clip sample
========================== ====================== ======================
``image``, ``bg``          (H, W, 3) uint8        -
``frames``                 -                      (T, H, W, 3) uint8
``alpha``, ``trimap``...   (H, W) uint8           -
``instance_alphas/masks``  (K, H, W) uint8        (T, K, H, W) uint8
``fg``                     (K, H, W, 3) or        -
                           (H, W, 3) uint8
========================== ====================== ======================

An empty instance list (``instance_masks == []``: no masks for this sample) becomes a
(0, H, W) or (T, 0, H, W) array, so shapes never depend on emptiness. Every other key
(``__key__``, ``meta``...) is passed through untouched. Stored bytes are decoded without
Pillow where ``mattehub.training.stored`` has a route that gives Pillow's pixels exactly
(mattehub's PNGs, other 8/16-bit PNGs, plain JPEGs), each list decoded straight into its
stacked array; everything else (and ``PIL`` images ``datasets`` already decoded) goes
through Pillow, the decoder ``datasets`` and ``webdataset`` use.
"""
from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import msgpack
import numpy as np
import PIL.Image
import PIL.ImageOps

from mattehub.training import stored

COLOUR_FIELDS: tuple[str, ...] = ("image", "frames", "fg", "bg")
"""RGB fields: decoded to (..., H, W, 3); their spatial axes are the 3rd and 2nd from last."""
GREY_FIELDS: tuple[str, ...] = ("alpha", "trimap", "instance_alphas", "instance_masks", "mask",
                                "segmentation", "depth")
"""Single-channel fields as stored: decoded to (..., H, W) (``depth`` keeps its 16 bits)."""
DERIVED_FIELDS: tuple[str, ...] = ("unknown", "instance_trimaps", "instance_unknown", "pixel_mask")
"""Single-channel fields the transforms add (``mattehub.training.transforms``)."""
REFERENCE_FIELDS: tuple[str, ...] = ("frames", "image", "alpha")
"""Fields that give a sample's canvas size (and T for clips), in order of preference."""


def is_colour(name: str) -> bool:
    """True for RGB fields, whose last axis is the channel axis (3)."""
    return name in COLOUR_FIELDS


def spatial_fields(example: Mapping[str, Any]) -> list[str]:
    """Names of the per-pixel fields present in ``example``: the ones a crop or a pad must touch."""
    return [name for name in (*COLOUR_FIELDS, *GREY_FIELDS, *DERIVED_FIELDS) if name in example]


def spatial_size(example: Mapping[str, Any]) -> tuple[int, int]:
    """(H, W) shared by every per-pixel array of a decoded ``example``.

    Raises ValueError if two fields disagree: a crop or a pad would misalign them silently.
    """
    sizes = {}
    for name in spatial_fields(example):
        shape = np.shape(example[name])
        sizes[name] = tuple(shape[-3:-1]) if is_colour(name) else tuple(shape[-2:])
    if not sizes:
        raise ValueError(f"no per-pixel field in example (keys: {sorted(example)})")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"per-pixel fields have different sizes: {sizes}")
    return next(iter(sizes.values()))


def decode_image(value: Any, colour: bool, name: str = "image") -> np.ndarray:
    """One image as a numpy array: (H, W, 3) uint8 if ``colour``, else (H, W).

    Accepts a ``PIL.Image``, encoded bytes, a ``datasets`` ``{"bytes", "path"}`` dict or an
    already decoded array (``webdataset``'s ``.decode("rgb8")`` gives mattes as 3 equal
    channels; they are reduced to one). ``name`` is only used in error messages.
    """
    if isinstance(value, np.ndarray):
        return _checked_array(value, colour, name)
    data = _stored_bytes(value)
    if data is not None:
        found = stored.header(data, colour)
        array = None if found is None else stored.decode(data, found)
        if array is not None:
            return array
    if isinstance(value, dict):
        value = value["bytes"] if value.get("bytes") is not None else _path_image(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = _open(io.BytesIO(value))
    elif isinstance(value, str):
        value = _open(value)
    if not isinstance(value, PIL.Image.Image):
        raise ValueError(f"{name}: cannot decode a {type(value).__name__} as an image")
    return _pil_array(value, colour, name)


def _stored_bytes(value: Any) -> bytes | bytearray | memoryview | None:
    """The encoded bytes of ``value`` (bytes, or a ``datasets`` ``{"bytes", "path"}`` dict
    holding them), else None."""
    if isinstance(value, dict):
        value = value.get("bytes")
    return value if isinstance(value, (bytes, bytearray, memoryview)) else None


def _path_image(value: dict) -> PIL.Image.Image | str:
    """A ``{"bytes": None, "path"}`` value: a local path is opened below as before; a remote
    one (``hf://``, ``https://``) is read by ``datasets``' own ``Image`` (tokens, retries)."""
    path = value["path"]
    if "://" not in str(path):
        return path
    import datasets

    return datasets.Image().decode_example(value)


def _open(source) -> PIL.Image.Image:
    """Open and load an image, applying EXIF orientation as ``datasets``' ``Image`` does."""
    image = PIL.Image.open(source)
    image.load()
    if image.getexif().get(PIL.Image.ExifTags.Base.Orientation) is not None:
        image = PIL.ImageOps.exif_transpose(image)
    return image


def _pil_array(image: PIL.Image.Image, colour: bool, name: str) -> np.ndarray:
    """The pixels of ``image``: RGB for colour fields; grey fields must already be one channel.
    A writable array (``np.asarray`` of a PIL image is read-only): torch warns on read-only
    arrays, and augmentations may write in place."""
    if colour:
        return np.array(image if image.mode == "RGB" else image.convert("RGB"))
    if image.mode == "L" or image.mode.startswith("I;16"):
        return np.array(image)
    raise ValueError(f"{name}: expected a single-channel image (mode L or I;16), got mode {image.mode}")


def _checked_array(array: np.ndarray, colour: bool, name: str) -> np.ndarray:
    """Validate a pre-decoded array; collapse a grey image decoded as 3 equal channels."""
    if colour:
        if array.ndim == 3 and array.shape[2] == 3 and array.dtype == np.uint8:
            return array
        raise ValueError(f"{name}: expected uint8 (H, W, 3), got {array.dtype} {array.shape}; "
                         "decode with webdataset's .decode('rgb8') or not at all")
    if array.ndim == 3 and array.shape[2] in (1, 3):
        if array.shape[2] == 3 and not (np.array_equal(array[..., 0], array[..., 1])
                                        and np.array_equal(array[..., 0], array[..., 2])):
            raise ValueError(f"{name}: a single-channel field decoded with 3 different channels")
        array = array[..., 0]
    if array.ndim != 2 or array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{name}: expected uint8 (H, W), got {array.dtype} {array.shape}")
    return array


def _stacked(value: Any, name: str, empty_shape: tuple[int, ...]) -> np.ndarray:
    """Decode an image, a list of images or a list of lists, stacking along new leading axes.

    ``empty_shape`` is the shape an empty list at this level stands for (e.g. (0, H, W)).
    """
    if not isinstance(value, (list, tuple)):
        return decode_image(value, is_colour(name), name)
    if not value:
        return np.zeros(empty_shape, np.uint8)
    direct = _stacked_stored(value, is_colour(name))
    if direct is not None:
        return direct
    items = [_stacked(item, name, empty_shape[1:]) for item in value]
    try:
        return np.stack(items)
    except ValueError as error:
        raise ValueError(f"{name}: elements of different shapes {[i.shape for i in items]}") from error


def _stacked_stored(value: list | tuple, colour: bool) -> np.ndarray | None:
    """A rectangular list (or list of lists) of stored bytes decoded straight into one
    (N[, K], ...) array, with no per-item array and no stacking copy; None when an item has
    no ``stored`` route, the items differ in size, or the lists are ragged or empty (the
    item-by-item path then decodes, or raises as before)."""
    lead, leaves = _rectangular(value)
    if not leaves:
        return None
    headers = []
    for data in leaves:
        found = stored.header(data, colour)
        if found is None or (headers and found[:2] != headers[0][:2]):
            return None
        headers.append(found)
    out = np.empty((*lead, *headers[0].shape), headers[0].dtype)
    slots = out.reshape(-1, *headers[0].shape)
    for data, found, slot in zip(leaves, headers, slots):
        if stored.decode(data, found, slot) is None:
            return None
    return out


def _rectangular(value: list | tuple) -> tuple[tuple[int, ...], list]:
    """(leading shape, stored bytes in order) of a list, or a list of equal-length lists, of
    stored bytes; ((), []) for anything else."""
    if all(isinstance(item, (list, tuple)) for item in value):
        inner = [_rectangular(item) for item in value]
        if not inner or any(lead != inner[0][0] or not leaves for lead, leaves in inner):
            return (), []
        return (len(value), *inner[0][0]), [data for _, leaves in inner for data in leaves]
    leaves = [_stored_bytes(item) for item in value]
    if any(data is None for data in leaves):
        return (), []
    return (len(value),), leaves


def _empty_shape(name: str, decoded: Mapping[str, Any]) -> tuple[int, ...]:
    """Shape of an empty instance list of field ``name``: (0, H, W[, 3]) or (T, 0, H, W[, 3]).

    Taken from the first ``REFERENCE_FIELDS`` entry already decoded in ``decoded``.
    """
    reference = next((r for r in REFERENCE_FIELDS if isinstance(decoded.get(r), np.ndarray)), None)
    if reference is None:
        raise ValueError(f"{name}: an empty list needs 'frames', 'image' or 'alpha' to give its shape")
    shape = decoded[reference].shape
    size = shape[-3:-1] if is_colour(reference) else shape[-2:]
    clip = (shape[0],) if reference == "frames" else ()
    channels = (3,) if is_colour(name) else ()
    return (*clip, 0, *size, *channels)


def to_arrays(example: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``example`` with every image field decoded and stacked to a uint8 array.

    Works for image and clip samples alike (see the module docstring for the shapes), from
    ``datasets`` rows (Parquet or WebDataset configs, after ``from_webdataset``'s renaming)
    and from ``webdataset`` samples (via ``from_webdataset``). Why one function: the
    transforms and the collate function can then rely on arrays of fixed rank per field.
    """
    out = dict(example)
    names = spatial_fields(example)
    ordered = [n for n in REFERENCE_FIELDS if n in names]
    ordered += [n for n in names if n not in REFERENCE_FIELDS]
    for name in ordered:
        value = example[name]
        empty = _empty_shape(name, out) if _has_empty_list(value) else ()
        out[name] = _stacked(value, name, empty)
    return out


def _has_empty_list(value: Any) -> bool:
    """True if ``value`` is an empty list or a list of empty lists (a clip with no instances)."""
    if not isinstance(value, (list, tuple)):
        return False
    return not value or (isinstance(value[0], (list, tuple)) and not value[0])


def from_webdataset(sample: Mapping[str, Any]) -> dict[str, Any]:
    """A ``webdataset``-library (or ``datasets`` ``-wds`` config) sample as a ``to_arrays`` example.

    Member names lose their extension (``instance_alphas.mp`` -> ``instance_alphas``,
    ``meta.json`` -> ``meta``; ``wids`` spells them with a leading dot, ``.image.jpg``, which
    goes too, and hands undecoded members over as ``BytesIO``: read as bytes); msgpack lists and JSON still in bytes (no ``.decode()`` in the pipeline) are
    unpacked; then every image is decoded with ``to_arrays``. Keys starting with ``__``
    (``__key__``, ``__url__``) are kept as they are.
    """
    example: dict[str, Any] = {}
    for key, value in sample.items():
        if key.startswith("__"):
            example[key] = value
            continue
        name, _, ext = key.lstrip(".").partition(".")
        if isinstance(value, io.BytesIO):
            value = value.getvalue()
        if ext in ("mp", "msgpack") and isinstance(value, (bytes, bytearray)):
            value = msgpack.unpackb(value, raw=False)
        elif ext == "json" and isinstance(value, (bytes, bytearray, str)):
            value = json.loads(value)
        example[name] = value
    return to_arrays(example)

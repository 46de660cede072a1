"""Per-sample checks of ``mattehub verify``: the fields the split summary declares, every
picture decodes, all pictures (and ``meta``) agree on the size, and ``alpha`` is the sum of
``instance_alphas`` up to rounding."""
from __future__ import annotations

from typing import Any, Iterator

import cv2
import numpy as np

from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, META
from mattehub.core.errors import SourceError
from mattehub.inputs.gate import check_complete
from mattehub.formats.base import BadField

MATTE_FIELDS = ("alpha", "instance_alphas", "instance_masks", "mask")


def sample_problems(fields: dict[str, Any]) -> Iterator[str]:
    """Decoding, size and matte problems of one sample, as '<field>: <problem>'."""
    sizes: dict[str, tuple[int, int]] = {}
    mattes: dict[str, np.ndarray] = {}
    for name, value in fields.items():
        if isinstance(value, BadField):
            yield f"{name}: {value}"
            continue
        if isinstance(value, dict):  # meta
            continue
        for label, data in _pictures(name, value):
            try:
                array = _decode(data, name)
            except BadField as exc:
                yield f"{label}: {exc}"
                continue
            sizes[label] = (array.shape[1], array.shape[0])
            if name in ("alpha", "instance_alphas"):
                mattes[label] = array
    yield from _size_problems(sizes, fields.get("meta"))
    yield from _matte_problems(fields, mattes)


def schema_problems(fields: dict[str, Any], expected: dict[str, str] | None) -> Iterator[str]:
    """Fields missing, unexpected or of another kind than the split summary declares."""
    if expected is None:
        return
    for name in sorted(set(expected) - set(fields)):
        yield f"{name}: missing (the split summary declares it)"
    for name in sorted(set(fields) - set(expected)):
        yield f"{name}: not declared in the split summary"
    for name in sorted(set(fields) & set(expected)):
        actual, declared = _kind_of(fields[name]), expected[name]
        if None not in (actual, declared) and actual != declared and not (
                fields[name] == [] and declared in (IMAGE_LIST, CLIP)):
            yield f"{name}: holds kind {actual!r}, the split summary declares {declared!r}"


def _kind_of(value: Any) -> str | None:
    """The contract kind a decoded value has (None for a BadField or something unknown)."""
    if isinstance(value, bytes):
        return IMAGE
    if isinstance(value, dict):
        return META
    if isinstance(value, list):
        if all(isinstance(item, list) for item in value) and value:
            return CLIP
        return IMAGE_LIST if all(isinstance(item, bytes) for item in value) else None
    return None


def _pictures(label: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(label, encoded bytes) of every picture in a field: ``fg[1]``, ``instance_alphas[3][0]``."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _pictures(f"{label}[{i}]", item)
    else:
        yield label, value


def _decode(data: Any, name: str) -> np.ndarray:
    """Decode one picture; a matte field must be 8-bit single-channel."""
    if not isinstance(data, bytes) or not data:
        raise BadField("holds no image bytes")
    try:
        check_complete(data, name)
    except SourceError as exc:
        raise BadField(exc.problem) from None
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise BadField("cannot be decoded as an image (damaged bytes)")
    if name in MATTE_FIELDS and (array.ndim != 2 or array.dtype != np.uint8):
        raise BadField(f"is not an 8-bit single-channel matte ({array.dtype}, shape {array.shape})")
    return array


def _size_problems(sizes: dict[str, tuple[int, int]], meta: Any) -> Iterator[str]:
    """Every picture has the size of the image (or first frame), as meta says."""
    if not sizes:
        return
    reference = next((label for label in ("image", "frames[0]") if label in sizes), next(iter(sizes)))
    width, height = sizes[reference]
    for label, (w, h) in sizes.items():
        if (w, h) != (width, height):
            yield f"{label}: is {w}x{h}, {reference} is {width}x{height}"
    if isinstance(meta, dict) and {"width", "height"} <= set(meta):
        if (meta["width"], meta["height"]) != (width, height):
            yield f"meta: says {meta['width']}x{meta['height']}, {reference} is {width}x{height}"


def _matte_problems(fields: dict[str, Any], mattes: dict[str, np.ndarray]) -> Iterator[str]:
    """|alpha - min(255, sum of instance mattes)| <= n (one level of rounding per instance)."""
    alpha, count = mattes.get("alpha"), len(fields.get("instance_alphas") or [])
    instances = [mattes.get(f"instance_alphas[{i}]") for i in range(count)]
    if alpha is None or not instances or any(m is None or m.shape != alpha.shape for m in instances):
        return
    total = np.zeros(alpha.shape, np.int32)
    for matte in instances:
        total += matte
    diff = np.abs(alpha.astype(np.int32) - np.minimum(total, 255))
    worst = int(diff.max())
    if worst > count:
        yield (f"alpha: differs from min(255, sum of its {count} instance_alphas) by up to "
               f"{worst} levels at {int((diff > count).sum())} pixels (at most {count} allowed): "
               "an instance matte does not belong to this sample")

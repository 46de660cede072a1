"""The ``surreal-alpha`` family's field set, and the ``meta`` of its samples: feature types,
and one frame's ``_info.mat`` values.

SURREAL's ``_info.mat`` stores per-clip values (``gender``, ``camLoc``...) and per-frame
ones with frames on the last axis (``pose`` 72xT, ``joints2D`` 2x24xT...); MATLAB drops a
trailing axis of length 1, so a one-frame clip's ``pose`` is 72x1 and its ``joints2D``
2x24. ``frame_values`` reads frame ``t`` of each whatever the clip length; a value the
file lacks is null, and so is one it holds in another shape or as anything but real,
finite numbers (text, structs, cell arrays, complex values, NaN; an int32 value out of
range): null with a reason, never a guess.
"""
from __future__ import annotations

import numpy as np
from mattehub.contract.features import List, Value

FIELDS = ("image", "alpha", "trimap", "fg", "bg", "depth", "segmentation", "meta")
"""Every field a ``surreal-alpha`` config may write (``trimap`` with ``--with trimap``)."""

INFO_FEATURES = {
    "gender": Value("int32"),                    # SURREAL: 0 female, 1 male
    "camLoc": List(Value("float64")),            # camera location (3), metres
    "camDist": Value("float64"),                 # camera distance, metres
    "zrot": Value("float64"),                    # body rotation about z, radians
    "pose": List(Value("float64")),              # SMPL pose (72)
    "shape": List(Value("float64")),             # SMPL shape (10)
    "joints2D": List(List(Value("float64"))),    # 24 x [x, y], source-frame pixels
    "joints3D": List(List(Value("float64"))),    # 24 x [x, y, z], metres
}

META_FEATURES = {
    "recipe": Value("string"),
    "seed": Value("int64"),
    "index": Value("int64"),
    "attempt": Value("int32"),
    "clip": Value("string"),                     # cmu/<split>/run<r>/<seq>/<seq>_c<NNNN>
    "frame": Value("int32"),                     # 0-based (segm_<frame + 1>)
    "background": Value("string"),               # path relative to --bg-root
    "background_number": Value("int32"),         # k in 0..num_bgs-1 for this frame
    "background_size": List(Value("int32")),     # [width, height] of the source file
    "background_scale": Value("float64"),
    "background_crop": List(Value("int32")),     # [x, y] of the canvas in the scaled background
    "layout": Value("string"),                   # native | dim
    "width": Value("int32"),
    "height": Value("int32"),
    "frame_scale": Value("float64"),             # canvas pixels per source-frame pixel
    "frame_box": List(Value("int32")),           # [x, y, width, height] of the frame on the canvas
    "depth_available": Value("bool"),            # False: no _depth.mat, depth is all 0
    "info_available": Value("bool"),             # False: no _info.mat, info values are null
    "image_format": Value("string"),
    "jpeg_quality": Value("int32"),
    **INFO_FEATURES,
}

_FRAME_ROWS = {"camLoc": (3,), "pose": (72,), "shape": (10,), "joints2D": (2, 24),
               "joints3D": (3, 24)}
_SCALARS = {"gender": int, "camDist": float, "zrot": float}
_INT32 = np.iinfo(np.int32)


class Unusable(ValueError):
    """A value ``frame_values`` stores as null; its message says why (the key is added)."""


def _numbers(value) -> np.ndarray:
    """``value`` as a float64 array, refused when it is not real numbers (text, a struct,
    a cell array, complex values: converting those would invent or drop numbers) or holds
    a NaN or an infinity."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "biuf":
        what = {"c": "complex numbers", "U": "text", "S": "text", "O": "a cell array or struct",
                "V": "a struct"}.get(kind, f"values of type {array.dtype}")
        raise Unusable(f"holds {what}, not real numbers")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise Unusable("holds NaN or infinite values")
    return array


def _dims(shape: tuple[int, ...]) -> str:
    """A shape as MATLAB users write it (``72 x 3``)."""
    return " x ".join(map(str, shape)) or "()"


def _frame_of(array: np.ndarray, rows: tuple[int, ...], t: int) -> np.ndarray:
    """Frame ``t`` of an array shaped ``rows + (T,)``, or the clip's value when shaped
    ``rows`` or ``rows + (1,)`` (MATLAB drops a trailing axis of length 1)."""
    if array.shape == rows:
        return array
    if array.shape[:-1] != rows:
        raise Unusable(f"has shape {_dims(array.shape)}, not {_dims(rows + ('T',))} "
                       "(frames on the last axis)")
    count = array.shape[-1]
    if count != 1 and t >= count:
        raise Unusable(f"holds {count} frames, none for frame {t}")
    return array[..., 0 if count == 1 else t]


def _scalar(array: np.ndarray, kind: type, t: int) -> int | float:
    """Frame ``t``'s value of a per-clip (1x1) or per-frame (1xT or Tx1) scalar."""
    if sum(n > 1 for n in array.shape) > 1:
        raise Unusable(f"has shape {_dims(array.shape)}, not one value per frame")
    flat = array.ravel()
    if flat.size != 1 and t >= flat.size:
        raise Unusable(f"holds {flat.size} values, none for frame {t}")
    value = flat[0] if flat.size == 1 else flat[t]
    if kind is int and (value != round(value) or not _INT32.min <= value <= _INT32.max):
        raise Unusable(f"holds {value!r}, not a whole number that fits int32")
    return kind(value)


def frame_values(info: dict[str, np.ndarray] | None, t: int) -> tuple[dict, list[str]]:
    """The trainer-facing ``_info.mat`` values of frame ``t`` (all null without a file),
    and why each value the file holds but that is unusable (another shape, not real finite
    numbers, out of range) is null: ``"<key> <problem>"``. Never a guessed number."""
    values: dict = {name: None for name in INFO_FEATURES}
    problems: list[str] = []
    if info is None:
        return values, problems
    for name in INFO_FEATURES:
        if name not in info:
            continue
        try:
            array = _numbers(info[name])
            if name in _SCALARS:
                values[name] = _scalar(array, _SCALARS[name], t)
            else:
                column = _frame_of(array, _FRAME_ROWS[name], t)
                values[name] = column.T.tolist() if column.ndim == 2 else column.tolist()
        except Unusable as exc:
            problems.append(f"{name} {exc}")
    return values, problems

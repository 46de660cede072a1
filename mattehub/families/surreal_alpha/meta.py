"""The ``surreal-alpha`` family's field set, and the ``meta`` of its samples: feature types,
and one frame's ``_info.mat`` values.

SURREAL's ``_info.mat`` stores per-clip values (``gender``, ``camLoc``...) and per-frame
ones with frames on the last axis (``pose`` 72xT, ``joints2D`` 2x24xT...); MATLAB drops a
trailing axis of length 1, so a one-frame clip's ``pose`` is 72x1 and its ``joints2D``
2x24. ``frame_values`` reads frame ``t`` of each whatever the clip length; a value the
file lacks (or holds in another shape) is null, never a guess.
"""
from __future__ import annotations

import numpy as np
from datasets import List, Value

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


def _column(array: np.ndarray, rows: tuple[int, ...], t: int) -> np.ndarray | None:
    """Frame ``t`` of an array shaped ``rows + (T,)`` (or ``rows``: one value per clip)."""
    size = int(np.prod(rows))
    if array.size % size:
        return None
    columns = array.reshape(rows + (-1,))
    count = columns.shape[-1]
    if count == 1:
        return columns[..., 0]
    return columns[..., t] if t < count else None


def frame_values(info: dict[str, np.ndarray] | None, t: int) -> dict:
    """The trainer-facing ``_info.mat`` values of frame ``t`` (all null without a file)."""
    values: dict = {name: None for name in INFO_FEATURES}
    if info is None:
        return values
    for name, kind in _SCALARS.items():
        if name in info and np.asarray(info[name]).size:
            flat = np.asarray(info[name]).ravel()
            if flat.size == 1 or t < flat.size:
                values[name] = kind(flat[0] if flat.size == 1 else flat[t])
    for name, rows in _FRAME_ROWS.items():
        if name in info and np.issubdtype(np.asarray(info[name]).dtype, np.number):
            column = _column(np.asarray(info[name], np.float64), rows, t)
            if column is not None:
                values[name] = column.T.tolist() if column.ndim == 2 else column.tolist()
    return values

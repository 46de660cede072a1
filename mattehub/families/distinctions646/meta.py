"""The ``distinctions-646`` field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.contract.features import List, Value

FIELDS = ("image", "alpha", "trimap", "fg", "bg", "meta")
"""Every field a ``distinctions-646`` sample may have (``trimap`` with ``--with trimap``:
the release ships none)."""
META_FEATURES = {
    "recipe": Value("string"), "split": Value("string"), "seed": Value("int64"),
    "index": Value("int64"),
    "fg": Value("string"),                  # file name in <Split>/FG (and <Split>/GT)
    "bg": Value("string"),                  # path relative to --bg-root
    "background_number": Value("int32"),    # k in 0..num_bgs-1
    "attempt": Value("int32"),              # background draw (0 = the planned one)
    "bg_size": List(Value("int32")),        # [width, height] of the background file
    "bg_scale": Value("float64"),           # DIM scale applied (1.0 = not scaled)
    "width": Value("int32"), "height": Value("int32"),
    "image_format": Value("string"), "jpeg_quality": Value("int32"),
}
META_KEYS = tuple(META_FEATURES)

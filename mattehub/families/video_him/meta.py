"""The ``video-him`` family's field set, and the feature types of the ``meta`` field of
``v-him`` clips (declared, never inferred)."""
from __future__ import annotations

from mattehub.contract.features import List, Value

FIELDS = ("frames", "instance_alphas", "instance_masks", "meta")
"""Every field a ``video-him`` config may write: ``v-him`` and the video releases
(``mattehub/families/releases/``: ``instance_masks`` is theirs)."""

META_FEATURES = {
    "recipe": Value("string"),
    "seed": Value("int64"),
    "index": Value("int64"),
    "attempt": Value("int32"),
    "level": Value("string"),                  # easy | medium | hard
    "level_schedule": Value("string"),         # mix | release | fixed (the --level option)
    "width": Value("int32"),
    "height": Value("int32"),
    "num_frames": Value("int32"),
    "num_instances": Value("int32"),
    "jpeg_quality": Value("int32"),
    "background": Value("string"),             # path relative to --data-dir
    "background_kind": Value("string"),        # image | frames | video
    "background_start": Value("int32"),        # first frame used (0 for a still image)
    "sources": List(Value("string")),          # foreground clips, back to front
    "start_frames": List(Value("int32")),      # first frame used of each foreground
    "crop_boxes": List(List(Value("int32"))),  # [x0, y0, x1, y1]: union of the clip's matte boxes
    "scales": List(Value("float64")),          # placed height / cropped height
    "boxes": List(List(Value("int32"))),       # [x, y, width, height] on the canvas (fixed per clip)
    "own_area": List(List(Value("int64"))),    # [frame][instance]: unoccluded 8-bit matte mass
    "occlusion": List(List(Value("float64"))),  # [frame][instance]: 1 - stored mass / own_area
}

"""The ``image-him`` family's field set, and the feature types of the ``meta`` field of
``i-him`` samples (declared, never inferred)."""
from __future__ import annotations

from mattehub.contract.features import List, Value

FIELDS = ("image", "alpha", "trimap", "instance_alphas", "instance_masks", "fg", "bg", "meta")
"""Every field an ``image-him`` config may write: ``i-him`` and the image releases
(``mattehub/families/releases/``: ``instance_masks`` is ``m-him2k``'s); ``trimap`` with
``--with trimap``."""

INSTANCE = {
    "source": Value("string"),          # image path relative to --image-root
    "alpha_source": Value("string"),    # its matte, relative to --image-root
    "crop_box": List(Value("int32")),   # [x0, y0, x1, y1] of the matte's content in the source
    "scale": Value("float64"),          # placed height / cropped height
    "box": List(Value("int32")),        # [x, y, width, height] on the canvas
    "placement_tries": Value("int32"),  # tries used (1 = first position accepted)
    "visible_fraction": Value("float64"),  # stored alpha mass / unoccluded alpha mass
}

META_FEATURES = {
    "recipe": Value("string"),
    "seed": Value("int64"),
    "index": Value("int64"),
    "attempt": Value("int32"),
    "width": Value("int32"),
    "height": Value("int32"),
    "background": Value("string"),      # path relative to --bg-root
    "image_format": Value("string"),    # "jpg" or "png": encoding of image, fg (and bg unless passed through)
    "jpeg_quality": Value("int32"),     # JPEG quality used when image_format is "jpg"
    "num_instances": Value("int32"),
    "instances": List(INSTANCE),        # back to front, same order as instance_alphas
    "dropped": List({"source": Value("string"), "reason": Value("string")}),
}

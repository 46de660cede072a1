"""PPM-100's layout (facts and sources in docs/benchmarks-datasets.md, 'PPM-100').

``PPM-100/image`` (100 portraits of 1080p to 4K, JPEG) and ``PPM-100/matte`` (their alpha
mattes): the authors' README states neither, so the folders are those public loaders of the
download read (``PPM-100/image``, ``PPM-100/matte``); mattes are accepted as PNG or JPEG
(loaders use both), a JPEG matte stored as 8-bit grey PNG of its decoded pixels with a
``normalised_input`` event. No trimaps are published (``--with trimap`` computes one).
One config, ``ppm-100``, split ``test``.
"""
from __future__ import annotations

from mattehub.families.ppm.options import HOME
from mattehub.inputs.pairing import Role
from mattehub.recipes.benchmark import BenchmarkLayout, SplitLayout

PPM_LAYOUT = BenchmarkLayout(
    top="PPM-100", archive="PPM-100.zip",
    splits=(SplitLayout("test", (Role("image", "image", (".jpg", ".jpeg"), "JPEG image"),
                                 Role("alpha", "matte", (".png", ".jpg", ".jpeg"),
                                      "alpha matte (PNG or JPEG)"))),),
    origin=f"PPM-100 is published at {HOME} (one Google Drive file): pass the folder holding "
           "PPM-100.zip, or the PPM-100/ folder extracted from it, as --data-dir",
    fields=(("image", "the PPM-100 portrait (image/), as published"),
            ("alpha", "the PPM-100 alpha matte (matte/), 8-bit grey PNG")))

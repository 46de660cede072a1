"""AM-2k's published layout (facts and sources in docs/benchmarks-datasets.md, 'AM-2k').

``AM-2k/train/{original,mask}`` (1,800 animal images, JPEG, and their alpha mattes, PNG) and
``AM-2k/validation/{original,mask,trimap}`` (200, with trimaps), as in the tree of
JizhiziLi/GFM ``core/README.md`` and the paths of its ``core/config.py``. Two configs, since a
config's fields are the same in every split: ``am-2k`` (split ``train``: image, alpha;
``--with trimap`` computes a trimap) and ``am-2k-validation`` (split ``validation``: image,
alpha and the published trimap). The folders ``train/fg``, ``bg``, ``*_denoise`` that users
generate for GFM's training tracks are not read.
"""
from __future__ import annotations

from mattehub.families.am2k.options import HOME
from mattehub.inputs.pairing import Role
from mattehub.recipes.benchmark import BenchmarkLayout, SplitLayout

JPEG, PNG = (".jpg", ".jpeg"), (".png",)
ORIGIN = (f"AM-2k is published at {HOME} (a Google Drive folder, after agreeing to its "
          "release agreement): pass the folder holding AM-2k.zip, or the AM-2k/ folder "
          "extracted from it, as --data-dir")
IMAGE = ("image", "the AM-2k animal image (original/), as published")
ALPHA = ("alpha", "the AM-2k alpha matte (mask/), 8-bit grey PNG")


def _split(split: str, trimap: bool) -> SplitLayout:
    roles = (Role("image", f"{split}/original", JPEG, "JPEG image"),
             Role("alpha", f"{split}/mask", PNG, "alpha matte PNG"))
    if trimap:
        roles += (Role("trimap", f"{split}/trimap", PNG, "trimap PNG"),)
    return SplitLayout(split, roles)


AM2K_TRAIN = BenchmarkLayout(top="AM-2k", archive="AM-2k.zip", splits=(_split("train", False),),
                             origin=ORIGIN, fields=(IMAGE, ALPHA))
"""``am-2k``: the training set (no trimaps published)."""
AM2K_VALIDATION = BenchmarkLayout(
    top="AM-2k", archive="AM-2k.zip", splits=(_split("validation", True),), origin=ORIGIN,
    fields=(IMAGE, ALPHA, ("trimap", "the published trimap, 0 / 128 unknown / 255")))
"""``am-2k-validation``: the validation set, with its published trimaps."""

"""P3M-10k's published layout (facts and sources in docs/benchmarks-datasets.md, 'P3M-10k').

``P3M-10k/train/{blurred_image,mask}`` (9,421 face-blurred portraits, JPEG, and their alpha
mattes, PNG), ``P3M-10k/validation/P3M-500-P/{blurred_image,mask,trimap}`` (500 face-blurred)
and ``P3M-10k/validation/P3M-500-NP/{original_image,mask,trimap}`` (500 not blurred), as in
the README of ViTAE-Transformer/P3M-Net and the dataset paths of its ``core/config.py``.
Two configs, since a config's fields are the same in every split (``docs/format.md``; as
``composition-1k`` beside ``aim``): ``p3m-10k`` (split ``train``: image, alpha; ``--with
trimap`` computes a trimap) and ``p3m-500`` (splits ``p3m_500_p``, ``p3m_500_np``: image,
alpha and the published trimap). ``datasets`` split names allow no ``-``: the published name
is ``meta.subset``.
"""
from __future__ import annotations

from mattehub.families.p3m.options import HOME
from mattehub.inputs.pairing import Role
from mattehub.recipes.benchmark import BenchmarkLayout, SplitLayout

JPEG, PNG = (".jpg", ".jpeg"), (".png",)


def _split(split: str, folder: str, image: str, subset: str, blurred: bool,
           trimap: bool) -> SplitLayout:
    roles = (Role("image", f"{folder}/{image}", JPEG, "JPEG image"),
             Role("alpha", f"{folder}/mask", PNG, "alpha matte PNG"))
    if trimap:
        roles += (Role("trimap", f"{folder}/trimap", PNG, "trimap PNG"),)
    return SplitLayout(split, roles, (("subset", subset), ("face_blurred", blurred)))


ORIGIN = (f"P3M-10k is published at {HOME} (P3M-10k.zip, after agreeing to its release "
          "agreement): pass the folder holding P3M-10k.zip, or the P3M-10k/ folder extracted "
          "from it, as --data-dir")
IMAGE = ("image", "the P3M-10k image (face-blurred in train and P3M-500-P), as published")
ALPHA = ("alpha", "the P3M-10k alpha matte (mask/), 8-bit grey PNG")
P3M_TRAIN = BenchmarkLayout(
    top="P3M-10k", archive="P3M-10k.zip",
    splits=(_split("train", "train", "blurred_image", "train", True, False),),
    origin=ORIGIN, fields=(IMAGE, ALPHA))
"""``p3m-10k``: the training set (no trimaps published)."""
P3M_500 = BenchmarkLayout(
    top="P3M-10k", archive="P3M-10k.zip",
    splits=(_split("p3m_500_p", "validation/P3M-500-P", "blurred_image", "P3M-500-P", True, True),
            _split("p3m_500_np", "validation/P3M-500-NP", "original_image", "P3M-500-NP", False,
                   True)),
    origin=ORIGIN, fields=(IMAGE, ALPHA, ("trimap", "the published trimap, 0 / 128 unknown / 255")))
"""``p3m-500``: the two validation sets, with their published trimaps."""

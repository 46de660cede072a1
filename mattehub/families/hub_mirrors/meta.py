"""The field sets and ``meta`` structs of the Hub-mirror configs.

``hub-him2k`` writes the image-HIM contract (``him_meta``: the fields and meta struct of the
``him2k`` release config, so the two interleave); ``hub-aim500`` an image, its alpha and a
meta of the mirror's own columns.
"""
from __future__ import annotations

from mattehub.contract.features import Value
from mattehub.families.him_meta import IMAGE_HIM_FIELDS, IMAGE_HIM_META

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field a ``hub-aim500`` sample may have (``trimap`` with ``--with trimap``)."""
META_FEATURES = {
    "recipe": Value("string"), "name": Value("string"), "split": Value("string"),
    "width": Value("int32"), "height": Value("int32"),
    "source": Value("string"),          # "<parquet file> row <n>" below --data-dir
    "category": Value("string"), "type": Value("string"),  # the mirror's columns (null if absent)
}

__all__ = ["FIELDS", "IMAGE_HIM_FIELDS", "IMAGE_HIM_META", "META_FEATURES"]

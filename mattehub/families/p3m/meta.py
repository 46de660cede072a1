"""The ``p3m`` family's field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.contract.features import Value
from mattehub.recipes.benchmark import BENCHMARK_META

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field a ``p3m-10k`` sample may have: ``trimap`` is published for the validation sets
(``--with trimap`` computes one for ``train``)."""
META_FEATURES = {**BENCHMARK_META, "subset": Value("string"), "face_blurred": Value("bool")}
"""``subset``: ``train``, ``P3M-500-P`` or ``P3M-500-NP``; ``face_blurred``: whether the
image's faces were obfuscated (train and P3M-500-P) or not (P3M-500-NP)."""

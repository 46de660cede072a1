"""The ``aim500`` family's field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.contract.features import Value
from mattehub.recipes.benchmark import BENCHMARK_META

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field an ``aim-500`` sample has (the trimap is published)."""
META_FEATURES = {**BENCHMARK_META, "type": Value("string"), "category": Value("string")}
"""``type``: SO (salient opaque), STM (salient transparent/meticulous) or NS (non-salient);
``category``: animal, fruit, furniture, plant, portrait, toy or transparent; both from
``aim_category_type.json`` (null when it is missing or does not list the image)."""

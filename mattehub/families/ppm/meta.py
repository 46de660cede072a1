"""The ``ppm`` family's field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.recipes.benchmark import BENCHMARK_META

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field a ``ppm-100`` sample may have: ``trimap`` only with ``--with trimap`` (none is
published)."""
META_FEATURES = dict(BENCHMARK_META)
"""The benchmark keys (``paths.trimap`` always null)."""

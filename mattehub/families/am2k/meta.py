"""The ``am2k`` family's field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.recipes.benchmark import BENCHMARK_META

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field an AM-2k sample may have: ``trimap`` is published for the validation set
(``--with trimap`` computes one for ``train``)."""
META_FEATURES = dict(BENCHMARK_META)
"""The benchmark keys only: the published files carry no animal class (names are
``m_<8 hex>``, no list maps them to the paper's 20 categories), so none is recorded."""

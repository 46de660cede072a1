"""The ``rwp-636`` field set and the feature types of its ``meta`` struct."""
from __future__ import annotations

from mattehub.contract.features import Value

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field an ``rwp-636`` sample may have (``trimap`` with ``--with trimap`` only)."""
META_FEATURES = {
    "recipe": Value("string"), "name": Value("string"), "split": Value("string"),
    "width": Value("int32"), "height": Value("int32"),
    "paths": {"image": Value("string"), "alpha": Value("string")},
}

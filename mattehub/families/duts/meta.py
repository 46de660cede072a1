"""The ``duts`` family's field set, and the feature types of the ``meta`` field of its samples
(declared, never inferred)."""
from __future__ import annotations

from mattehub.contract.features import Value

FIELDS = ("image", "alpha", "trimap", "meta")
"""Every field a ``duts`` config writes: the family's field set."""
META_FEATURES = {
    "recipe": Value("string"), "name": Value("string"), "split": Value("string"),
    "width": Value("int32"), "height": Value("int32"),
    "paths": {"image": Value("string"), "mask": Value("string")},
    "trimap_kind": Value("string"), "index": Value("int64"),
}

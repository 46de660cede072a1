"""The ``aim`` family's field set, and the feature types of the ``meta`` field of ``aim`` and
``composition-1k`` samples (one meta schema for both configs: each fills its own keys and
leaves the other's null)."""
from __future__ import annotations

from mattehub.contract.features import List, Value

FIELDS = ("image", "alpha", "trimap", "fg", "bg", "meta")
"""Every field an ``aim`` config may write: ``fg`` and ``bg`` are ``aim``'s (train),
``trimap`` is ``composition-1k``'s published one (or ``--with trimap``'s)."""

META_FEATURES = {
    "recipe": Value("string"),
    "split": Value("string"),                  # train | test
    "seed": Value("int64"),
    "index": Value("int64"),
    "fg": Value("string"),                     # train: file name in train/fg; test: <fg stem> of the name
    "bg": Value("string"),                     # train, release test: path relative to --bg-root; test: null
    "background_number": Value("int32"),       # train: k in 0..num_bgs-1; test: <i> of the name
    "attempt": Value("int32"),                 # train: background draw (0 = the planned one)
    "bg_size": List(Value("int32")),           # train, release test: [width, height] of the background file
    "bg_scale": Value("float64"),              # train, release test: DIM scale applied (1.0 = not scaled)
    "width": Value("int32"),
    "height": Value("int32"),
    "fg_reestimate": Value("string"),          # train: none | lsa | ml
    "file": Value("string"),                   # test: test/merged/<name> (release: its trimap); train: null
    "image_format": Value("string"),
    "jpeg_quality": Value("int32"),            # null when image is passed through (test)
}
META_KEYS = tuple(META_FEATURES)
"""Every key, in order: a sample's meta starts as ``dict.fromkeys(META_KEYS)``."""

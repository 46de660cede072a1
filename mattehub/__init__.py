"""mattehub: image and video matting data as streamable, Hub-native datasets.

``import mattehub`` registers the ``mattehub`` builder with Hugging Face ``datasets`` so
``load_dataset("mattehub", CONFIG, data_dir=..., streaming=True)`` works. Also:
``mattehub.stream(config, data_dir, split)`` (the same stream without ``datasets``' hooks),
``mattehub.open(config, data_dir, split)`` (random access: row ``i`` of that stream),
``mattehub.trimap(alpha, kind)`` and ``mattehub.estimate_foreground(image, alpha, method)``.

Importing the package is cheap: the builder is registered as soon as ``datasets`` is
imported (at once if it already is), and the functions below load their modules on first
use, so the ``mattehub`` command line does not pay for the data stack it does not use.
"""
from __future__ import annotations

from typing import Any

from mattehub._version import __version__
from mattehub.streaming.registration import register_when_imported

__all__ = ["__version__", "register", "stream", "open", "trimap", "trimap_seed", "estimate_foreground"]

register_when_imported()


def __getattr__(name: str) -> Any:
    """The public functions, imported on first use (plain imports, so the import graph that
    CI checks sees them)."""
    if name == "register":
        from mattehub.streaming.registration import register
        return register
    if name == "stream":
        from mattehub.streaming.loading import stream
        return stream
    if name == "open":
        from mattehub.streaming.random_access import open_dataset
        return open_dataset
    if name in ("trimap", "trimap_seed"):
        from mattehub.synthesis import trimap
        return getattr(trimap, name)
    if name == "estimate_foreground":
        from mattehub.synthesis.foreground import estimate_foreground
        return estimate_foreground
    raise AttributeError(f"module 'mattehub' has no attribute {name!r}")

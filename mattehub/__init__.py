"""mattehub: image and video matting data as streamable, Hub-native datasets.

``import mattehub`` registers the ``mattehub`` builder with Hugging Face ``datasets`` so
``load_dataset("mattehub", CONFIG, data_dir=..., streaming=True)`` works. Also:
``mattehub.trimap(alpha, kind)`` and ``mattehub.estimate_foreground(image, alpha, method)``.
"""
from __future__ import annotations

from mattehub._version import __version__
from mattehub.streaming.registration import register
from mattehub.streaming.loading import stream
from mattehub.synthesis.trimap import trimap, trimap_seed
from mattehub.synthesis.foreground import estimate_foreground

register()

__all__ = ["__version__", "register", "stream", "trimap", "trimap_seed", "estimate_foreground"]

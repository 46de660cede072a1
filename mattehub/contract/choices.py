"""Fixed value sets that option declarations offer and the pixel code implements.

They live here, in a module that imports nothing, so the CLI parser and the options
classes can name them without importing numpy or cv2; the implementing modules import them
from here (one definition).
"""
from __future__ import annotations

DEFAULT_JPEG_QUALITY = 95
"""JPEG quality of encoded RGB fields when ``--jpeg-quality`` is not given."""
LAYOUTS = ("native", "dim")
"""Canvas geometries of ``synthesis.canvas``."""
DIM_FRAME_LONG_SIDE = 640
"""``dim`` layout: the frame's longer side on the canvas, in pixels."""
TRIMAP_KINDS: tuple[str, ...] = ("him-eval", "duts", "random")
"""Trimap kinds ``mattehub.trimap`` computes."""
MATCHINGS: tuple[str, ...] = ("index", "hungarian", "iou")
"""How ``mattehub evaluate`` pairs predicted instances with ground-truth ones."""
PROTOCOLS: tuple[str, ...] = ("dim", "maggie", "rvm")
"""Whose evaluation ``mattehub evaluate --protocol`` reproduces (docs/evaluation.md)."""
EVALUATION_TRIMAP_KINDS: tuple[str, ...] = ("him-eval", "duts")
"""Trimap kinds ``mattehub evaluate --trimap`` offers."""
FOREGROUND_INSTALL_HINT = "pip install 'mattehub[foreground]'"
"""How to get pymatting, which foreground re-estimation ``ml`` needs."""

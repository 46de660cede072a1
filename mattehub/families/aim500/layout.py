"""AIM-500's published layout (facts and sources in docs/benchmarks-datasets.md, 'AIM-500').

``AIM-500/{original,mask,trimap}`` (500 natural images, JPEG; alpha mattes and trimaps, PNG)
and ``aim_category_type.json`` (per image stem: its ``type``, SO / STM / NS, and its
``category``), as in JizhiziLi/AIM ``core/README.md`` (the tree) and ``core/config.py`` /
``core/test.py`` (the JSON, and the files paired by stem). An older config puts the folders
under ``validation/``: the reader finds them up to two folders down either way, and the
JSON at their root or one folder up. ``usr/`` (AIM's unified semantic representation) is not
read. One config, ``aim-500``, split ``test``.
"""
from __future__ import annotations

from mattehub.families.aim500.options import HOME
from mattehub.inputs.pairing import Role
from mattehub.recipes.benchmark import BenchmarkLayout, SplitLayout

CATEGORIES = "aim_category_type.json"
TYPES = ("SO", "STM", "NS")
"""Salient opaque, salient transparent/meticulous, non-salient."""
AIM500_LAYOUT = BenchmarkLayout(
    top="AIM-500", archive="AIM-500.zip",
    splits=(SplitLayout("test", (Role("image", "original", (".jpg", ".jpeg"), "JPEG image"),
                                 Role("alpha", "mask", (".png",), "alpha matte PNG"),
                                 Role("trimap", "trimap", (".png",), "trimap PNG"))),),
    origin=f"AIM-500 is published at {HOME} (a Google Drive folder, after reading its release "
           "agreement): pass the folder holding AIM-500.zip, or the AIM-500/ folder extracted "
           "from it, as --data-dir",
    fields=(("image", "the AIM-500 natural image (original/), as published"),
            ("alpha", "the AIM-500 alpha matte (mask/), 8-bit grey PNG"),
            ("trimap", "the published trimap, 0 / 128 unknown / 255")),
    side_files=(CATEGORIES,))

"""Options several configs share, declared once: the source folder, backgrounds, RGB encoding.

Each is a function returning the field declaration, so a config composes the groups it
reads and keeps its own default and its own requirement; the help of ``mattehub build``
shows each config's default and requirement from those declarations.
"""
from __future__ import annotations

from dataclasses import MISSING
from typing import Any

from mattehub.contract.choices import DEFAULT_JPEG_QUALITY
from mattehub.options.declare import opt
from mattehub.options.values import local_path, text, whole

IMAGE_FORMATS = ("jpg", "png")


def data_dir(default: Any = MISSING, *, required: str | None = None, note: str | None = None,
             local: bool = False) -> Any:
    """``--data-dir``: where a config's sources are (what that folder holds is the config's
    ``required`` or ``note`` text, shown in its help group); ``local``: no URL."""
    return opt(default, path=True, source=True, required=required, note=note, metavar="DIR",
               check=local_path if local else text,
               help="where the config's sources are: a release's zips or files, a source "
                    "tree (see each config's options below); local, or hf:// or http(s):// "
                    "where the config reads remote sources")


def bg_root(*, required: str | None = None) -> Any:
    """``--bg-root``: a folder of background images."""
    return opt(None, path=True, required=required, check=text, metavar="DIR",
               help="folder of background images (any tree of JPEG/PNG files, e.g. BG-20K "
                    "train or COCO train2017)")


def num_bgs(default: int) -> Any:
    """``--num-bgs``: distinct backgrounds per item (a frame, a foreground)."""
    return opt(default, parse=int, check=whole(1), metavar="N",
               help="distinct backgrounds per item (a frame, a foreground)")


def clip_length(default: int | None, note: str) -> Any:
    """``--clip-length``: frames per sample of a video config (``note``: how the config cuts
    its videos, and what its default means)."""
    return opt(default, parse=int, check=whole(1), metavar="N", note=note,
               help="frames per sample window")


def invalid_names() -> Any:
    """``--invalid-names``: a file of image names to leave out."""
    return opt(None, path=True, check=text, metavar="FILE",
               help="invalid_him.txt: image names to skip (a release: default "
                    "invalid_him.txt beside the zips)")


def image_format(default: str = "jpg") -> Any:
    """``--image-format``: encoding of RGB fields."""
    return opt(default, choices=IMAGE_FORMATS, help="encoding of RGB fields")


def jpeg_quality(default: int = DEFAULT_JPEG_QUALITY) -> Any:
    """``--jpeg-quality``: JPEG quality of RGB fields."""
    return opt(default, parse=int, check=whole(1, 100), metavar="Q",
               help="JPEG quality of RGB fields, 1-100")

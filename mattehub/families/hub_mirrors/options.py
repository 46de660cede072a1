"""Options of the Hub-mirror configs: where the Parquet files are, the split, the column names.

The column names default to the published mirrors' (``nobg/HIM-2K``, ``nobg/AIM-500``:
``image`` and ``mask``, docs/sources.md); another mirror in the same shape names its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import text

WHERE = ("a folder of the mirror's Parquet files (a local copy of the Hub repo, e.g. "
         "`huggingface-cli download {repo} --repo-type dataset`), or its hf://datasets/{repo} "
         "path, or an http(s):// folder of them")


def _image_column() -> object:
    return opt("image", check=text, metavar="NAME",
               help="the Parquet column holding the image (a datasets Image: struct of bytes, path)")


def _mask_column() -> object:
    return opt("mask", check=text, metavar="NAME",
               help="the Parquet column holding the mattes: a datasets Image (hub-aim500) or a "
                    "list of them, one per instance (hub-him2k)")


@dataclass(frozen=True)
class HubHim2kOptions(Options):
    """Options of ``hub-him2k``: a HIM-2K-style mirror (an image, a list of instance mattes)."""

    config = "hub-him2k"

    data_dir: str = groups.data_dir(required=WHERE.format(repo="nobg/HIM-2K"))
    """The mirror's Parquet files: a local folder, ``hf://datasets/...`` or http(s)."""
    split: str = "train"
    """The split to read (``--split``): a file's split is the part of its name before
    ``-NNNNN-of-NNNNN`` (the Hub's convention), else its folder's name (``sources.py``)."""
    image_column: str = _image_column()
    mask_column: str = _mask_column()


@dataclass(frozen=True)
class HubAim500Options(Options):
    """Options of ``hub-aim500``: an AIM-500-style mirror (an image, one alpha matte)."""

    config = "hub-aim500"

    data_dir: str = groups.data_dir(required=WHERE.format(repo="nobg/AIM-500"))
    """The mirror's Parquet files: a local folder, ``hf://datasets/...`` or http(s)."""
    split: str = "test"
    """The split to read (``--split``; the published mirror has one, ``test``)."""
    image_column: str = _image_column()
    mask_column: str = _mask_column()

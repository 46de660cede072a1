"""Options of ``v-him``."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import text, whole

LEVELS = ("easy", "medium", "hard")


@dataclass(frozen=True)
class VideoHimOptions(Options):
    """Options of the ``v-him`` recipe."""

    config = "v-him"

    data_dir: str = groups.data_dir(required="the folder holding fg_<split>.txt and "
                                             "bg_<split>.txt", local=True)
    """Folder the list files and their lines are relative to."""
    list_split: str = opt("train", follows="split", check=text, metavar="S",
                          help="read fg_<S>.txt / bg_<S>.txt (default: --split)")
    """Reads ``fg_<list_split>.txt`` and ``bg_<list_split>.txt`` from ``data_dir``."""
    level: str = opt("mix", choices=LEVELS + ("mix",),
                     help="difficulty; mix cycles easy/medium/hard by clip id")
    max_frames: int = opt(30, parse=int, check=whole(2), metavar="N",
                          help="frames per clip, >= 2")
    max_instances: int = 4
    still_background: float = 0.5
    """Probability of a still-image background (landscape images only)."""
    max_attempts: int = 10
    jpeg_quality: int = groups.jpeg_quality()

"""Options of ``v-him``."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import text, whole

LEVELS = ("easy", "medium", "hard")
SCHEDULES = ("mix", "release")
"""Levels chosen per clip id (``mattehub/families/video_him/schedule.py``)."""


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
    level: str = opt("mix", choices=LEVELS + SCHEDULES,
                     help="difficulty; mix cycles easy/medium/hard by clip id; release: the "
                          "schedule of MaGGIe's released script (train lists: ids 0-9499, other "
                          "lists: its test schedule, ids 0-221), one attempt per id")
    """A fixed level, or a schedule of levels by clip id (``schedule.py``): ``mix``, or
    ``release``, which follows the list split (``train``, else test) and never retries a
    rejected clip: the id is then missing, as in the release."""
    max_frames: int = opt(30, parse=int, check=whole(2), metavar="N",
                          help="frames per clip, >= 2")
    max_instances: int = 4
    still_background: float = 0.5
    """Probability of a still-image background (landscape images only)."""
    max_attempts: int = 10
    """Attempts per id before it is skipped. Under ``release`` only a drawn file that
    cannot be read is redrawn; a rejected clip is not (the id is missing)."""
    jpeg_quality: int = groups.jpeg_quality()

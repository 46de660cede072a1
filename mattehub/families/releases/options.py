"""Options of the release configs (``i-him50k``, ``him2k``, ``m-him2k``, ``v-him2k5``,
``v-him60``): where the release is, which split, and how to cut it into samples. Which of
them a config reads is its registry line's ``reads``."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import text, whole

HUB_RELEASE = "hf://datasets/chuonghm/MaGGIe-HIM"
MASK_MODELS = ("r50_c4_3x", "r50_dc5_3x", "r50_fpn_3x", "r50_fpn_400e", "r101_c4_3x",
               "r101_fpn_3x", "r101_fpn_400e", "regnetx_400e", "regnety_400e", "x101_fpn_3x")
DEFAULT_MASK_MODEL = "r50_c4_3x"


@dataclass
class ReleaseOptions(Options):
    """Where the release is, which split, and how to cut it into samples."""

    config = "release configs"

    mask_set: str = opt(DEFAULT_MASK_MODEL, choices=MASK_MODELS,
                        help="the guidance mask set")
    """m-him2k: which ``masks_matched_<model>`` set fills ``instance_masks``."""
    clip_length: int | None = groups.clip_length(None, "windows every --clip-stride frames; "
                                                       "default: whole clips")
    """Video configs: cut clips into windows of this many frames (None = whole clips)."""
    clip_stride: int | None = opt(None, parse=int, check=whole(1), metavar="N",
                                  help="window stride (default: the length)")
    invalid_names: str | None = groups.invalid_names()
    """i-him50k: file of image names to leave out (default: ``invalid_him.txt`` beside the zips)."""
    alpha_dir: str = opt("alphas", check=text, metavar="NAME",
                         help="own layouts: folder name of the mattes")
    mask_dir: str = opt("masks", check=text, metavar="NAME",
                        help="own layouts: folder name of the guidance masks")
    data_dir: str = groups.data_dir(HUB_RELEASE, note="folder of the zips (split or not), "
                                    "extracted files, or an own layout")
    """Folder holding the release zips (or the extracted release, or an own-layout root)."""
    split: str = "train"


IMAGE_READS = ("data_dir", "alpha_dir", "mask_dir")
"""What every release config reads; the registry adds masks, windows and invalid names."""
VIDEO_READS = IMAGE_READS + ("clip_length", "clip_stride")

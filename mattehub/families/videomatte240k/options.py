"""Options of ``videomatte240k`` (the published clips) and ``videomatte240k-comp`` (the clips
composited on backgrounds, as Robust Video Matting trains on them)."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt, split_error
from mattehub.options.values import fraction, text

SPLITS = ("train", "test")
"""The split folders of every VideoMatte240K release (docs/sources.md, 'VideoMatte240K')."""
HOME = "https://grail.cs.washington.edu/projects/background-matting-v2/#/datasets"
DEFAULT_CLIP_LENGTH = 15
"""Frames per sample: Robust Video Matting's stage-1 sequence length (``--seq-length-lr 15``)."""
SOURCE = (f"VideoMatte240K comes from {HOME} as JPEG frame folders (SD or HD) or mp4 pairs: "
          "--data-dir is the folder holding train/ and test/ (each with fgr/ and pha/), "
          "e.g. VideoMatte240K_JPEG_SD, or a zip of it")
RVM_EVAL_SOURCE = ("RVM's evaluation sets come from its evaluation/generate_*_with_background_"
                   "*.py scripts: --data-dir is the folder holding the dataset folders they "
                   "wrote (<dataset>/<clip>/{com,pha}/<frame>.png), one dataset folder, or a "
                   "zip of either")


@dataclass(frozen=True)
class VideoMatteOptions(Options):
    """Options of ``videomatte240k``: where the release is, which split, frames per clip."""

    config = "videomatte240k"

    data_dir: str = groups.data_dir(required=SOURCE)
    """The release folder holding ``train/`` and ``test/`` (or one folder down), or a zip."""
    split: str = "train"
    clip_length: int = groups.clip_length(DEFAULT_CLIP_LENGTH, "each video cut into consecutive, "
                                          "non-overlapping clips of N frames, the remainder dropped")
    jpeg_quality: int = groups.jpeg_quality()
    """Frames decoded from the mp4 release are stored as JPEG at this quality (JPEG frames
    are stored as published)."""

    def validate(self) -> None:
        """``train`` or ``test``."""
        if self.split not in SPLITS:
            raise split_error(self.config, SPLITS, self.split)


@dataclass(frozen=True)
class VideoMatteCompOptions(VideoMatteOptions):
    """Options of ``videomatte240k-comp``: the clips, and the backgrounds they go on."""

    config = "videomatte240k-comp"
    requires = "--data-dir and --bg-root and/or --bg-video-root"

    bg_root: str | None = groups.bg_root()
    """Still backgrounds: any tree of JPEG/PNG images (RVM: its 8000 crawled images, or
    BGMv2's ~200 validation backgrounds)."""
    bg_video_root: str | None = opt(None, path=True, check=text, metavar="DIR",
                                    help="folder of background videos: one folder of frames "
                                         "per video (RVM's BackgroundVideos layout) or mp4 files")
    """Video backgrounds: ``<video>/<frame>.jpg`` folders (RVM's DVM-derived BackgroundVideos)
    or ``<video>.mp4`` files, directly below the folder."""
    still_background: float = opt(0.5, parse=float, check=fraction, metavar="P",
                                  help="probability of a still background when both kinds "
                                       "are given (RVM: 0.5)")

    def validate(self) -> None:
        """A known split, and at least one kind of background."""
        super().validate()
        if not self.bg_root and not self.bg_video_root:
            self.refuse("videomatte240k-comp needs backgrounds: give a folder of still images, "
                        "a folder of background videos, or both", "bg_root", "bg_video_root")


@dataclass(frozen=True)
class RvmEvalOptions(Options):
    """Options of ``videomatte240k-rvm-eval``: where RVM's generated evaluation sets are,
    which split (``combined``, or one dataset folder's name: checked against the folder)."""

    config = "videomatte240k-rvm-eval"

    data_dir: str = groups.data_dir(required=RVM_EVAL_SOURCE)
    """The folder holding RVM's generated dataset folders, one dataset folder, or a zip."""
    split: str = "combined"

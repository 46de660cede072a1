"""Options of ``surreal-alpha``."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.contract.choices import DIM_FRAME_LONG_SIDE, LAYOUTS
from mattehub.options.declare import Options, opt
from mattehub.options.values import whole

SOURCE = ("SURREAL needs a licence: request it at https://www.di.ens.fr/willow/research/surreal/"
          "data/ (non-commercial research use), download SURREAL_v1.tar.gz, extract it and pass "
          "--data-dir SURREAL/data/cmu (or the folder holding cmu/, or one run* or sequence folder)")
"""Where SURREAL comes from (every message about a missing SURREAL tree ends with it)."""
MAX_BG_SIZE = 4096
"""The largest ``--bg-size``: a 4096 px shorter side already makes frames of about 4096x5461
(67 MB of RGB before encoding); a larger value is most likely a typo (12800 for 1280 asks
for several GB per sample), so it is refused before anything is read."""


@dataclass(frozen=True)
class SurrealAlphaOptions(Options):
    """Options of the ``surreal-alpha`` recipe."""

    config = "surreal-alpha"

    data_dir: str = groups.data_dir(required="a local SURREAL tree. " + SOURCE, local=True)
    """The folder holding ``cmu/``, ``cmu/`` itself, or one split, run or sequence folder."""
    bg_root: str = groups.bg_root(required="a folder of background images")
    """Folder of background images (any tree of JPEG/PNG files)."""
    split: str = "train"
    """``cmu/<split>`` is read when ``data_dir`` is (or holds) ``cmu``."""
    num_bgs: int = groups.num_bgs(1)
    """Backgrounds per frame (upstream: 100), distinct within a frame."""
    frame_stride: int = opt(1, parse=int, check=whole(1), metavar="N",
                            help="use every N-th frame of each clip")
    layout: str = opt("native", choices=LAYOUTS,
                      help="native = the frame's 320x240 canvas, background "
                           "scaled to cover it; dim = Deep Image Matting's geometry (frame "
                           "longer side 640, centred on the background scaled to --bg-size)")
    bg_size: int = opt(1280, parse=int, check=whole(DIM_FRAME_LONG_SIDE, MAX_BG_SIZE),
                       metavar="PX", help=f"--layout dim: background shorter side, "
                                          f"{DIM_FRAME_LONG_SIDE} to {MAX_BG_SIZE}")
    """``dim`` layout: the background's shorter side (the canvas) in pixels."""
    image_format: str = groups.image_format()
    jpeg_quality: int = groups.jpeg_quality()

"""Options of ``aim`` (training composites) and ``composition-1k`` (the test set, which
reads ``data_dir`` only)."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from mattehub.contract.choices import FOREGROUND_INSTALL_HINT
from mattehub.options import groups
from mattehub.options.declare import Options, opt, split_error

DEFAULT_NUM_BGS = 100
"""Backgrounds per foreground when ``--num-bgs`` is not given (Deep Image Matting's 100)."""
FG_METHODS = ("none", "lsa", "ml")
SPLITS = ("train", "test")
SOURCE = ("the Adobe Image Matting dataset is published by Adobe as release v1.0 of "
          "github.com/adobe-research/Deep_Image_Matting_Dataset (non-commercial research use); "
          "--data-dir is that zip or its extracted folder (composition-1k, with --bg-root: the "
          "PASCAL VOC 2008 images), or a folder holding train/fg, train/alpha and/or test/merged, "
          "test/trimaps, test/alpha_copy")


@dataclass(frozen=True)
class AimOptions(Options):
    """Options of ``aim``."""

    config = "aim"
    requires = "--data-dir; the train split (aim) also --bg-root"

    data_dir: str = groups.data_dir(required=SOURCE)
    """The folder holding ``train/fg``, ``train/alpha`` and/or ``test/merged`` ... (the test
    split also reads a zip of it, or a remote folder)."""
    bg_root: str | None = groups.bg_root()
    """train: folder of background images (COCO in practice); composition-1k on Adobe's
    release: the PASCAL VOC 2008 images its test_bg_names.txt lists."""
    split: str = "train"
    num_bgs: int = groups.num_bgs(DEFAULT_NUM_BGS)
    fg_reestimate: str = opt("none", choices=FG_METHODS,
                             help="train split: store the foreground re-estimated from the raw one "
                                  "and its alpha (lsa: local smoothness; ml: pymatting's "
                                  "multilevel solver, needs mattehub[foreground]); the composite "
                                  "uses it (none: the raw foreground)")
    image_format: str = groups.image_format()
    jpeg_quality: int = groups.jpeg_quality()

    def validate(self) -> None:
        """A known split; ``ml`` re-estimation only where pymatting is installed."""
        if self.split not in SPLITS:
            raise split_error(self.config, SPLITS, self.split)
        if self.split == "train" and self.fg_reestimate == "ml" \
                and importlib.util.find_spec("pymatting") is None:
            self.refuse(f"fg_reestimate='ml' needs pymatting: {FOREGROUND_INSTALL_HINT}",
                        "fg_reestimate")


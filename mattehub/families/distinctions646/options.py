"""Options of ``distinctions-646``: where the extracted release is, the split, the backgrounds."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

SPLITS = {"train": "Train", "test": "Test"}
"""mattehub split -> the release's folder."""
PUBLISHED_NUM_BGS = {"train": 100, "test": 20}
"""Backgrounds per foreground in the release's lists (bg_train.txt: 59,600 for 596
foregrounds; bg_test.txt: 1,000 for 50), the default of ``--num-bgs``."""
SOURCE = ("Distinctions-646 is given on request by its authors (github.com/yuhaoliu7456/"
          "CVPR2020-HAttMatting) as Distinctions-646.rar; extract it (e.g. bsdtar -xf, 7z x) and "
          "pass the folder holding Train/ and Test/ (or Distinctions-646/) as --data-dir")


@dataclass(frozen=True)
class Distinctions646Options(Options):
    """Options of ``distinctions-646``."""

    config = "distinctions-646"
    requires = "--data-dir and --bg-root"

    data_dir: str = groups.data_dir(required=SOURCE, local=True)
    """The extracted release: a folder holding ``Train/{FG,GT}`` and ``Test/{FG,GT}``."""
    bg_root: str | None = groups.bg_root(required="a folder of background images (the release's "
                                                  "lists name COCO train2014 images for Train and "
                                                  "PASCAL VOC 2012 images for Test)")
    split: str = "train"
    num_bgs: int | None = groups.num_bgs(None)
    """Distinct backgrounds per foreground; None: the release's own count, 100 for train and
    20 for test (``PUBLISHED_NUM_BGS``)."""
    image_format: str = groups.image_format()
    jpeg_quality: int = groups.jpeg_quality()

    def validate(self) -> None:
        if self.split not in SPLITS:
            raise split_error(self.config, tuple(SPLITS), self.split, "(Train, Test)")

    @property
    def backgrounds_per_fg(self) -> int:
        """``num_bgs``, or the release's count for the split."""
        return self.num_bgs or PUBLISHED_NUM_BGS[self.split]

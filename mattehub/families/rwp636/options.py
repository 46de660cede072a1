"""Options of ``rwp-636``: where the release is (one test split)."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

SPLITS = ("test",)
HOME = "https://github.com/yucornetto/MGMatting"
SOURCE = (f"RWP-636 is linked from {HOME} (README, 'Dataset'): pass the folder holding its "
          "image/ and alpha/ folders (RealWorldPortrait-636/ or the folder above it), or the "
          "downloaded zip, as --data-dir")


@dataclass(frozen=True)
class Rwp636Options(Options):
    """Options of ``rwp-636``."""

    config = "rwp-636"

    data_dir: str = groups.data_dir(required=SOURCE)
    """The release folder (``image/`` + ``alpha/``, at its root or one folder down) or zip."""
    split: str = "test"

    def validate(self) -> None:
        if self.split not in SPLITS:
            raise split_error(self.config, SPLITS, self.split, "(RWP-636 is a test set)")

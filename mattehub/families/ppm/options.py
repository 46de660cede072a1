"""Options of ``ppm-100``: where PPM-100 is."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

HOME = "https://github.com/ZHKKKe/PPM"
SPLITS = ("test",)


@dataclass(frozen=True)
class PpmOptions(Options):
    """Options of ``ppm-100``: where PPM-100 is (its one split is ``test``)."""

    config = "ppm-100"

    data_dir: str = groups.data_dir(required="the folder holding PPM-100.zip or the PPM-100/ "
                                             f"folder extracted from it, as published at {HOME}")
    """The folder holding ``PPM-100.zip`` or the extracted ``PPM-100/`` (or that zip's path)."""
    split: str = "test"
    """``test``: PPM-100 is one benchmark of 100 images."""

    def validate(self) -> None:
        if self.split not in SPLITS:
            raise split_error(self.config, SPLITS, self.split)

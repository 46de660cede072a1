"""Options of ``aim-500``: where AIM-500 is."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

HOME = "https://github.com/JizhiziLi/AIM"
SPLITS = ("test",)


@dataclass(frozen=True)
class Aim500Options(Options):
    """Options of ``aim-500``: where AIM-500 is (its one split is ``test``)."""

    config = "aim-500"

    data_dir: str = groups.data_dir(required="the folder holding AIM-500.zip or the AIM-500/ "
                                             f"folder extracted from it, as published at {HOME}")
    """The folder holding ``AIM-500.zip`` or the extracted ``AIM-500/`` (or that zip's path)."""
    split: str = "test"
    """``test``: AIM-500 is one test set of 500 images."""

    def validate(self) -> None:
        if self.split not in SPLITS:
            raise split_error(self.config, SPLITS, self.split)

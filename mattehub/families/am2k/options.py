"""Options of ``am-2k`` and ``am-2k-validation``: where AM-2k is, and which split."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

HOME = "https://github.com/JizhiziLi/GFM"
TRAIN = {"train": "train"}
VALIDATION = {"validation": "validation"}
"""mattehub split -> the published folder, of ``am-2k`` and of ``am-2k-validation``."""


@dataclass(frozen=True)
class Am2kOptions(Options):
    """Options of ``am-2k``: where AM-2k is (its split is ``train``)."""

    config = "am-2k"

    data_dir: str = groups.data_dir(required="the folder holding AM-2k.zip or the AM-2k/ folder "
                                             f"extracted from it, as published at {HOME}")
    """The folder holding ``AM-2k.zip`` or the extracted ``AM-2k/`` (or that zip's path)."""
    split: str = "train"
    """``train`` (the only split of ``am-2k``)."""
    splits = TRAIN

    def validate(self) -> None:
        if self.split not in self.splits:
            raise split_error(self.config, tuple(self.splits), self.split)


@dataclass(frozen=True)
class Am2kValidationOptions(Am2kOptions):
    """Options of ``am-2k-validation``: where AM-2k is (its split is ``validation``)."""

    config = "am-2k-validation"
    splits = VALIDATION

    split: str = "validation"
    """``validation`` (the 200 images with published trimaps)."""

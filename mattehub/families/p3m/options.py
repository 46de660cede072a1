"""Options of ``p3m-10k`` and ``p3m-500``: where P3M-10k is, and which split."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

HOME = "https://github.com/JizhiziLi/P3M"
TRAIN = {"train": "train"}
VALIDATION = {"p3m_500_p": "P3M-500-P", "p3m_500_np": "P3M-500-NP"}
"""mattehub split -> the published set, of ``p3m-10k`` and of ``p3m-500``."""


@dataclass(frozen=True)
class P3mOptions(Options):
    """Options of ``p3m-10k``: where P3M-10k is, and which split."""

    config = "p3m-10k"

    data_dir: str = groups.data_dir(required="the folder holding P3M-10k.zip or the P3M-10k/ "
                                             f"folder extracted from it, as published at {HOME}")
    """The folder holding ``P3M-10k.zip`` or the extracted ``P3M-10k/`` (or that zip's path)."""
    split: str = "train"
    """``train`` (the only split of ``p3m-10k``)."""
    splits = TRAIN

    def validate(self) -> None:
        if self.split not in self.splits:
            raise split_error(self.config, tuple(self.splits), self.split,
                              f"({', '.join(self.splits.values())})")


@dataclass(frozen=True)
class P3m500Options(P3mOptions):
    """Options of ``p3m-500``: where P3M-10k is, and which validation set."""

    config = "p3m-500"
    splits = VALIDATION

    split: str = "p3m_500_p"
    """``p3m_500_p`` (P3M-500-P, face-blurred) or ``p3m_500_np`` (P3M-500-NP, not blurred)."""

"""Options of ``duts``: where DUTS is, and which split."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, split_error

SPLITS = {"train": "DUTS-TR", "test": "DUTS-TE"}
"""mattehub split -> the DUTS folder (and zip) name."""
HOME = "http://saliencydetection.net/duts/"


@dataclass(frozen=True)
class DutsOptions(Options):
    """Options of ``duts``: where DUTS is, and which split."""

    config = "duts"

    data_dir: str = groups.data_dir(required="the folder holding DUTS-TR/ and DUTS-TE/ or their "
                                             f"zips DUTS-TR.zip and DUTS-TE.zip, as published at {HOME}")
    """The folder holding ``DUTS-TR/`` and ``DUTS-TE/`` or ``DUTS-TR.zip``/``DUTS-TE.zip``."""
    split: str = "train"
    """``train`` (DUTS-TR) or ``test`` (DUTS-TE)."""

    def validate(self) -> None:
        """``train`` or ``test``."""
        if self.split not in SPLITS:
            raise split_error(self.config, tuple(SPLITS), self.split,
                              f"({', '.join(SPLITS.values())})")

"""Options of a run rather than of a config's sources: the seed, how many ids, extra fields.

``mattehub build`` and ``load_dataset("mattehub", ...)`` both take them (``--seed`` is
``seed=``); declared once here like the configs' options, and checked the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.contract.choices import TRIMAP_KINDS
from mattehub.options.declare import Options, opt
from mattehub.options.values import whole

DEFAULT_TRIMAP_KIND = "him-eval"
MAX_SEED = 2**63 - 1
"""The largest seed: every record stores it as an int64 (Parquet ``meta``, build records),
and numpy's SeedSequence takes no negative numbers."""


@dataclass(frozen=True)
class RunOptions(Options):
    """The seed, the number of ids (0..N-1) and the added fields of a build or a stream."""

    config = "every config"

    seed: int = opt(0, parse=int, check=whole(0, MAX_SEED), metavar="N",
                    help="base seed, 0 to 2**63-1 (stored as int64 in every record)")
    num_samples: int | None = opt(
        None, parse=int, check=whole(1), metavar="N",
        help="sample ids to build, 0..N-1 (default: 1000 for i-him/v-him, every sample the "
             "sources give for surreal-alpha and overlay-depth, the whole split for release "
             "configs)")
    with_fields: tuple[str, ...] = opt((), flag="--with", dest="with_fields", many=True,
                                       choices=("trimap",),
                                       help="add a field: trimap = a lossless 0/128/255 trimap "
                                            "of alpha (configs with an alpha field)")
    trimap_kind: str | None = opt(None, choices=TRIMAP_KINDS,
                                  help="--with trimap: him-eval (25x25 ellipse band, the HIM "
                                       "evaluation trimap), duts (H/40 x W/40 band), random "
                                       "(seeded band width, for training) (default: him-eval)")

    def validate(self) -> None:
        """``trimap_kind`` means something only with the trimap field."""
        if self.trimap_kind is not None and "trimap" not in self.with_fields:
            self.refuse("trimap_kind= only applies with with_fields=('trimap',)",
                        "trimap_kind", "with_fields")

    @property
    def trimap(self) -> str | None:
        """The trimap kind to add, or None."""
        return (self.trimap_kind or DEFAULT_TRIMAP_KIND) if "trimap" in self.with_fields else None

"""What ``mattehub evaluate`` scores, and how (one frozen options object per run)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mattehub.contract.choices import EVALUATION_TRIMAP_KINDS, MATCHINGS, PROTOCOLS
from mattehub.core.errors import BuildError


@dataclass(frozen=True)
class EvaluationOptions:
    """What ``mattehub evaluate`` scores, and how."""

    config: str
    data_dir: str
    pred_dir: Path
    split: str = "train"
    protocol: str = "dim"
    """Whose evaluation: ``dim``, ``maggie`` or ``rvm`` (docs/evaluation.md)."""
    trimap_kind: str | None = None
    """``dim`` only. None: the stored ``trimap`` field where there is one, else ``him-eval``."""
    matching: str = "index"
    allow_jpeg: bool = False
    """Score JPEG predictions as decoded (refused otherwise: lossy mattes)."""
    workers: int = 1
    progress: bool = True
    source_options: tuple[tuple[str, Any], ...] = ()
    """Keyword options the ground truth is streamed with (``mask_set`` of ``m-him2k``)."""

    def checked(self) -> EvaluationOptions:
        """These options, or a BuildError naming the one that cannot be used."""
        if self.protocol not in PROTOCOLS:
            raise BuildError(f"unknown protocol {self.protocol!r}: use one of {', '.join(PROTOCOLS)}")
        if self.matching not in MATCHINGS:
            raise BuildError(f"unknown matching {self.matching!r}: use one of {', '.join(MATCHINGS)}")
        if self.trimap_kind is not None and self.trimap_kind not in EVALUATION_TRIMAP_KINDS:
            raise BuildError(f"unknown trimap kind {self.trimap_kind!r}: use one of "
                             f"{', '.join(EVALUATION_TRIMAP_KINDS)}")
        if self.trimap_kind is not None and self.protocol != "dim":
            raise BuildError(f"--trimap applies to --protocol dim; {self.protocol} fixes its own "
                             "regions (docs/evaluation.md)")
        if self.workers < 1:
            raise BuildError(f"--workers must be at least 1, not {self.workers}")
        return self

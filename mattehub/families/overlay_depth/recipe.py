"""``overlay-depth``: a foreground pasted on a background, its mask, and a depth map.

Two sources, one recipe (docs/format.md section 4):

* **synthesis** (``--bg-root``, ``--fg-root``, ``--mask-root``): the "Monocular Depth
  Estimation and Segmentation" recipe, 40 samples per (background, foreground) pair by
  default (``overlay_depth_synth`` has the id mapping and the pixel rules); depth ``none``,
  ``exact`` (from background depth maps) or a ``transformers`` model;
* **the original dataset** (``--data-dir`` holding ``label_data.csv`` or ``Dataset.zip``):
  read in place, one sample per csv row, bytes passed through (``overlay_depth_original``).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mattehub.families.overlay_depth.options import OverlayDepthOptions
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.contract.sample import Outcome
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.recipes.base import Recipe
from mattehub.families.overlay_depth.meta import FIELDS, META_FEATURES
from mattehub.families.overlay_depth.synth_source import SynthesisSource, SynthesisSources

if TYPE_CHECKING:
    from mattehub.families.overlay_depth.original import OriginalRows, OriginalSource


OVERLAY_DEPTH_TERMS = LicenceTerms(
    "user-sources", "the licences of the backgrounds and foregrounds supplied",
    Redistribution.UNKNOWN, None, "Credit the background and foreground images supplied.",
    "",
    ("backgrounds and foregrounds supplied",))
"""Synthesised from images the user supplies, whose terms mattehub cannot know (the original
course dataset states no licence: docs/licences.md)."""


class OverlayDepthRecipe(Recipe):
    """Overlay + mask + depth samples, synthesised or read from the original dataset."""

    name = "overlay-depth"
    family = "overlay-depth"
    family_fields = FIELDS
    summary = "a foreground pasted on a square background, its mask and a depth map"
    licence = "other"
    terms = OVERLAY_DEPTH_TERMS

    def __init__(self, options: OverlayDepthOptions, seed: int) -> None:
        super().__init__(options, seed)
        self._maker: SynthesisSource | OriginalSource | None = None
        """What makes the samples from ``sources`` (holds a loaded depth model, decoded
        files): this process's own, rebuilt in a worker."""

    def __getstate__(self) -> dict:
        return dict(self.__dict__, _maker=None)  # each worker binds its own (and loads the model)

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The original dataset has one split, ``train`` (its csv is read once, when the
        recipe is prepared)."""
        return ["train"]

    @property
    def synthesised(self) -> bool:
        return self.options.data_dir is None

    def _new_maker(self) -> SynthesisSource | OriginalSource:
        if self.synthesised:
            return SynthesisSource(self.options, self.name, self.seed)
        # imported here: the original's reader brings fsspec, which a synthesis worker skips
        from mattehub.families.overlay_depth.original import OriginalSource

        return OriginalSource(self.options, self.name, self.seed)

    def scan_sources(self) -> tuple[SynthesisSources | OriginalRows, dict]:
        maker = self._new_maker()
        sources, report = maker.scan()
        self._maker = maker  # keeps the model loaded to check it
        return sources, report

    def maker(self) -> SynthesisSource | OriginalSource:
        """This process's sample maker, bound to ``sources`` (scanned first if need be)."""
        if self._maker is None:
            self._maker = self._new_maker().bind(self.scanned())
        return self._maker

    def available(self) -> int:
        return self.maker().available()

    def schema(self) -> Schema:
        """The fields depend on the sources (a depth field or not, the original's file
        formats), so asking for the schema scans them if that has not happened yet."""
        fields = tuple(FieldSpec(name, IMAGE, ext, description)
                       for name, ext, description in self.maker().fields())
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES,
                      self.family_fields)

    def describe(self) -> dict:
        """As the base, with a local depth model folder recorded by its name only (a Hub
        id as given)."""
        from mattehub.families.overlay_depth.depth_model import display_name  # no torch import until a model is loaded

        described = super().describe()
        if self.options.depth_kind == "model":
            described["options"]["depth"] = display_name(self.options.depth)
        return described

    def task_ranges(self, start: int, stop: int):
        return self.maker().task_ranges(start, stop)

    def make(self, index: int) -> Outcome:
        return self.maker().make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        return self.maker().make_many(indices)

    def source_roots(self) -> list[str]:
        roots = super().source_roots()
        if self.options.depth_kind == "model" and Path(self.options.depth).exists():
            roots.append(self.options.depth)
        return roots

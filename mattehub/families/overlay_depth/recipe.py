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

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.contract.sample import Outcome
from mattehub.recipes.base import Recipe
from mattehub.families.overlay_depth.meta import META_FEATURES
from mattehub.families.overlay_depth.original import OriginalSource
from mattehub.families.overlay_depth.synth_source import SynthesisSource

class OverlayDepthRecipe(Recipe):
    """Overlay + mask + depth samples, synthesised or read from the original dataset."""

    name = "overlay-depth"
    family = "overlay-depth"
    summary = "a foreground pasted on a square background, its mask and a depth map"
    licence = "other"
    path_options = ("data_dir", "bg_root", "fg_root", "mask_root", "bg_depth_root")
    streams_from_sources = True

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The original dataset has one split, ``train`` (its csv is read once, when the
        recipe is prepared)."""
        return ["train"]

    @property
    def synthesised(self) -> bool:
        return self.options.data_dir is None

    def prepare(self) -> dict:
        """Scan the sources (once: ``schema`` may have done it already)."""
        if not hasattr(self, "source"):
            source = (SynthesisSource if self.synthesised else OriginalSource)(self)
            self._report = source.prepare()
            self.source = source
        return self._report

    def available(self) -> int:
        return self.source.available()

    def default_num_samples(self) -> int:
        return self.available()

    def schema(self) -> Schema:
        """The fields depend on the sources (a depth field or not, the original's file
        formats), so asking for the schema scans them if that has not happened yet."""
        if not hasattr(self, "source"):
            self.prepare()
        fields = tuple(FieldSpec(name, IMAGE, ext, description)
                       for name, ext, description in self.source.fields())
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES)

    def source_fingerprint(self) -> str:
        options = {k: v for k, v in asdict(self.options).items() if k not in self.path_options}
        listing = self.source.listing()
        return hashlib.sha256(json.dumps([options, listing], sort_keys=True).encode()).hexdigest()

    def describe(self) -> dict:
        """As the base, with a local depth model folder recorded by its name only (a Hub
        id as given)."""
        from mattehub.families.overlay_depth.depth_model import display_name  # no torch import until a model is loaded

        described = super().describe()
        if self.options.depth_kind == "model":
            described["options"]["depth"] = display_name(self.options.depth)
        return described

    def task_ranges(self, start: int, stop: int):
        return self.source.task_ranges(start, stop)

    def make(self, index: int) -> Outcome:
        return self.source.make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        return self.source.make_many(indices)

    def card_sections(self) -> dict[str, str]:
        return self.source.card_sections()

    def source_roots(self) -> list[str]:
        roots = super().source_roots()
        if self.options.depth_kind == "model" and Path(self.options.depth).exists():
            roots.append(self.options.depth)
        return roots

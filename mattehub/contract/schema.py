"""The sample contract: how the fields of a sample are kinded, encoded and previewed.

``docs/format.md`` is the human-readable version of this module (a test keeps the two in
step). A *family* declares, in its own folder (``mattehub/families/<family>/``), every field
its configs may carry; a *schema* is what one config actually writes (a fixed field set,
identical in Parquet and WebDataset), the feature types of both layouts (declared with
``mattehub.contract.features``, so a build worker never imports ``datasets``: the Arrow schema
the Parquet writer needs comes from ``arrow_schema``), and its family's declared field set,
which ``check_schema`` holds the config to.

Field kinds and their layouts:

========== ============================ ============================== ===================
kind       Python value from a recipe   Parquet column                 WebDataset member
========== ============================ ============================== ===================
image      encoded bytes (PNG or JPEG)  ``Image()``                    ``<name>.<ext>``
image_list list of encoded bytes        ``List(Image())``              ``<name>.mp`` (msgpack list of bytes)
clip       list of lists of bytes       ``List(List(Image()))``        ``<name>.mp``
meta       JSON-able dict               struct (recipe's features)     ``meta.json``
========== ============================ ============================== ===================

Lists go into one msgpack member because ``datasets``' WebDataset reader needs one fixed
member set per config: a variable number of ``alpha_0.png``, ``alpha_1.png``... members would
break it, while ``.mp`` is decoded by both ``datasets`` and the ``webdataset`` library into
the exact list of PNG bytes (empty lists included).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mattehub.contract.features import Feature, Image, List, Value, arrow_type, feature_dict, to_datasets

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa

IMAGE, IMAGE_LIST, CLIP, META = "image", "image_list", "clip", "meta"
KEY_FIELD = "__key__"


@dataclass(frozen=True)
class FieldSpec:
    """One field of one config: its name, kind and (for images) file extension."""

    name: str
    kind: str
    ext: str = "png"
    description: str = ""

    @property
    def wds_name(self) -> str:
        """Member suffix in a WebDataset tar, e.g. ``image.jpg`` or ``instance_alphas.mp``."""
        if self.kind == IMAGE:
            return f"{self.name}.{self.ext}"
        if self.kind == META:
            return f"{self.name}.json"
        return f"{self.name}.mp"


@dataclass(frozen=True)
class Schema:
    """What one config writes: a fixed, ordered field set and the meta feature types; and
    what its family allows."""

    config: str
    family: str
    fields: tuple[FieldSpec, ...]
    meta_features: dict = field(default_factory=dict)
    family_fields: tuple[str, ...] = ()
    """Every field the family may carry, as its folder declares it (the recipe's
    ``family_fields``): ``fields`` is a subset (``check_schema``), and ``--with trimap`` adds
    a ``trimap`` only where the family has one. Empty: no family declared (a test double)."""

    def field(self, name: str) -> FieldSpec:
        """The spec of field ``name``."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def _feature(self, spec: FieldSpec) -> Feature:
        return {
            IMAGE: Image(),
            IMAGE_LIST: List(Image()),
            CLIP: List(List(Image())),
            META: self.meta_features,
        }[spec.kind]

    def full_meta(self, meta: dict) -> dict:
        """``meta`` with every key of the declared struct (null where this config has none),
        as the Parquet struct stores it: WebDataset's ``meta.json`` then has the same keys."""
        return {key: meta.get(key) for key in self.meta_features} if self.meta_features else meta

    def parquet_columns(self) -> dict[str, Feature]:
        """The feature of each column of a Parquet row, in column order."""
        features: dict[str, Feature] = {KEY_FIELD: Value("string")}
        features.update({spec.name: self._feature(spec) for spec in self.fields})
        return features

    def wds_columns(self) -> dict[str, Feature]:
        """The feature of each column ``datasets``' WebDataset reader yields."""
        features: dict[str, Feature] = {KEY_FIELD: Value("string"), "__url__": Value("string")}
        features.update({spec.wds_name: self._feature(spec) for spec in self.fields})
        return features

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of a Parquet shard, with the ``datasets`` features in its
        ``huggingface`` metadata: what ``parquet_features().arrow_schema`` gives, without
        importing ``datasets`` (a test holds the two equal for every config)."""
        import pyarrow as pa  # the Parquet writer's own dependency; the CLI does not import it

        columns = self.parquet_columns()
        metadata = {"info": {"features": feature_dict(columns)}}
        return pa.schema(arrow_type(columns)).with_metadata({"huggingface": json.dumps(metadata)})

    def parquet_features(self) -> datasets.Features:
        """Features of a Parquet row (embedded in each shard's schema: ``arrow_schema``).
        Imports ``datasets``: for the card, the streaming builder and checks, not workers."""
        return to_datasets(self.parquet_columns())

    def wds_features(self) -> datasets.Features:
        """Features ``datasets``' WebDataset reader yields (declared in the dataset card).
        Imports ``datasets``, as ``parquet_features``."""
        return to_datasets(self.wds_columns())


PICTURE, GREY, INSTANCES, DEPTH, LABELS = "picture", "grey", "instances", "depth", "labels"
"""How a preview tile draws a field: a colour picture; a grey matte; one colour per instance
(a list of mattes or masks over black); a depth map (16-bit in colour, 8-bit relative as
grey); a label map (one colour per label, 0 black)."""


@dataclass(frozen=True)
class TileRule:
    """How the preview sheet (``mattehub/output/preview.py``) shows one contract field."""

    label: str
    draw: str
    hidden_by: str | None = None
    """A field whose presence makes this one redundant: ``bg`` beside ``fg`` is a layer of
    the composite, while a lone ``bg`` (overlay-depth) is an input worth seeing."""


TILES: dict[str, TileRule] = {
    "image": TileRule("image", PICTURE), "frames": TileRule("frame", PICTURE),
    "alpha": TileRule("alpha", GREY), "trimap": TileRule("trimap", GREY), "mask": TileRule("mask", GREY),
    "instance_alphas": TileRule("instances", INSTANCES), "instance_masks": TileRule("masks", INSTANCES),
    "depth": TileRule("depth", DEPTH), "segmentation": TileRule("segmentation", LABELS),
    "bg": TileRule("bg", PICTURE, hidden_by="fg"),
}
"""The preview column of each field, in column order; the first listed field a sample has
is its picture (clips: one per frame). Fields not listed (``fg``, ``meta``) get no column."""


def check_schema(schema: Schema) -> None:
    """Fail early if a recipe declares a field its family does not have (its family's field
    set travels in the schema: the contract knows no family by name)."""
    unknown = [spec.name for spec in schema.fields if spec.name not in schema.family_fields]
    if unknown:
        raise ValueError(f"{schema.config}: fields {unknown} are not in family {schema.family}")

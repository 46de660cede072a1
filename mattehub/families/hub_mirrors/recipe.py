"""``hub-him2k`` and ``hub-aim500``: Hub mirrors' Parquet rows as mattehub samples, read in place.

One sample per row of the split (``sources.py``: files in path order, rows in file order).
Per sample:

* ``image``: the image column's stored bytes through the gate (``gate.pass_through_rgb``):
  a plain upright RGB JPEG is kept byte for byte, anything else is re-encoded as JPEG with a
  ``normalised_input`` event naming the row;
* ``hub-aim500``: ``alpha``, the mask through ``gate.decode_matte`` at the image's size (an
  8-bit grey PNG keeps its bytes; another mode, which the mirror's card says varies upstream,
  becomes 8-bit grey PNG with an event naming it);
* ``hub-him2k``: ``instance_alphas``, each matte of the list the same way, and ``alpha``, their
  union min(255, sum) (one instance: its own bytes), as the ``him2k`` release config writes;
* ``meta``: the row's name (its image's stored file name, else ``image_name``, else file and
  row), the split (HIM-2K: the ``subset`` column, comp or natural, as ``him2k`` records it),
  size, where the row is, and the mirror's ``category``/``type`` columns when it has them.

A row whose image or mask is damaged (no bytes, truncated, undecodable, another size than
its image) is a counted skip naming the file, row and column; the other rows are made.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import ClassVar

import cv2

from mattehub.contract import codecs, decoded
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.families.hub_mirrors import sources as mirror
from mattehub.families.hub_mirrors.meta import (FIELDS, IMAGE_HIM_FIELDS, IMAGE_HIM_META,
                                                META_FEATURES)
from mattehub.inputs import gate
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import read_outcome

TASK_ROWS = 16
"""Rows per build task (never across a row group: one group read serves the task)."""

HIM2K_HUB_TERMS = LicenceTerms(
    "cc-by-nc-4.0", "Creative Commons Attribution-NonCommercial 4.0", Redistribution.ALLOWED,
    False, "Yanan Sun, Chi-Keung Tang, Yu-Wing Tai. Human Instance Matting via Mutual Guidance "
    "and Multi-Instance Refinement. CVPR 2022.", "https://huggingface.co/datasets/nobg/HIM-2K",
    ("HIM-2K (Hub mirror nobg/HIM-2K)",))
"""The licence the mirror's card states for HIM-2K (docs/licences.md)."""
AIM500_HUB_TERMS = LicenceTerms(
    "aim-500-agreement", "AIM-500 Dataset Release Agreement (labelled MIT License by the authors)",
    Redistribution.UNKNOWN, None, "Jizhizi Li, Jing Zhang, Dacheng Tao. Deep Automatic Natural "
    "Image Matting. IJCAI 2021.", "https://huggingface.co/datasets/nobg/AIM-500",
    ("AIM-500 (Hub mirror nobg/AIM-500)",))
"""No licence of the mirror's own was found; AIM-500's release agreement was not read: until
it is, redistribution is unknown (docs/licences.md)."""


class HubMirrorRecipe(Recipe):
    """A mirror's rows read in place; subclasses say what a row's mask is and makes."""

    mask_kind: ClassVar[str]
    repo: ClassVar[str]

    @classmethod
    def origin(cls) -> str:
        return (f"the mirror is the Hub dataset {cls.repo}: pass hf://datasets/{cls.repo} or a "
                "local folder of its Parquet files as --data-dir")

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The splits of the Parquet files under ``data_dir``."""
        return mirror.source_splits(data_dir, cls.origin())

    def scan_sources(self) -> tuple[mirror.MirrorScan, dict]:
        options = self.options
        scan = mirror.scan(options.data_dir, options.split, options.image_column,
                           options.mask_column, self.mask_kind, self.origin())
        return scan, {"location": scan.location, "split": scan.split, "files": len(scan.files),
                      "samples": len(scan), "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    def available(self) -> int:
        return len(self.sources)

    def task_ranges(self, start: int, stop: int):
        """Runs of up to ``TASK_ROWS`` ids inside one row group."""
        ends = [first for first, _, _ in self.sources.blocks[1:]] + [len(self.sources)]
        index = start
        while index < stop:
            end = min(stop, index + TASK_ROWS, next(e for e in ends if e > index))
            yield range(index, end)
            index = end

    def make(self, index: int) -> Outcome:
        where = self.sources.where(index)
        return read_outcome(index, lambda events: self._sample(index, where, events))

    def _sample(self, index: int, where: str, events: list[dict]) -> EncodedSample:
        row = self.sources.row(index)
        column = self.options.image_column
        name = f"{where} ({column})"
        image = gate.pass_through_rgb(mirror.image_bytes(row[column], where, column), name, "jpg")
        if image.note:
            events.append(gate.note_event(name, image.note))
        fields, meta = self.mattes(row, where, image.size, events)
        meta.update(name=_name(row[column], row, where), width=image.size[0], height=image.size[1])
        return EncodedSample(index, sample_key(index), {"image": image.data, **fields, "meta": meta})

    def matte(self, value: object, where: str, what: str, size: tuple[int, int],
              events: list[dict]) -> gate.Matte:
        """One mask value through the gate (an event when it was normalised); its pixels are
        kept for a reader in this process that wants arrays (``contract/decoded.py``)."""
        matte = gate.decode_matte(mirror.image_bytes(value, where, what), f"{where} ({what})", size)
        if decoded.wanted():  # a reader in this process wants arrays: it gets these pixels
            decoded.remember(matte.data, matte.array)
        if matte.note:
            events.append(gate.note_event(f"{where} ({what})", matte.note))
        return matte

    def mattes(self, row: dict, where: str, size: tuple[int, int], events: list[dict]
               ) -> tuple[dict, dict]:
        """(the mask fields, the meta so far) of a row."""
        raise NotImplementedError


def _name(image: object, row: dict, where: str) -> str:
    """The row's name: its image's stored file name (stem), else ``image_name``, else the
    file's stem and the row (``test-00000-of-00001-00012``)."""
    path = image.get("path") if isinstance(image, dict) else None
    if path:
        return PurePosixPath(str(path)).stem
    if row.get("image_name"):
        return str(row["image_name"])
    file, _, number = where.rpartition(" row ")
    return f"{PurePosixPath(file).stem}-{int(number):05d}"


def union(mattes: list[gate.Matte]) -> bytes:
    """min(255, sum of the instance mattes) as 8-bit grey PNG (one instance: its own bytes),
    the ``alpha`` the ``him2k`` release config writes (OpenCV's saturating add)."""
    if len(mattes) == 1:
        return mattes[0].data
    total = mattes[0].array.copy()
    for matte in mattes[1:]:
        cv2.add(total, matte.array, dst=total)
    data = codecs.encode_png(total)
    if decoded.wanted():
        decoded.remember(data, total)
    return data


class HubHim2kRecipe(HubMirrorRecipe):
    """A HIM-2K-style mirror: image + instance mattes (+ their union), image-HIM contract."""

    name = "hub-him2k"
    family = "image-him"
    family_fields = IMAGE_HIM_FIELDS
    summary = "HIM-2K read in place from its Hub mirror's Parquet files (instance mattes)"
    licence = "cc-by-nc-4.0"
    terms = HIM2K_HUB_TERMS
    mask_kind = mirror.LIST
    repo = "nobg/HIM-2K"

    def schema(self) -> Schema:
        fields = (FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                  FieldSpec("instance_alphas", IMAGE_LIST), FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, IMAGE_HIM_META, self.family_fields)

    def mattes(self, row: dict, where: str, size: tuple[int, int], events: list[dict]
               ) -> tuple[dict, dict]:
        column = self.options.mask_column
        values = row[column] or []
        if not values:
            raise SourceError(f"{where} ({column})", "holds no instance matte",
                                     "every HIM-2K image has at least one instance")
        mattes = [self.matte(v, where, f"{column}[{k}]", size, events) for k, v in enumerate(values)]
        meta = {"config": self.name, "split": row.get("subset") or self.options.split,
                "image_source": f"{where} ({self.options.image_column})",
                "alpha_sources": [f"{where} ({column}[{k}])" for k in range(len(mattes))],
                "num_instances": len(mattes), "mask_present": []}
        return {"alpha": union(mattes), "instance_alphas": [m.data for m in mattes]}, meta


class HubAim500Recipe(HubMirrorRecipe):
    """An AIM-500-style mirror: image + one alpha matte, with its category and type."""

    name = "hub-aim500"
    family = "hub-mirror"
    family_fields = FIELDS
    summary = "AIM-500 read in place from its Hub mirror's Parquet files (alpha, category, type)"
    licence = "other"
    terms = AIM500_HUB_TERMS
    mask_kind = mirror.SINGLE
    repo = "nobg/AIM-500"

    @classmethod
    def default_split(cls) -> str:
        return "test"

    def schema(self) -> Schema:
        fields = (FieldSpec("image", IMAGE, "jpg", "the image, as stored in the mirror"),
                  FieldSpec("alpha", IMAGE, "png", "the alpha matte, 8-bit grey PNG (as stored "
                                                   "when it already is one)"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES, self.family_fields)

    def mattes(self, row: dict, where: str, size: tuple[int, int], events: list[dict]
               ) -> tuple[dict, dict]:
        column = self.options.mask_column
        matte = self.matte(row[column], where, column, size, events)
        meta = {"recipe": self.name, "split": self.options.split, "source": where,
                "category": row.get("category"), "type": row.get("type")}
        return {"alpha": matte.data}, meta

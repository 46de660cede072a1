"""``rwp-636``: MG Matting's real-world portrait test set, read in place.

One sample per image/alpha pair (``sources.py``), split ``test``. ``image``: the JPEG's bytes
through the pass-through gate (kept when upright 3-component RGB, else re-encoded with a
``normalised_input`` event); ``alpha``: the PNG through the matte gate at the image's size
(an 8-bit grey PNG keeps its bytes; another mode is converted with an event; another size is
a counted skip naming it); ``meta``: name, split, size, both release-relative paths. The
release's ``detailmap/`` (MG Matting's evaluation region, ``>0`` = detail) is not a trimap
and is not stored; ``--with trimap`` adds one computed from ``alpha``.
"""
from __future__ import annotations

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.families.rwp636 import sources as rwp
from mattehub.families.rwp636.meta import FIELDS, META_FEATURES
from mattehub.inputs import gate
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import read_outcome

TASK_PAIRS = 16
"""Pairs per build task: their files are fetched together."""

RWP636_TERMS = LicenceTerms(
    "mgmatting-cc-by-nc-2.0", "MG Matting project terms: research only; redistribution under "
    "CC BY-NC 2.0", Redistribution.UNKNOWN, False,
    "Qihang Yu, Jianming Zhang, He Zhang, Yilin Wang, Zhe Lin, Ning Xu, Yutong Bai, Alan Yuille. "
    "Mask Guided Matting via Progressive Refinement Network. CVPR 2021.",
    "https://github.com/yucornetto/MGMatting", ("RWP-636 (MG Matting's real-world portraits)",))
"""The repository states "Research only" and CC BY-NC 2.0 for "the project"; whether that
covers the dataset is not said, so redistribution is recorded as unknown (docs/licences.md)."""


class Rwp636Recipe(Recipe):
    """RWP-636 image + alpha, read in place."""

    name = "rwp-636"
    family = "rwp-636"
    family_fields = FIELDS
    summary = "RWP-636 real-world portraits (MG Matting) with alpha mattes, read in place"
    licence = "other"
    terms = RWP636_TERMS

    @classmethod
    def default_split(cls) -> str:
        return "test"

    def scan_sources(self) -> tuple[rwp.RwpScan, dict]:
        scan = rwp.scan(self.options.data_dir)
        return scan, {"location": scan.location, "samples": len(scan.pairs),
                      "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    def available(self) -> int:
        return len(self.sources.pairs)

    def schema(self) -> Schema:
        fields = (FieldSpec("image", IMAGE, "jpg", "the RWP-636 image, as published"),
                  FieldSpec("alpha", IMAGE, "png", "the alpha matte, 8-bit grey PNG (as "
                                                   "published when it already is one)"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES, self.family_fields)

    def task_ranges(self, start: int, stop: int):
        for first in range(start, stop, TASK_PAIRS):
            yield range(first, min(stop, first + TASK_PAIRS))

    def make(self, index: int) -> Outcome:
        return self.make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        pairs = [self.sources.pairs[index] for index in indices]
        return [read_outcome(index, lambda events, p=pair, b=blobs: self._sample(index, p, b, events))
                for index, pair, blobs in zip(indices, pairs, self.sources.read(pairs))]

    def _sample(self, index: int, pair: rwp.Pair, blobs: tuple[bytes, bytes],
                events: list[dict]) -> EncodedSample:
        image_path, alpha_path = self.sources.relative(pair.image), self.sources.relative(pair.alpha)
        image = gate.pass_through_rgb(blobs[0], image_path, "jpg")
        matte = gate.decode_matte(blobs[1], alpha_path, image.size)
        events += [gate.note_event(path, note) for path, note
                   in ((image_path, image.note), (alpha_path, matte.note)) if note]
        meta = {"recipe": self.name, "name": pair.name, "split": self.options.split,
                "width": image.size[0], "height": image.size[1],
                "paths": {"image": image_path, "alpha": alpha_path}}
        return EncodedSample(index, sample_key(index), {"image": image.data, "alpha": matte.data,
                                                         "meta": meta})

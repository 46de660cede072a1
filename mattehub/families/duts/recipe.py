"""``duts``: DUTS salient-object images, their masks as alpha, and DUTS trimaps.

Read in place (``sources.py``: extracted folders or the published zips, local or
remote), one sample per image/mask pair in stem order; splits ``train`` (DUTS-TR) and
``test`` (DUTS-TE). Per sample:

* ``image``: the JPEG's bytes passed through, checked by the gate (complete, a readable
  header, upright 3-component RGB: ``gate.pass_through_rgb``); a grey, CMYK or EXIF-rotated
  JPEG is re-encoded as upright RGB JPEG (default quality) with a ``normalised_input`` event,
  so every reader sees the size the mask is checked against;
* ``alpha``: the mask through ``gate.decode_matte`` at the image's size: an 8-bit grey PNG
  keeps its bytes; a colour, 16-bit, palette or JPEG mask is converted to 8-bit grey PNG
  with a ``normalised_input`` event naming it (counted in the stats); a mask of another size
  than its image is a counted skip naming it;
* ``trimap``: ``mattehub.trimap(alpha, kind="duts")`` (ones kernel of (H/40, W/40);
  (erode + dilate) / 2), lossless PNG with values 0, 128, 255;
* ``meta``: name, split, size, the DUTS-relative paths of both files, the trimap kind.

A pair whose files fail the gate (a truncated JPEG, an unreadable mask) is a counted skip
with a ``bad_input`` event naming the file; the other samples are made.
"""
from __future__ import annotations

from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.duts import sources as duts
from mattehub.families.duts.meta import FIELDS, META_FEATURES
from mattehub.inputs import gate
from mattehub.synthesis.trimap import trimap
from mattehub.recipes.base import Recipe, fingerprint
from mattehub.recipes.outcomes import read_outcome

TRIMAP_KIND = "duts"
TASK_PAIRS = 16
"""Pairs per build task: their files are fetched together (one round of remote reads)."""


DUTS_TERMS = LicenceTerms(
    "duts-terms", "DUTS (published for research without a stated licence)",
    Redistribution.UNKNOWN, None, "Lijun Wang et al. Learning to Detect Salient Objects with "
    "Image-level Supervision. CVPR 2017.", "http://saliencydetection.net/duts/",
    ("DUTS (images from ImageNet DET and SUN)",))
"""No licence of its own is published; its images keep their owners' rights (docs/licences.md)."""


class DutsRecipe(Recipe):
    """DUTS image + mask (as alpha) + DUTS trimap, read in place."""

    name = "duts"
    family = "duts"
    family_fields = FIELDS
    summary = "DUTS salient-object images, their masks as alpha, and DUTS trimaps"
    licence = "other"
    terms = DUTS_TERMS

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The splits whose folder or zip is under ``data_dir`` (``train``, ``test``)."""
        return duts.source_splits(data_dir)

    def scan_sources(self) -> tuple[duts.DutsScan, dict]:
        """The split's pairs (``sources.py`` reads the folder or zip)."""
        scan = duts.scan(self.options.data_dir, self.options.split)
        return scan, {"location": scan.location, "split": scan.split, "images": scan.images,
                      "masks": scan.masks, "samples": len(scan.pairs),
                      "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    def available(self) -> int:
        return len(self.sources.pairs)

    def schema(self) -> Schema:
        fields = (FieldSpec("image", IMAGE, "jpg", "the DUTS image, as published"),
                  FieldSpec("alpha", IMAGE, "png", "the DUTS mask, 8-bit grey PNG (as published "
                                                   "when it already is one)"),
                  FieldSpec("trimap", IMAGE, "png", "DUTS trimap of alpha: 0, 128 unknown, 255"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES, self.family_fields)

    def source_fingerprint(self) -> str:
        """As every recipe's, with the trimap kind (a new kind makes new samples)."""
        return fingerprint(self.hashed_options(), TRIMAP_KIND, self.sources.listing())

    def task_ranges(self, start: int, stop: int):
        for first in range(start, stop, TASK_PAIRS):
            yield range(first, min(stop, first + TASK_PAIRS))

    def make(self, index: int) -> Outcome:
        return self.make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        pairs = [self.sources.pairs[index] for index in indices]
        return [self._outcome(index, pair, blobs)
                for index, pair, blobs in zip(indices, pairs, self.sources.read(pairs))]

    def _outcome(self, index: int, pair: duts.Pair, blobs: tuple[bytes, bytes]) -> Outcome:
        return read_outcome(index, lambda events: self._sample(index, pair, blobs, events))

    def _sample(self, index: int, pair: duts.Pair, blobs: tuple[bytes, bytes],
                events: list[dict]) -> EncodedSample:
        image_path, mask_path = self.sources.relative(pair.image), self.sources.relative(pair.mask)
        image_bytes, mask_bytes = blobs
        if codecs.sniff_format(image_bytes) not in ("jpg", None):
            raise SourceError(image_path, f"is a {codecs.sniff_format(image_bytes)} file named "
                                          "like a JPEG (DUTS images are JPEG)", gate.FIX)
        image = gate.pass_through_rgb(image_bytes, image_path, "jpg")
        width, height = image.size
        matte = gate.decode_matte(mask_bytes, mask_path, image.size)
        events += [gate.note_event(path, note) for path, note
                   in ((image_path, image.note), (mask_path, matte.note)) if note]
        meta = {"recipe": self.name, "name": pair.name, "split": self.options.split,
                "width": width, "height": height,
                "paths": {"image": image_path, "mask": mask_path},
                "trimap_kind": TRIMAP_KIND, "index": index}
        fields = {"image": image.data, "alpha": matte.data,
                  "trimap": codecs.encode_png(trimap(matte.array, TRIMAP_KIND)), "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

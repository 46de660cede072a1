"""``videomatte240k-rvm-eval``: the evaluation sets Robust Video Matting's scripts generate
from VideoMatte240K's test videos (``rvm_sources.py``), read in place, one whole clip a sample.

Per sample (a generated clip):

* ``frames``: the ``com`` frames (the composites RVM's models are run on), bytes as stored
  when they are 8-bit RGB PNG (the scripts' default), else the lossless PNG of their pixels
  with a note (``gate.pass_through_rgb``);
* ``instance_alphas``: per frame, a list of one alpha, the ``pha`` frame: its own bytes when
  it is an 8-bit grey PNG (the scripts write PIL ``L`` PNGs), else the lossless PNG of the
  gate's normalised matte (``clips.stored_alpha``);
* ``meta``: the dataset and clip folder names, the frame names, sizes, what the alphas were.

``__key__`` is ``<dataset>_<clip>`` (``videomatte_motion_0003``): predictions for
``mattehub evaluate --protocol rvm`` go to ``PRED/<dataset>_<clip>/<t>/0.png``.
"""
from __future__ import annotations

from mattehub.contract import codecs
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.contract.schema import CLIP, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.families.videomatte240k import rvm_sources as rvm
from mattehub.families.videomatte240k.clips import stored_alpha
from mattehub.families.videomatte240k.meta import FIELDS, RVM_EVAL_META_FEATURES
from mattehub.families.videomatte240k.recipe import CITATION
from mattehub.inputs import gate
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import read_outcome

RVM_CITATION = ("Shanchuan Lin, Linjie Yang, Imran Saleemi, Soumyadip Sengupta. Robust "
                "High-Resolution Video Matting with Temporal Guidance. WACV 2022.")
RVM_HOME = "https://github.com/PeterL1n/RobustVideoMatting/tree/master/evaluation"
RVM_EVAL_TERMS = LicenceTerms(
    "videomatte240k-rvm-eval-sources",
    "VideoMatte240K (MIT) composited on RVM's evaluation backgrounds (terms not stated)",
    Redistribution.UNKNOWN, None, f"{CITATION} {RVM_CITATION}", RVM_HOME,
    ("VideoMatte240K", "RVM's evaluation backgrounds (BGMv2 valid images, DVM videos)"))
"""The composites carry the backgrounds' terms too, which no one states: private by the
publish gate (docs/licences.md)."""


class RvmEvalRecipe(Recipe):
    """RVM's generated evaluation clips (``com`` + ``pha``), read in place."""

    name = "videomatte240k-rvm-eval"
    family = "videomatte240k"
    family_fields = FIELDS
    summary = "Robust Video Matting's VideoMatte240K evaluation sets, read in place as whole clips"
    licence = "other"
    terms = RVM_EVAL_TERMS

    @classmethod
    def default_split(cls) -> str:
        return rvm.COMBINED

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """``combined`` and one split per dataset folder."""
        return rvm.source_splits(data_dir)

    def scan_sources(self):
        scan = rvm.scan(self.options.data_dir, self.options.split)
        return scan, {"location": scan.location, "split": scan.split, "samples": len(scan.clips),
                      "datasets": sorted({c.dataset for c in scan.clips}),
                      "frames": sum(len(c.names) for c in scan.clips),
                      "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    def available(self) -> int:
        return len(self.sources.clips)

    def schema(self) -> Schema:
        fields = (FieldSpec("frames", IMAGE_LIST, "png", "the com frames (RVM's composites), "
                            "PNG as generated"),
                  FieldSpec("instance_alphas", CLIP, "png", "per frame, its one alpha: the pha "
                            "frame, 8-bit grey PNG as generated"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, RVM_EVAL_META_FEATURES, self.family_fields)

    def make(self, index: int) -> Outcome:
        return read_outcome(index, lambda events: self.read_sample(index, events))

    def read_sample(self, index: int, events: list[dict]) -> EncodedSample:
        scan: rvm.RvmEvalScan = self.sources
        clip = scan.clips[index]
        blobs = scan.tree.read_many(list(clip.com) + list(clip.pha))
        frames, alphas, size = [], [], None
        for member, data in zip(clip.com, blobs):
            name = scan.relative(member)
            image = gate.pass_through_rgb(data, name, "png")
            if image.note:
                events.append(gate.note_event(name, image.note))
            size = size or image.size
            if image.size != size:
                raise SourceError(name, f"is {image.size[0]}x{image.size[1]} but the clip's first "
                                  f"frame is {size[0]}x{size[1]}", "every frame of a clip has one size")
            frames.append(image.data)
        for member, data in zip(clip.pha, blobs[len(clip.com):]):
            alphas.append([stored_alpha(scan.relative(member), data, size, events)[1]])
        meta = {"recipe": self.name, "index": index, "split": self.options.split,
                "dataset": clip.dataset, "clip": clip.clip, "frame_names": list(clip.names),
                "num_frames": len(clip.names), "width": size[0], "height": size[1],
                "alpha_format": codecs.sniff_format(blobs[len(clip.com)]) or "other"}
        return EncodedSample(index, clip.key, {"frames": frames, "instance_alphas": alphas,
                                               "meta": meta})

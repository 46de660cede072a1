"""``videomatte240k``: VideoMatte240K's clips with their alphas, read in place; and
``videomatte240k-comp``: the same clips composited on still or video backgrounds.

Sources (``sources.py``): one split (``train`` or ``test``, the release's folders) of the
JPEG SD/HD releases (frame folders) or the mp4 release (video pairs), cut into consecutive,
non-overlapping clips of ``--clip-length`` frames, the remainder of each video dropped.
Sample ``i`` is the ``i``-th clip of the split. Per sample:

* ``frames``: ``videomatte240k``: the published ``fgr`` JPEGs, bytes unchanged (checked by
  ``gate.pass_through_rgb``), or the mp4's frames as JPEG at ``--jpeg-quality``;
  ``videomatte240k-comp``: the composites (``compose.py``), JPEG at ``--jpeg-quality``;
* ``instance_alphas``: per frame, a list of one matte: the ``pha`` frame as decoded, stored
  as lossless 8-bit grey PNG (``clips.py``);
* ``meta``: the video, its frame names and the clip's place in it, sizes, the alphas'
  source format (and the background drawn).

A damaged or mismatched file (a truncated JPEG, an alpha of another size, an mp4 that ends
early) makes its clip a counted skip with a ``bad_input`` event naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from mattehub.contract import codecs
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import CLIP, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.rng import sample_rng
from mattehub.families.videomatte240k import compose, sources as vm
from mattehub.families.videomatte240k.clips import ClipFrames, VideoCursor, read_clip
from mattehub.families.videomatte240k.meta import COMP_META_FEATURES, FIELDS, META_FEATURES
from mattehub.families.videomatte240k.options import HOME
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import LastItem, read_outcome

TASK_CLIPS = 8
"""Consecutive clips of one video per build task: an mp4 is decoded once for them."""
CITATION = ("Shanchuan Lin, Andrey Ryabtsev, Soumyadip Sengupta, Brian Curless, Steve Seitz, "
            "Ira Kemelmacher-Shlizerman. Real-Time High-Resolution Background Matting. CVPR 2021.")

VIDEOMATTE_TERMS = LicenceTerms(
    "mit", "MIT License (VideoMatte240K, as its authors state)", Redistribution.ALLOWED, True,
    CITATION, "https://github.com/PeterL1n/BackgroundMattingV2/issues/208", ("VideoMatte240K",))
"""The BackgroundMattingV2 repository is MIT-licensed, and its first author answered that
the dataset is too (docs/licences.md)."""
VIDEOMATTE_COMP_TERMS = LicenceTerms(
    "videomatte240k-comp-sources", "VideoMatte240K (MIT) and the backgrounds supplied",
    Redistribution.UNKNOWN, None, CITATION + " And the background sets used.", HOME,
    ("VideoMatte240K", "background images and videos supplied"))
"""Composites inherit the terms of the backgrounds too: no one licence (docs/licences.md)."""


class VideoMatteRecipe(Recipe):
    """VideoMatte240K clips (``fgr`` frames + ``pha`` alphas), read in place."""

    name = "videomatte240k"
    family = "videomatte240k"
    family_fields = FIELDS
    summary = "VideoMatte240K clips with their alpha mattes, read in place"
    licence = "mit"
    terms = VIDEOMATTE_TERMS
    decode_frames = False
    """Whether ``make`` needs the frames' pixels (the composited config) or their bytes."""

    def __init__(self, options, seed: int) -> None:
        super().__init__(options, seed)
        self._cursor: LastItem[VideoCursor] = LastItem()

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The splits whose folder the release holds (``train``, ``test``)."""
        return vm.source_splits(data_dir)

    def scan_sources(self):
        scan = vm.scan(self.options.data_dir, self.options.split, self.options.clip_length)
        return scan, {"location": scan.location, "split": scan.split, "videos":
                      len({run.video for run in scan.runs}), "runs": len(scan.runs),
                      "samples": len(scan.windows), "frames_dropped": scan.frames_dropped,
                      "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    @property
    def clips(self) -> vm.VideoMatteScan:
        """The scanned clips (``sources``; the comp config's ``sources.scan``)."""
        return self.sources

    def available(self) -> int:
        return len(self.clips.windows)

    def schema(self) -> Schema:
        fields = (FieldSpec("frames", IMAGE_LIST, "jpg", self.frames_description),
                  FieldSpec("instance_alphas", CLIP, "png", "per frame, its one alpha: the pha "
                            "frame as decoded, 8-bit grey PNG"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, self.meta_features, self.family_fields)

    frames_description = "the fgr frames (JPEG as published; mp4 frames as JPEG)"
    meta_features = META_FEATURES

    def task_ranges(self, start: int, stop: int):
        """Consecutive clips of one video go together (at most ``TASK_CLIPS``)."""
        windows = self.clips.windows
        for _, group in groupby(range(start, stop), key=lambda i: windows[i].run):
            ids = list(group)
            for first in range(0, len(ids), TASK_CLIPS):
                yield range(ids[first], ids[min(first + TASK_CLIPS, len(ids)) - 1] + 1)

    def make(self, index: int) -> Outcome:
        return read_outcome(index, lambda events: self.read_sample(index, events))

    def read_clip(self, index: int, events: list[dict]) -> ClipFrames:
        window = self.clips.windows[index]
        run = self.clips.runs[window.run]
        cursor = None
        if run.kind == "video":
            cursor = self._cursor.get(window.run, lambda: VideoCursor(self.clips, run))
        return read_clip(self.clips, window, self.decode_frames, events, cursor)

    def read_sample(self, index: int, events: list[dict]) -> EncodedSample:
        clip = self.read_clip(index, events)
        frames, quality = clip.stored, None
        if frames is None:
            quality = self.options.jpeg_quality
            frames = [codecs.encode_jpeg(rgb, quality) for rgb in clip.rgb]
        return self.encode(index, frames, clip, {"jpeg_quality": quality})

    def encode(self, index: int, frames: list[bytes], clip: ClipFrames, extra: dict) -> EncodedSample:
        window = self.clips.windows[index]
        run = self.clips.runs[window.run]
        length = self.options.clip_length
        meta = {"recipe": self.name, "index": index, "split": self.options.split,
                "video": run.video, "kind": run.kind,
                "frame_names": list(run.stems[window.first:window.first + length]),
                "start": run.offset + window.first, "num_frames": length,
                "width": clip.size[0], "height": clip.size[1],
                "alpha_format": clip.alpha_format, **extra}
        fields = {"frames": frames, "instance_alphas": [[png] for png in clip.alpha_pngs],
                  "meta": meta}
        return EncodedSample(index, sample_key(index), fields)


class VideoMatteCompRecipe(VideoMatteRecipe):
    """VideoMatte240K clips composited on still or video backgrounds (RVM's training data)."""

    name = "videomatte240k-comp"
    summary = "VideoMatte240K clips composited on still or video backgrounds (as RVM trains)"
    licence = "other"
    terms = VIDEOMATTE_COMP_TERMS
    decode_frames = True
    frames_description = "the composites, JPEG"
    meta_features = COMP_META_FEATURES

    def scan_sources(self):
        scan, report = super().scan_sources()
        backgrounds = compose.scan(self.options.bg_root, self.options.bg_video_root)
        report.update(stills=len(backgrounds.stills), background_videos=len(backgrounds.videos))
        report["skipped_inputs"] += [s.as_dict() for s in backgrounds.skipped]
        return CompSources(scan, backgrounds), report

    @property
    def clips(self) -> vm.VideoMatteScan:
        return self.sources.scan

    def read_sample(self, index: int, events: list[dict]) -> EncodedSample:
        length = self.options.clip_length
        rng = sample_rng(self.name, self.seed, index)
        chosen = compose.draw(self.sources.backgrounds, rng, length, self.options.still_background)
        clip = self.read_clip(index, events)
        backs = compose.background_frames(self.options, self.sources.backgrounds, chosen, length,
                                          clip.size)
        quality = self.options.jpeg_quality
        frames = [codecs.encode_jpeg(compose.composite(rgb, alpha, back), quality)
                  for rgb, alpha, back in zip(clip.rgb, clip.alphas, backs)]
        extra = {"jpeg_quality": quality, "seed": self.seed,
                 "background": compose.describe(self.sources.backgrounds, chosen),
                 "background_kind": chosen.kind, "background_start": chosen.start,
                 "background_frames": chosen.count}
        return self.encode(index, frames, clip, extra)


@dataclass(frozen=True)
class CompSources:
    """What a ``videomatte240k-comp`` build reads: the clips and the backgrounds."""

    scan: vm.VideoMatteScan
    backgrounds: compose.Backgrounds

    def listing(self) -> list:
        """As fingerprinted: the clips' listing and the backgrounds'."""
        return [self.scan.listing(), self.backgrounds.listing()]

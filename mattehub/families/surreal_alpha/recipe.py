"""``surreal-alpha``: SURREAL renders as alpha-matting samples (Deep Image Matting's recipe).

One sample = (clip, frame, background k). Clips are sorted by path; frames are
``0, stride, 2*stride...`` of the frames both the video and the labels have; for each frame,
``num_bgs`` distinct backgrounds are drawn from a generator seeded by (config, seed, frame
id), so the choice is reproducible and can pick every background. Sample ``i`` is frame
``i // num_bgs`` of that listing, background ``i % num_bgs``: consecutive ids share a clip,
and a clip is decoded once for all its samples (a one-clip cache per process, and build
tasks that never straddle two clips).

Fields (docs/format.md section 3): ``segmentation`` the part labels as stored, ``alpha`` =
255 where label > 0, ``fg`` the frame where alpha, ``bg``, ``image`` = alpha*fg +
(1-alpha)*bg, ``depth`` in millimetres (0 = invalid), ``meta``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import Outcome, sample_key, EncodedSample
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.surreal_alpha import sources as surreal
from mattehub.inputs.backgrounds import read_background, require_backgrounds
from mattehub.inputs.listing import skip_lines
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import LastItem, background_attempts, drawn
from mattehub.families.surreal_alpha.compose import LAYERS, Composite, DrawnBackground, check_frame, compose
from mattehub.families.surreal_alpha.meta import FIELDS, META_FEATURES

FIELD_ORDER = ("image", "alpha", "fg", "bg", "depth", "segmentation", "meta")
"""The schema's field order (``schema`` builds its fields in this order)."""
TASK_SAMPLES = 64
"""Most samples one build task makes (tasks never straddle two clips): a clip with up to
64 samples is decoded once per build whatever the worker count, a longer one at most once
per worker; 64 samples in ``--layout dim`` are ~64 MB of encoded results in flight."""


SURREAL_TERMS = LicenceTerms(
    "surreal-license", "SURREAL Code and Data License (non-commercial scientific research)",
    Redistribution.FORBIDDEN, False,
    "Gul Varol et al. Learning from Synthetic Humans. CVPR 2017 (cite the SURREAL paper).",
    "https://www.di.ens.fr/willow/research/surreal/data/", ("SURREAL",))
"""SURREAL may not be "made available in any form to any third party" without the owners'
written permission (its LICENSE.md; docs/licences.md)."""


class SurrealAlphaRecipe(Recipe):
    """SURREAL frames composited over new backgrounds, with labels, depth and pose."""

    name = "surreal-alpha"
    family = "surreal-alpha"
    family_fields = FIELDS
    summary = "SURREAL renders as alpha mattes over new backgrounds (Deep Image Matting recipe)"
    licence = "other"
    terms = SURREAL_TERMS

    def __init__(self, options: SurrealAlphaOptions, seed: int) -> None:
        super().__init__(options, seed)
        self._cache: LastItem[surreal.ClipArrays] = LastItem()
        """The last decoded clip (or its SourceError), for the clip's next samples."""
        self._layers: tuple[tuple, dict[str, bytes]] | None = None
        """The last frame's encoded layers, for the frame's next samples."""

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The SURREAL splits a tree holds (``["train"]`` for a run or sequence folder)."""
        found = surreal.source_splits(Path(data_dir))
        for split in found:
            surreal.search_root(Path(data_dir), split)  # a missing tree says where SURREAL comes from
        return found

    def scan_sources(self) -> tuple[surreal.SurrealSources, dict]:
        opts = self.options
        scan = surreal.scan(Path(opts.data_dir), opts.split)
        if not scan.clips:
            why = f"; {len(scan.skipped)} skipped:{skip_lines(scan.skipped)}" if scan.skipped else ""
            raise SourceError(scan.root, f"holds no usable SURREAL clip{why}", surreal.SOURCE)
        backgrounds = require_backgrounds(Path(opts.bg_root), opts.num_bgs)
        per_clip = [-(-clip.frames // opts.frame_stride) * opts.num_bgs for clip in scan.clips]
        offsets = np.concatenate([[0], np.cumsum(per_clip)]).astype(np.int64)
        sources = surreal.SurrealSources(scan.root, tuple(scan.clips), tuple(backgrounds.backgrounds),
                                         offsets)
        return sources, self._report(sources, scan, backgrounds.skipped)

    @staticmethod
    def _report(sources: surreal.SurrealSources, scan: surreal.SurrealScan, bg_skipped: list) -> dict:
        """What the scan found, for the build record (clip names, never local paths)."""
        clips = sources.clips
        damaged = [{"path": f"{c.name}{surreal.SUFFIXES[kind]}", "reason": reason + " (clip kept)"}
                   for c in clips for kind, reason in c.problems]
        return {"clips": len(clips), "backgrounds": len(sources.backgrounds),
                "samples": int(sources.offsets[-1]),
                "clips_without_depth": [c.name for c in clips if not c.has_depth],
                "clips_without_info": [c.name for c in clips if not c.has_info],
                "frame_count_mismatches": scan.mismatched,
                "skipped_inputs": [s.as_dict() for s in scan.skipped + bg_skipped] + damaged}

    def source_roots(self) -> list[str]:
        """Paths in stats become relative to the folder clip names are relative to (the
        parent of ``cmu``), so an event names ``cmu/train/run0/...`` like ``meta.clip``."""
        tree = surreal.public_root(Path(self.options.data_dir).resolve())
        return [str(tree), self.options.bg_root]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_layers"] = None  # decoded data stays in its process (LastItem pickles empty)
        return state

    def available(self) -> int:
        return int(self.sources.offsets[-1])

    def schema(self) -> Schema:
        ext = self.options.image_format
        specs = {"image": (ext, "the composite"), "alpha": ("png", "binary matte: 255 where label > 0"),
                 "fg": (ext, "the frame where alpha, 0 elsewhere"), "bg": (ext, "the background"),
                 "depth": ("png", "16-bit millimetres, 0 = invalid"),
                 "segmentation": ("png", "SMPL part labels")}
        fields = tuple(FieldSpec(name, IMAGE, *specs[name]) for name in FIELD_ORDER[:-1])
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES,
                      self.family_fields)

    def locate(self, index: int) -> tuple[int, int, int]:
        """(clip number, frame, background number k) of sample ``index``."""
        offsets = self.sources.offsets
        clip = int(np.searchsorted(offsets, index, side="right")) - 1
        local = index - int(offsets[clip])
        return clip, (local // self.options.num_bgs) * self.options.frame_stride, \
            local % self.options.num_bgs

    def task_ranges(self, start: int, stop: int):
        """Runs of at most TASK_SAMPLES ids within one clip, so a worker decodes each clip once."""
        offsets = self.sources.offsets
        while start < stop:
            clip = int(np.searchsorted(offsets, start, side="right")) - 1
            end = min(stop, int(offsets[clip + 1]), start + TASK_SAMPLES)
            yield range(start, end)
            start = end

    def clip_arrays(self, number: int) -> surreal.ClipArrays:
        """The decoded clip ``number`` (kept until another clip is asked for); a clip that
        fails to decode raises the same SourceError for each of its samples."""
        clip = self.sources.clips[number]
        return self._cache.get(number, lambda: surreal.load_clip(
            self.sources.root, clip, range(0, clip.frames, self.options.frame_stride)))

    def pick_background(self, index: int, attempt: int = 0) -> tuple[int, int]:
        """(background list position, k): the k-th of ``num_bgs`` distinct backgrounds drawn
        for this sample's frame; a redraw (``attempt`` > 0, the first one failed to decode)
        is uniform over the pool."""
        frame_id, k = divmod(index, self.options.num_bgs)
        pool = len(self.sources.backgrounds)
        if attempt:
            rng = sample_rng(self.name, self.seed, index, attempt)
            return int(rng.integers(pool)), k
        rng = sample_rng(self.name, self.seed, frame_id)
        chosen = rng.choice(pool, size=self.options.num_bgs, replace=False)
        return int(chosen[k]), k

    def make(self, index: int) -> Outcome:
        """The sample's frame over its background; a background failing the gate is
        redrawn (MAX_ATTEMPTS draws), a clip file failing it skips the sample at once."""
        number, frame, _ = self.locate(index)
        clip = self.sources.clips[number]

        def attempt(draw: int, events: list[dict]) -> EncodedSample:
            arrays = self.clip_arrays(number)
            check_frame(self.sources.root, clip, arrays, frame)
            background = self.draw_background(index, draw)
            result = compose(self.options, clip, number, frame, arrays, background,
                             self.sources.root, events)
            return self._encode(index, draw, result)

        return background_attempts(index, attempt)

    def draw_background(self, index: int, attempt: int) -> DrawnBackground:
        """Background draw ``attempt`` of sample ``index``, read and decoded (BGR); a file
        failing the gate raises RedrawError (another draw may work)."""
        position, k = self.pick_background(index, attempt)
        background = self.sources.backgrounds[position]
        data, pixels = drawn(lambda: read_background(Path(self.options.bg_root), background, bgr=True))
        return DrawnBackground(background, k, data, pixels)

    def _encode(self, index: int, attempt: int, result: Composite) -> EncodedSample:
        opts = self.options
        fields = {"bg": result.bg_bytes or self._rgb(result.bg)}  # before make_image reuses it
        fields.update(image=self._rgb(result.make_image()), **self._layer_bytes(result))
        fields["meta"] = dict(result.meta, recipe=self.name, seed=self.seed, index=index,
                              attempt=attempt, image_format=opts.image_format,
                              jpeg_quality=opts.jpeg_quality)
        return EncodedSample(index, sample_key(index), {name: fields[name] for name in FIELD_ORDER})

    def _layer_bytes(self, result: Composite) -> dict[str, bytes]:
        """Encoded alpha, fg, depth and segmentation: once per frame and canvas geometry
        (the ``num_bgs`` samples of a frame share them when their backgrounds share a size,
        always in the native layout), kept until the next frame."""
        if self._layers is None or self._layers[0] != result.layer_key:
            encoded = {name: (self._rgb if name == "fg" else codecs.encode_png)(result.canvas_layer(name))
                       for name in LAYERS}
            self._layers = (result.layer_key, encoded)
        return dict(self._layers[1])

    def _rgb(self, array: np.ndarray) -> bytes:
        """Colour arrays here are BGR throughout (decoded, composited and encoded in OpenCV's
        order: no channel conversion of canvas-sized arrays)."""
        return codecs.encode_rgb(array, self.options.image_format, self.options.jpeg_quality, bgr=True)

"""``overlay-depth`` synthesis as a recipe source: scan, task ranges, batches, encoding.

Depth from a model runs batched. A batch is a fixed block of ids ``[b*B, (b+1)*B)`` (``B`` =
``--depth-batch``), always computed whole whatever range a worker is asked for, so a
sample's depth depends only on (sources, options, seed, index) and not on the worker count
or shard size. Bitwise equality across devices or torch versions is not promised: float
rounding may move a value by one level.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mattehub.contract import codecs
from mattehub.core.errors import SourceError
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background, scan_backgrounds
from mattehub.inputs.listing import Skip, skip_lines
from mattehub.families.overlay_depth.sources import Foreground, depth_files, scan_foregrounds
from mattehub.families.overlay_depth.meta import DEPTH_KINDS, empty_meta
from mattehub.families.overlay_depth.synth import Overlay, Synthesis

DEPTH_DESCRIPTION = {"exact": "16-bit millimetres from the background's depth map",
                     "model": "8-bit relative depth from the model, bright = far"}


@dataclass(frozen=True)
class SynthesisSources:
    """What synthesis draws from: backgrounds, foregrounds (sorted), the depth map of each
    background (``--depth exact``) and the depth model's name (``--depth MODEL``)."""

    backgrounds: tuple[Background, ...]
    foregrounds: tuple[Foreground, ...]
    depth_maps: dict[str, str] | None
    model_name: str | None

    def listing(self) -> list:
        """The scanned files, depth maps and model, as fingerprinted."""
        return ([[b.path, list(b.size)] for b in self.backgrounds]
                + [[f.path, list(f.size), f.mask] for f in self.foregrounds]
                + [sorted((self.depth_maps or {}).items()), self.model_name])


class SynthesisSource:
    """Samples synthesised from ``--bg-root``/``--fg-root`` (and depth maps or a model):
    ``scan`` once, or ``bind`` the sources scanned elsewhere, then ``make_many``."""

    def __init__(self, opts: Any, name: str, seed: int) -> None:
        self.opts, self.name, self.seed = opts, name, seed
        self.kind = opts.depth_kind
        self._model = None
        self.sources: SynthesisSources | None = None
        self.synthesis: Synthesis | None = None

    def bind(self, sources: SynthesisSources) -> "SynthesisSource":
        """Make samples from ``sources``."""
        self.sources = sources
        self.synthesis = Synthesis(self.opts, self.name, self.seed, sources.backgrounds,
                                   sources.foregrounds, sources.depth_maps)
        return self

    def scan(self) -> tuple[SynthesisSources, dict]:
        """Scan the folders (and load the model once, to check it); bind the result."""
        opts = self.opts
        model_name = self._check_model() if self.kind == "model" else None
        bg_scan = scan_backgrounds(Path(opts.bg_root))
        backgrounds, skipped = bg_scan.backgrounds, list(bg_scan.skipped)
        depth_maps = None
        if self.kind == "exact":
            depth_maps, missing = depth_files(Path(opts.bg_depth_root), backgrounds)
            backgrounds, skipped = [b for b in backgrounds if b.path in depth_maps], skipped + missing
        mask_root = Path(opts.mask_root) if opts.mask_root else None
        fg_scan = scan_foregrounds(Path(opts.fg_root), mask_root, opts.size, max(opts.scales))
        _require(backgrounds, opts.bg_root, "background images", skipped)
        _require(fg_scan.foregrounds, opts.fg_root, "foregrounds", fg_scan.skipped)
        sources = SynthesisSources(tuple(backgrounds), tuple(fg_scan.foregrounds), depth_maps, model_name)
        self.bind(sources)
        return sources, {"backgrounds": len(backgrounds), "foregrounds": len(fg_scan.foregrounds),
                         "samples_per_pair": self.synthesis.per_pair, "samples": self.available(),
                         "depth": self.kind, "depth_model": model_name,
                         "skipped_inputs": [s.as_dict() for s in skipped + fg_scan.skipped]}

    def _check_model(self) -> str:
        """Load the depth model once before any sample is made: a model that cannot be
        loaded stops the build here, with the model's name and how to fix it."""
        from mattehub.families.overlay_depth.depth_model import DepthModel

        self._model = DepthModel.load(self.opts.depth, self.opts.device)
        return self._model.name

    def available(self) -> int:
        return self.synthesis.available()

    def fields(self) -> list[tuple[str, str, str]]:
        ext = self.opts.image_format
        fields = [("image", ext, "the overlay"), ("mask", "png", "the pasted foreground's mask, 0/255")]
        if self.kind != "none":
            fields.append(("depth", "png", DEPTH_DESCRIPTION[self.kind]))
        return fields + [("bg", ext, f"the background at {self.opts.size}x{self.opts.size}")]

    def block(self) -> int:
        """Ids per task: one (bg, fg) pair, or one model batch."""
        return self.opts.depth_batch if self.kind == "model" else self.synthesis.per_pair

    def task_ranges(self, start: int, stop: int):
        """Runs of ids within one aligned block."""
        block = self.block()
        while start < stop:
            end = min(stop, (start // block + 1) * block)
            yield range(start, end)
            start = end

    def make_many(self, indices: range) -> list[Outcome]:
        if self.kind != "model":
            return [self._outcome(index, self._overlay(index)) for index in indices]
        outcomes, block = [], self.block()
        for first in range(indices.start // block * block, indices.stop, block):
            batch = range(first, min(first + block, self.available()))
            overlays = [self._overlay(index) for index in batch]
            depths = iter(self._predict([o for o in overlays if isinstance(o, Overlay)]))
            for index, overlay in zip(batch, overlays):
                depth = next(depths) if isinstance(overlay, Overlay) else None
                if index in indices:
                    outcomes.append(self._outcome(index, overlay, depth))
        return outcomes

    def _overlay(self, index: int) -> Overlay | SourceError:
        try:
            return self.synthesis.overlay(index)
        except SourceError as exc:
            return exc

    def _predict(self, overlays: list[Overlay]) -> list[np.ndarray]:
        """One forward pass over the batch's overlays (RGB), at the canvas size."""
        if not overlays:
            return []
        if self._model is None:
            from mattehub.families.overlay_depth.depth_model import DepthModel

            self._model = DepthModel.load(self.opts.depth, self.opts.device)
        images = [np.ascontiguousarray(o.image[:, :, ::-1]) for o in overlays]
        return self._model.predict(images, (self.opts.size, self.opts.size))

    def _outcome(self, index: int, overlay: Overlay | SourceError,
                 model_depth: np.ndarray | None = None) -> Outcome:
        if isinstance(overlay, SourceError):
            return Outcome(index, None, [gate.bad_input_event(overlay),
                                         {"kind": "skipped_sample",
                                          "reason": f"unusable source: {overlay.path}"}])
        depth = model_depth if self.kind == "model" else overlay.depth
        return Outcome(index, self._encode(index, overlay, depth), overlay.events)

    def _encode(self, index: int, overlay: Overlay, depth: np.ndarray | None) -> EncodedSample:
        opts = self.opts
        fields = {"image": codecs.encode_rgb(overlay.image, opts.image_format, opts.jpeg_quality, bgr=True),
                  "mask": codecs.encode_png(overlay.mask)}
        if self.kind != "none":
            fields["depth"] = codecs.encode_png(depth, smooth=True)
        fields["bg"] = overlay.bg_data
        fields["meta"] = self._meta(index, overlay)
        return EncodedSample(index, sample_key(index), fields)

    def _meta(self, index: int, overlay: Overlay) -> dict:
        opts, place = self.opts, overlay.placement
        synthesis = self.synthesis
        meta = empty_meta()
        meta.update(DEPTH_KINDS[self.kind].meta(self.sources.model_name))
        meta.update(recipe=self.name, source="synthesised",
                    bg=synthesis.backgrounds[place.bg].path, fg=synthesis.foregrounds[place.fg].path,
                    flipped=place.flipped, scale=place.scale, position=[place.x, place.y],
                    box_size=[place.w, place.h], paths=self._paths(place), size=opts.size,
                    image_format=opts.image_format, jpeg_quality=opts.jpeg_quality,
                    seed=self.seed, index=index)
        return meta

    def _paths(self, place) -> dict[str, str]:
        """Where ``mattehub export`` puts this sample's files in the original layout."""
        ext = self.opts.image_format
        pair = f"Dataset/bg{place.bg + 1}/fg_{place.fg + 1}"
        number = place.k + 1
        return {"bg": f"Dataset/bg/bg{place.bg + 1}.{ext}",
                "overlay": f"{pair}/overlay/{number}.{ext}", "mask": f"{pair}/mask/{number}.png",
                "depth": f"{pair}/depth/{number}.png" if self.kind != "none" else ""}


def _require(found: list, root: str, what: str, skipped: list[Skip]) -> None:
    """Fail when a listing came out empty, naming what was skipped and why."""
    if not found:
        why = f"; {len(skipped)} skipped:{skip_lines(skipped)}" if skipped else ""
        raise SourceError(root, f"holds no usable {what}{why}")

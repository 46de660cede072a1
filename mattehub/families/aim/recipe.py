"""``aim`` and ``composition-1k``: Adobe Image Matting, composited for training, and its
Composition-1k test set read as published.

Two configs on one ``--data-dir`` (``sources.py`` has the layout), one split each: their
fields differ, and ``datasets`` declares one feature set per config:

* ``aim``, split ``train``: each foreground of ``train/fg`` with its ``train/alpha`` matte over ``num_bgs``
  (default 100: 431 foregrounds give 43,100 samples) distinct backgrounds of ``--bg-root``
  (COCO in practice), drawn by a generator seeded with (config, seed, foreground number).
  Sample ``i`` is foreground ``i // num_bgs`` (sorted by name), background ``k = i % num_bgs``
  of its draw; composited the Deep Image Matting way (``aim_compose`` states the rule).
  Fields ``image``, ``alpha`` (lossless 8-bit PNG, exactly the alpha file's values), ``fg``
  (the raw foreground, or with ``--fg-reestimate lsa|ml`` the re-estimated one: the
  composite is made from the stored ``fg``, so ``image = alpha*fg + (1-alpha)*bg`` holds for
  the stored fields), ``bg`` (the scaled and cropped background), ``meta``. A foreground is
  decoded (and re-estimated) once per worker: build tasks are runs of one foreground's ids.
  Colour arrays are BGR throughout (OpenCV's order, encoded without conversion).
* ``composition-1k``, split ``test``: the published test set, read as published
  (``composition_1k.py``: a subclass sharing these options, with its own scan and samples).
"""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from mattehub.families.aim.options import AimOptions
from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.aim import sources as aim
from mattehub.families.aim.meta import FIELDS, META_FEATURES, META_KEYS
from mattehub.inputs.backgrounds import read_background, require_backgrounds
from mattehub.families.aim.compose import PreparedForeground, composite, dim_background, prepare_foreground
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import LastItem, background_attempts, drawn

TASK_SAMPLES = 50
"""Most ids per build task, all of one foreground: half a foreground at the default
``--num-bgs`` (~65 MB of encoded JPEG results in flight at AIM's sizes); a foreground is
decoded and re-estimated at most once per worker and task run."""


ADOBE_DIM_TERMS = LicenceTerms(
    "adobe-dim-license", "Adobe Deep Image Matting Dataset License Agreement",
    Redistribution.FORBIDDEN, False,
    "Ning Xu, Brian Price, Scott Cohen, and Thomas Huang. Deep Image Matting. CVPR 2017.",
    "https://github.com/adobe-research/Deep_Image_Matting_Dataset/blob/main/LICENSE.md",
    ("Adobe Deep Image Matting dataset (foregrounds, alphas, Composition-1k test set)",))
"""Non-commercial use only; "the Dataset may not be distributed ... posted online" (its
LICENSE.md, the same for aim and composition-1k; docs/licences.md)."""


class AimRecipe(Recipe):
    """Adobe Image Matting: DIM composites for training (``Composition1kRecipe``, a subclass,
    reads the published test set with the same options)."""

    name = "aim"
    family = "aim"
    family_fields = FIELDS
    summary = ("Adobe Image Matting: foregrounds composited over num_bgs backgrounds each "
               "(Deep Image Matting's rule), and the Composition-1k test set")
    licence = "other"
    terms = ADOBE_DIM_TERMS
    splits: ClassVar[tuple[str, ...]] = ("train",)
    """The splits this config reads: the test set is its own config (``composition-1k``),
    because its fields differ and ``datasets`` declares one feature set per config."""

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """``train`` when ``train/fg`` is there (``composition-1k``: ``test`` when
        ``test/merged`` is)."""
        return [split for split in aim.source_splits(data_dir) if split in cls.splits]

    @classmethod
    def default_split(cls) -> str:
        return cls.splits[0]

    def __init__(self, options: AimOptions, seed: int) -> None:
        super().__init__(options, seed)
        self._fg_cache: LastItem[PreparedForeground] = LastItem()
        """The last foreground prepared (or its SourceError), for its next samples."""
        self._draw_cache: tuple[int, np.ndarray] | None = None
        """The last foreground's background draw."""

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_draw_cache"] = None  # decoded data stays in its process (LastItem pickles empty)
        return state

    def scan_sources(self) -> tuple[aim.TrainSources, dict]:
        opts = self.options
        if not opts.bg_root:
            raise BuildError("aim --split train needs --bg-root: a folder "
                             "of background images (COCO in practice)")
        scan = aim.scan_train(opts.data_dir)
        backgrounds = require_backgrounds(Path(opts.bg_root), opts.num_bgs,
                                          "each foreground gets num_bgs distinct backgrounds")
        sources = aim.TrainSources(scan.root, tuple(scan.foregrounds), tuple(backgrounds.backgrounds))
        return sources, {"foregrounds": len(sources.foregrounds),
                         "backgrounds": len(sources.backgrounds), "num_bgs": opts.num_bgs,
                         "samples": len(sources.foregrounds) * opts.num_bgs,
                         "skipped_inputs": [s.as_dict() for s in scan.skipped]
                         + [s.as_dict() for s in backgrounds.skipped]}

    def available(self) -> int:
        return len(self.scanned().foregrounds) * self.options.num_bgs

    def schema(self) -> Schema:
        fmt = self.options.image_format
        fields = (FieldSpec("image", IMAGE, fmt, "composite: alpha*fg + (1-alpha)*bg (DIM rule)"),
                  FieldSpec("alpha", IMAGE, "png", "the alpha file, 8-bit grey, lossless"),
                  FieldSpec("fg", IMAGE, fmt, "the foreground composited (raw or re-estimated)"),
                  FieldSpec("bg", IMAGE, fmt, "the background, scaled and cropped as composited"))
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES,
                      self.family_fields)

    def task_ranges(self, start: int, stop: int):
        """Runs of at most TASK_SAMPLES ids of one foreground."""
        num_bgs = self.options.num_bgs
        while start < stop:
            fg_end = (start // num_bgs + 1) * num_bgs
            end = min(stop, fg_end, start + TASK_SAMPLES)
            yield range(start, end)
            start = end

    def locate(self, index: int) -> tuple[int, int]:
        """(foreground number, k) of training sample ``index``."""
        return divmod(index, self.options.num_bgs)

    def draw(self, fg_number: int) -> np.ndarray:
        """The ``num_bgs`` distinct background positions of foreground ``fg_number``."""
        if self._draw_cache is None or self._draw_cache[0] != fg_number:
            rng = sample_rng(self.name, self.seed, fg_number)
            chosen = rng.choice(len(self.sources.backgrounds), size=self.options.num_bgs, replace=False)
            self._draw_cache = (fg_number, chosen)
        return self._draw_cache[1]

    def pick_background(self, index: int, attempt: int = 0) -> int:
        """Background list position of sample ``index``: the k-th of its foreground's draw;
        a redraw (``attempt`` > 0: the first failed the gate) is uniform over the pool."""
        fg_number, k = self.locate(index)
        if attempt:
            return int(sample_rng(self.name, self.seed, index, attempt).integers(len(self.sources.backgrounds)))
        return int(self.draw(fg_number)[k])

    def foreground(self, number: int) -> PreparedForeground:
        """Foreground ``number`` decoded, re-estimated and encoded (kept until another one is
        asked for); one that fails the gate raises the same SourceError for each sample."""
        opts = self.options
        return self._fg_cache.get(number, lambda: prepare_foreground(
            self.sources.root, self.sources.foregrounds[number], opts.fg_reestimate,
            opts.image_format, opts.jpeg_quality))

    def make(self, index: int) -> Outcome:
        """The sample's foreground over its background; a background failing the gate is
        redrawn (MAX_ATTEMPTS draws), a foreground failing it skips the sample at once."""
        number, k = self.locate(index)

        def attempt(draw: int, events: list[dict]) -> EncodedSample:
            prepared = self.foreground(number)
            if draw == 0 and k == 0:
                events += prepared.events  # said once per foreground, on its first sample
            position = self.pick_background(index, draw)
            background = self.sources.backgrounds[position]
            data, bg = drawn(lambda: read_background(Path(self.options.bg_root), background, bgr=True))
            return self._sample(index, k, draw, prepared, position, data, bg)

        return background_attempts(index, attempt, unusable="unusable foreground")

    def _sample(self, index: int, k: int, attempt: int, prepared: PreparedForeground,
                position: int, data: bytes, bg_pixels: np.ndarray) -> EncodedSample:
        opts = self.options
        height, width = prepared.alpha.shape
        bg, scale = dim_background(bg_pixels, (width, height))
        unchanged = bg_pixels.shape[:2] == (height, width)
        if unchanged and opts.image_format == "jpg" and codecs.is_upright_rgb_jpeg(data):
            bg_bytes = data  # stored as is: decoding it gives the pixels composited
        else:
            bg_bytes = self._encode(bg)
        image = composite(prepared.fg, bg, prepared.alpha, prepared.weights)
        background = self.sources.backgrounds[position]
        meta = dict.fromkeys(META_KEYS)
        meta.update(recipe=self.name, split="train", seed=self.seed, index=index,
                    fg=self.sources.foregrounds[index // opts.num_bgs].name, bg=background.path,
                    background_number=k, attempt=attempt, bg_size=list(background.size),
                    bg_scale=scale, width=width, height=height, fg_reestimate=opts.fg_reestimate,
                    image_format=opts.image_format, jpeg_quality=opts.jpeg_quality)
        fields = {"image": self._encode(image), "alpha": prepared.alpha_bytes,
                  "fg": prepared.fg_bytes, "bg": bg_bytes, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

    def _encode(self, bgr: np.ndarray) -> bytes:
        return codecs.encode_rgb(bgr, self.options.image_format, self.options.jpeg_quality, bgr=True)

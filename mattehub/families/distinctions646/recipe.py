"""``distinctions-646``: Distinctions-646's foregrounds and alphas composited over backgrounds.

Splits ``train`` (``Train/FG`` + ``Train/GT``) and ``test`` (``Test/...``), both composited as
the release's ``gen_train.py`` does, Deep Image Matting's rule (``synthesis/dim.py``): each
foreground over ``--num-bgs`` distinct backgrounds of ``--bg-root`` (default: the release's own
counts, 100 and 20), drawn by a generator seeded with (config and split, seed, foreground
number), as ``aim`` draws. Sample ``i`` is foreground ``i // num_bgs`` (sorted by name),
background ``k = i % num_bgs`` of its draw. A background failing the gate is redrawn; a
foreground or alpha failing it skips its samples, counted with a ``bad_input`` event naming
the file. Fields ``image`` (the composite), ``alpha`` (the GT file as 8-bit grey PNG: its own
bytes when it is one), ``fg`` (the FG file's pixels, RGB), ``bg`` (the background as composited:
scaled and cropped), ``meta``. The release ships no trimaps: ``--with trimap`` adds one.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mattehub.contract import codecs
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.rng import sample_rng
from mattehub.families.distinctions646 import sources as d646
from mattehub.families.distinctions646.meta import FIELDS, META_FEATURES, META_KEYS
from mattehub.families.distinctions646.options import Distinctions646Options
from mattehub.inputs.backgrounds import read_background, require_backgrounds
from mattehub.recipes.base import Recipe, fingerprint
from mattehub.recipes.outcomes import LastItem, background_attempts, drawn
from mattehub.synthesis.dim import PreparedForeground, composite, dim_background, prepare

TASK_SAMPLES = 50
"""Most ids per build task, all of one foreground (decoded once per task run)."""

D646_TERMS = LicenceTerms(
    "distinctions-646-terms", "Distinctions-646 (given on request for research; no licence "
    "text published)", Redistribution.UNKNOWN, None,
    "Yu Qiao, Yuhao Liu, Xin Yang, Dongsheng Zhou, Mingliang Xu, Qiang Zhang, Xiaopeng Wei. "
    "Attention-Guided Hierarchical Structure Aggregation for Image Matting. CVPR 2020.",
    "https://github.com/yuhaoliu7456/CVPR2020-HAttMatting", ("Distinctions-646",))
"""Given on request by the authors, with no licence text (docs/licences.md): redistribution
is unknown, so ``mattehub push`` keeps the repository private unless told otherwise."""


class Distinctions646Recipe(Recipe):
    """Distinctions-646 fg + alpha composited over ``num_bgs`` backgrounds each."""

    name = "distinctions-646"
    family = "distinctions-646"
    family_fields = FIELDS
    summary = ("Distinctions-646 foregrounds and alphas composited over num_bgs backgrounds "
               "each (Deep Image Matting's rule), train and test")
    licence = "other"
    terms = D646_TERMS

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        return d646.source_splits(data_dir)

    def __init__(self, options: Distinctions646Options, seed: int) -> None:
        super().__init__(options, seed)
        self._fg_cache: LastItem[PreparedForeground] = LastItem()
        self._draw_cache: tuple[int, np.ndarray] | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_draw_cache"] = None
        return state

    @property
    def num_bgs(self) -> int:
        return self.options.backgrounds_per_fg

    def scan_sources(self) -> tuple[tuple, dict]:
        opts = self.options
        if not opts.bg_root:
            raise BuildError("distinctions-646 needs --bg-root: a folder of background images")
        scan = d646.scan(opts.data_dir, opts.split)
        backgrounds = require_backgrounds(Path(opts.bg_root), self.num_bgs,
                                          "each foreground gets num_bgs distinct backgrounds")
        sources = (scan, tuple(backgrounds.backgrounds))
        return sources, {"foregrounds": len(scan.pairs), "backgrounds": len(sources[1]),
                         "num_bgs": self.num_bgs, "samples": len(scan.pairs) * self.num_bgs,
                         "skipped_inputs": [s.as_dict() for s in scan.skipped]
                         + [s.as_dict() for s in backgrounds.skipped]}

    def source_fingerprint(self) -> str:
        scan, backgrounds = self.sources
        return fingerprint(self.hashed_options(), scan.listing(),
                           [[b.path, list(b.size)] for b in backgrounds])

    def available(self) -> int:
        return len(self.scanned()[0].pairs) * self.num_bgs

    def schema(self) -> Schema:
        fmt = self.options.image_format
        fields = (FieldSpec("image", IMAGE, fmt, "composite: alpha*fg + (1-alpha)*bg (DIM rule)"),
                  FieldSpec("alpha", IMAGE, "png", "the GT file, 8-bit grey, lossless"),
                  FieldSpec("fg", IMAGE, fmt, "the FG file's colour, as composited"),
                  FieldSpec("bg", IMAGE, fmt, "the background, scaled and cropped as composited"),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES, self.family_fields)

    def task_ranges(self, start: int, stop: int):
        """Runs of at most TASK_SAMPLES ids of one foreground."""
        while start < stop:
            end = min(stop, (start // self.num_bgs + 1) * self.num_bgs, start + TASK_SAMPLES)
            yield range(start, end)
            start = end

    def _draw(self, number: int) -> np.ndarray:
        """The ``num_bgs`` distinct background positions of foreground ``number``."""
        if self._draw_cache is None or self._draw_cache[0] != number:
            rng = sample_rng(f"{self.name}/{self.options.split}", self.seed, number)
            chosen = rng.choice(len(self.sources[1]), size=self.num_bgs, replace=False)
            self._draw_cache = (number, chosen)
        return self._draw_cache[1]

    def _background(self, index: int, attempt: int) -> int:
        number, k = divmod(index, self.num_bgs)
        if attempt:
            rng = sample_rng(f"{self.name}/{self.options.split}", self.seed, index, attempt)
            return int(rng.integers(len(self.sources[1])))
        return int(self._draw(number)[k])

    def _foreground(self, number: int) -> PreparedForeground:
        scan, opts = self.sources[0], self.options
        pair = scan.pairs[number]
        fg_path, alpha_path = scan.paths(pair)
        return self._fg_cache.get(number, lambda: _relative(scan, lambda: prepare(
            fg_path, alpha_path, pair.size, "none", opts.image_format, opts.jpeg_quality)))

    def make(self, index: int) -> Outcome:
        number, k = divmod(index, self.num_bgs)

        def attempt(draw: int, events: list[dict]) -> EncodedSample:
            prepared = self._foreground(number)
            if draw == 0 and k == 0:
                events += prepared.events
            position = self._background(index, draw)
            background = self.sources[1][position]
            data, pixels = drawn(lambda: read_background(Path(self.options.bg_root), background, bgr=True))
            return self._sample(index, draw, prepared, position, data, pixels)

        return background_attempts(index, attempt, unusable="unusable foreground")

    def _sample(self, index: int, attempt: int, prepared: PreparedForeground, position: int,
                data: bytes, pixels: np.ndarray) -> EncodedSample:
        opts, (scan, backgrounds) = self.options, self.sources
        height, width = prepared.alpha.shape
        bg, scale = dim_background(pixels, (width, height))
        if pixels.shape[:2] == (height, width) and opts.image_format == "jpg" \
                and codecs.is_upright_rgb_jpeg(data):
            bg_bytes = data
        else:
            bg_bytes = self._encode(bg)
        background = backgrounds[position]
        meta = dict.fromkeys(META_KEYS)
        meta.update(recipe=self.name, split=opts.split, seed=self.seed, index=index,
                    fg=scan.pairs[index // self.num_bgs].name, bg=background.path,
                    background_number=index % self.num_bgs, attempt=attempt,
                    bg_size=list(background.size), bg_scale=scale, width=width, height=height,
                    image_format=opts.image_format, jpeg_quality=opts.jpeg_quality)
        image = composite(prepared.fg, bg, prepared.alpha, prepared.weights)
        fields = {"image": self._encode(image), "alpha": prepared.alpha_bytes,
                  "fg": prepared.fg_bytes, "bg": bg_bytes, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

    def _encode(self, bgr: np.ndarray) -> bytes:
        return codecs.encode_rgb(bgr, self.options.image_format, self.options.jpeg_quality, bgr=True)


def _relative(scan: d646.SplitScan, make):
    """``make()``, a SourceError's path shown relative to the release (``Train/FG/x.png``)."""
    try:
        return make()
    except SourceError as exc:
        path = Path(str(exc.path))
        shown = f"{scan.folder}/{path.parent.name}/{path.name}" if path.is_absolute() else str(exc.path)
        raise SourceError(shown, exc.problem, exc.fix) from None

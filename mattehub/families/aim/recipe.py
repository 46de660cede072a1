"""``aim`` and ``composition-1k``: Adobe Image Matting, composited for training, and its
Composition-1k test set read as published.

Two configs on one ``--data-dir`` (``sources/aim.py`` has the layout), one split each: their
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
* ``composition-1k``, split ``test``: the published composites ``test/merged/<fg stem>_<i>.png`` with
  ``test/trimaps`` and ``test/alpha_copy`` under the same name, one sample per composite in
  natural order (fg stem, then ``i``); ``image`` bytes passed through (header-checked),
  ``alpha`` and ``trimap`` through the gate (8-bit grey PNG kept as is, else converted with
  a ``normalised_input`` event; another size than the image: a counted skip naming it);
  fields ``image``, ``alpha``, ``trimap``, ``meta``. It reads ``--data-dir`` only.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import numpy as np
from datasets import List, Value

from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.families.aim import sources as aim
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import require_backgrounds
from mattehub.families.aim.compose import PreparedForeground, composite, dim_background, prepare_foreground
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import read_outcome

MAX_ATTEMPTS = 3
"""Background draws per sample before it is skipped (a draw fails on an unreadable file)."""
TASK_SAMPLES = 50
"""Most ids per build task, all of one foreground: half a foreground at the default
``--num-bgs`` (~65 MB of encoded JPEG results in flight at AIM's sizes); a foreground is
decoded and re-estimated at most once per worker and task run."""
TEST_TASK_SAMPLES = 16
"""Test composites per build task (their files are fetched together)."""
TRAIN_FIELDS = ("image", "alpha", "fg", "bg", "meta")
TEST_FIELDS = ("image", "alpha", "trimap", "meta")
META_FEATURES = {
    "recipe": Value("string"),
    "split": Value("string"),                  # train | test
    "seed": Value("int64"),
    "index": Value("int64"),
    "fg": Value("string"),                     # train: file name in train/fg; test: <fg stem> of the name
    "bg": Value("string"),                     # train: path relative to --bg-root; test: null
    "background_number": Value("int32"),       # train: k in 0..num_bgs-1; test: <i> of the name
    "attempt": Value("int32"),                 # train: background draw (0 = the planned one)
    "bg_size": List(Value("int32")),           # train: [width, height] of the background file
    "bg_scale": Value("float64"),              # train: DIM scale applied (1.0 = not scaled)
    "width": Value("int32"),
    "height": Value("int32"),
    "fg_reestimate": Value("string"),          # train: none | lsa | ml
    "file": Value("string"),                   # test: test/merged/<name>; train: null
    "image_format": Value("string"),
    "jpeg_quality": Value("int32"),            # null when image is passed through (test)
}
_META_KEYS = tuple(META_FEATURES)


class AimRecipe(Recipe):
    """Adobe Image Matting: DIM composites for training, the published Composition-1k test set."""

    name = "aim"
    family = "aim"
    summary = ("Adobe Image Matting: foregrounds composited over num_bgs backgrounds each "
               "(Deep Image Matting's rule), and the Composition-1k test set")
    licence = "other"
    path_options = ("data_dir", "bg_root")
    streams_from_sources = True
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

    # -- scanning ---------------------------------------------------------------------------

    def prepare(self) -> dict:
        """Scan the split's sources (once: ``schema`` may have done it for the test split)."""
        if not hasattr(self, "_report"):
            self._report = self._prepare_train() if self.options.split == "train" else self._prepare_test()
        return self._report

    def _prepare_train(self) -> dict:
        opts = self.options
        if not opts.bg_root:
            raise BuildError("aim --split train needs --bg-root: a folder "
                             "of background images (COCO in practice)")
        scan = aim.scan_train(opts.data_dir)
        backgrounds = require_backgrounds(Path(opts.bg_root), opts.num_bgs,
                                          "each foreground gets num_bgs distinct backgrounds")
        self.root, self.foregrounds = scan.root, scan.foregrounds
        self.backgrounds = backgrounds.backgrounds
        self._fg_cache: tuple[int, PreparedForeground | SourceError] | None = None
        self._draw_cache: tuple[int, np.ndarray] | None = None
        return {"foregrounds": len(self.foregrounds), "backgrounds": len(self.backgrounds),
                "num_bgs": opts.num_bgs, "samples": len(self.foregrounds) * opts.num_bgs,
                "skipped_inputs": [s.as_dict() for s in scan.skipped]
                + [s.as_dict() for s in backgrounds.skipped]}

    def _prepare_test(self) -> dict:
        self.test = aim.scan_test(self.options.data_dir)
        return {"location": self.test.location, "samples": len(self.test.items),
                "skipped_inputs": [s.as_dict() for s in self.test.skipped]}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_fg_cache"] = state["_draw_cache"] = None  # decoded data stays in its process
        return state

    def available(self) -> int:
        self.prepare()
        if self.options.split == "train":
            return len(self.foregrounds) * self.options.num_bgs
        return len(self.test.items)

    def default_num_samples(self) -> int:
        return self.available()

    def schema(self) -> Schema:
        """Train: fixed fields; test: its composites' file type (scanned if not done yet)."""
        fmt = self.options.image_format
        if self.options.split == "train":
            fields = (FieldSpec("image", IMAGE, fmt, "composite: alpha*fg + (1-alpha)*bg (DIM rule)"),
                      FieldSpec("alpha", IMAGE, "png", "the alpha file, 8-bit grey, lossless"),
                      FieldSpec("fg", IMAGE, fmt, "the foreground composited (raw or re-estimated)"),
                      FieldSpec("bg", IMAGE, fmt, "the background, scaled and cropped as composited"))
        else:
            self.prepare()
            fields = (FieldSpec("image", IMAGE, self.test.image_ext, "the published composite, as is"),
                      FieldSpec("alpha", IMAGE, "png", "alpha_copy: ground-truth alpha, 8-bit grey"),
                      FieldSpec("trimap", IMAGE, "png", "the published trimap, 8-bit grey"))
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES)

    def source_fingerprint(self) -> str:
        options = {k: v for k, v in asdict(self.options).items() if k not in self.path_options}
        if self.options.split == "train":
            listing = [[f.name, f.alpha, list(f.size)] for f in self.foregrounds]
            listing += [[b.path, list(b.size)] for b in self.backgrounds]
        else:
            listing = [[i.image, i.trimap, i.alpha] for i in self.test.items]
        return hashlib.sha256(json.dumps([options, listing], sort_keys=True).encode()).hexdigest()

    def describe(self) -> dict:
        described = super().describe()
        if self.options.split == "test":
            described["options"] = {k: described["options"][k] for k in ("data_dir", "split")}
        return described

    # -- samples ----------------------------------------------------------------------------

    def task_ranges(self, start: int, stop: int):
        """Train: runs of at most TASK_SAMPLES ids of one foreground; test: TEST_TASK_SAMPLES."""
        if self.options.split == "test":
            for first in range(start, stop, TEST_TASK_SAMPLES):
                yield range(first, min(stop, first + TEST_TASK_SAMPLES))
            return
        num_bgs = self.options.num_bgs
        while start < stop:
            fg_end = (start // num_bgs + 1) * num_bgs
            end = min(stop, fg_end, start + TASK_SAMPLES)
            yield range(start, end)
            start = end

    def make(self, index: int) -> Outcome:
        if self.options.split == "test":
            return self._test_outcome(index)
        return self._train_outcome(index)

    def locate(self, index: int) -> tuple[int, int]:
        """(foreground number, k) of training sample ``index``."""
        return divmod(index, self.options.num_bgs)

    def draw(self, fg_number: int) -> np.ndarray:
        """The ``num_bgs`` distinct background positions of foreground ``fg_number``."""
        if self._draw_cache is None or self._draw_cache[0] != fg_number:
            rng = sample_rng(self.name, self.seed, fg_number)
            chosen = rng.choice(len(self.backgrounds), size=self.options.num_bgs, replace=False)
            self._draw_cache = (fg_number, chosen)
        return self._draw_cache[1]

    def pick_background(self, index: int, attempt: int = 0) -> int:
        """Background list position of sample ``index``: the k-th of its foreground's draw;
        a redraw (``attempt`` > 0: the first failed the gate) is uniform over the pool."""
        fg_number, k = self.locate(index)
        if attempt:
            return int(sample_rng(self.name, self.seed, index, attempt).integers(len(self.backgrounds)))
        return int(self.draw(fg_number)[k])

    def foreground(self, number: int) -> PreparedForeground:
        """Foreground ``number`` decoded, re-estimated and encoded (kept until another one is
        asked for); one that fails the gate raises the same SourceError for each sample."""
        if self._fg_cache is None or self._fg_cache[0] != number:
            opts = self.options
            try:
                value = prepare_foreground(self.root, self.foregrounds[number], opts.fg_reestimate,
                                           opts.image_format, opts.jpeg_quality)
            except SourceError as exc:
                value = exc
            self._fg_cache = (number, value)
        if isinstance(self._fg_cache[1], SourceError):
            raise self._fg_cache[1]
        return self._fg_cache[1]

    def _train_outcome(self, index: int) -> Outcome:
        number, k = self.locate(index)
        try:
            prepared = self.foreground(number)
        except SourceError as exc:
            return Outcome(index, None, [gate.bad_input_event(exc), {
                "kind": "skipped_sample", "reason": f"unusable foreground: {exc.path}"}])
        events = list(prepared.events) if k == 0 else []
        for attempt in range(MAX_ATTEMPTS):
            position = self.pick_background(index, attempt)
            path = Path(self.options.bg_root) / self.backgrounds[position].path
            try:
                data = gate.read_file(path)
                bg = gate.decode_rgb(data, path, bgr=True)
            except SourceError as exc:  # another background is drawn
                events.append(gate.bad_input_event(exc))
                continue
            return Outcome(index, self._train_sample(index, k, attempt, prepared, position, data, bg),
                           events)
        events.append({"kind": "skipped_sample",
                       "reason": f"no readable background in {MAX_ATTEMPTS} draws"})
        return Outcome(index, None, events)

    def _train_sample(self, index: int, k: int, attempt: int, prepared: PreparedForeground,
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
        background = self.backgrounds[position]
        meta = dict.fromkeys(_META_KEYS)
        meta.update(recipe=self.name, split="train", seed=self.seed, index=index,
                    fg=self.foregrounds[index // opts.num_bgs].name, bg=background.path,
                    background_number=k, attempt=attempt, bg_size=list(background.size),
                    bg_scale=scale, width=width, height=height, fg_reestimate=opts.fg_reestimate,
                    image_format=opts.image_format, jpeg_quality=opts.jpeg_quality)
        fields = {"image": self._encode(image), "alpha": prepared.alpha_bytes,
                  "fg": prepared.fg_bytes, "bg": bg_bytes, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

    def _encode(self, bgr: np.ndarray) -> bytes:
        return codecs.encode_rgb(bgr, self.options.image_format, self.options.jpeg_quality, bgr=True)

    def make_many(self, indices: range) -> list[Outcome]:
        if self.options.split == "test":
            return [self._test_outcome(index) for index in indices]
        return [self._train_outcome(index) for index in indices]

    def _test_outcome(self, index: int) -> Outcome:
        item = self.test.items[index]
        return read_outcome(index, lambda events: self._test_sample(index, item, events),
                            self.test.public(item.image))

    def _test_sample(self, index: int, item, events: list[dict]) -> EncodedSample:
        public = self.test.public
        blobs = self.test.read(item)
        size = gate.image_header(blobs["image"], public(item.image))
        alpha = gate.decode_matte(blobs["alpha"], public(item.alpha), size)
        trimap = gate.decode_matte(blobs["trimap"], public(item.trimap), size)
        events += [gate.note_event(public(name), matte.note)
                   for name, matte in ((item.alpha, alpha), (item.trimap, trimap)) if matte.note]
        meta = dict.fromkeys(_META_KEYS)
        meta.update(recipe=self.name, split="test", seed=self.seed, index=index, fg=item.fg,
                    background_number=item.number, width=size[0], height=size[1],
                    file=public(item.image), image_format=self.test.image_ext)
        fields = {"image": blobs["image"], "alpha": alpha.data, "trimap": trimap.data, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)


class Composition1kRecipe(AimRecipe):
    """The Composition-1k test set (``test/{merged,trimaps,alpha_copy}``), bytes as published."""

    name = "composition-1k"
    summary = "the Composition-1k test set of Adobe Image Matting, as published, with trimaps"
    splits = ("test",)

"""``composition-1k``: the Composition-1k test set of Adobe Image Matting, read as published.

The published composites ``test/merged/<fg stem>_<i>.png`` with ``test/trimaps`` and
``test/alpha_copy`` under the same name (``sources.py`` has the layout; a folder or a zip,
local or remote), one sample per composite in natural order (fg stem, then ``i``); ``image``
bytes passed through when they are upright 8-bit RGB (``gate.pass_through_rgb``: a grey,
RGBA, palette or 16-bit composite is converted losslessly, with a ``normalised_input``
event), ``alpha`` and ``trimap`` through the gate (8-bit grey PNG kept as is, else
converted with a ``normalised_input`` event; another size than the image: a counted skip
naming it; a trimap's values must be 0/128/255, a 0/1/2 trimap is mapped with an event,
any other is a counted skip: ``gate.check_trimap``); fields ``image``, ``alpha``, ``trimap``, ``meta``. It
reads ``--data-dir`` only. Its options are ``aim``'s (``AimRecipe``, whose subclass it is),
its split ``test``: the fields differ from ``aim``'s, and ``datasets`` declares one feature
set per config.

Adobe's public release (``release.py``: the zip or its folder, no composites) is read in place
too: each composite is made from the release's test foreground, alpha and trimap over its
listed PASCAL VOC background (``--bg-root``), the Deep Image Matting way (``compose.py``),
stored as PNG; ``alpha`` and ``trimap`` are the release's files (through the gate, as above).
"""
from __future__ import annotations

from pathlib import Path

from mattehub.contract import codecs
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError
from mattehub.families.aim import release
from mattehub.families.aim import sources as aim
from mattehub.families.aim.compose import composite, dim_background
from mattehub.families.aim.meta import META_FEATURES, META_KEYS
from mattehub.families.aim.recipe import AimRecipe
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background, read_background
from mattehub.recipes.outcomes import read_outcome

TASK_SAMPLES = 16
"""Test composites per build task (their files are fetched together)."""


class Composition1kRecipe(AimRecipe):
    """The Composition-1k test set (``test/{merged,trimaps,alpha_copy}``), bytes as published."""

    name = "composition-1k"
    summary = "the Composition-1k test set of Adobe Image Matting, as published, with trimaps"
    splits = ("test",)

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """``test`` for Adobe's release; else as ``aim`` (``test`` when ``test/merged`` is)."""
        return ["test"] if release.open_release(data_dir) else super().source_splits(data_dir)

    def scan_sources(self) -> tuple[aim.TestScan | release.ReleaseTestScan, dict]:
        data_dir = self.options.data_dir
        found = release.open_release(data_dir)
        if found is None:
            scan = aim.scan_test(data_dir)
        elif not self.options.bg_root:
            raise BuildError("composition-1k on Adobe's release needs --bg-root: the PASCAL VOC "
                             "2008 images its Test_set/test_bg_names.txt lists (JPEGImages)")
        else:
            scan = release.scan_release_test(found, data_dir, self.options.bg_root)
        return scan, {"location": scan.location, "samples": len(scan.items),
                      "skipped_inputs": [s.as_dict() for s in scan.skipped]}

    def available(self) -> int:
        return len(self.scanned().items)

    def schema(self) -> Schema:
        """The fields, ``image`` of its composites' file type (scanned if not done yet)."""
        fields = (FieldSpec("image", IMAGE, self.scanned().image_ext, "the published composite, as is"),
                  FieldSpec("alpha", IMAGE, "png", "alpha_copy: ground-truth alpha, 8-bit grey"),
                  FieldSpec("trimap", IMAGE, "png", "the published trimap, 8-bit grey"))
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES,
                      self.family_fields)

    def describe(self) -> dict:
        """As the base, with the only options that apply here (``bg_root``: Adobe's release)."""
        described = super().describe()
        keys = ("data_dir", "bg_root", "split") if self.options.bg_root else ("data_dir", "split")
        described["options"] = {k: described["options"][k] for k in keys}
        return described

    def task_ranges(self, start: int, stop: int):
        """Runs of TASK_SAMPLES composites."""
        for first in range(start, stop, TASK_SAMPLES):
            yield range(first, min(stop, first + TASK_SAMPLES))

    def make(self, index: int) -> Outcome:
        item = self.sources.items[index]
        if isinstance(item, release.ReleaseItem):
            return read_outcome(index, lambda events: self._composite(index, item, events),
                                self.sources.public(item.trimap))
        return read_outcome(index, lambda events: self._sample(index, item, events),
                            self.sources.public(item.image))

    def make_many(self, indices: range) -> list[Outcome]:
        return [self.make(index) for index in indices]

    def _sample(self, index: int, item: aim.TestItem, events: list[dict]) -> EncodedSample:
        scan = self.sources
        public = scan.public
        blobs = scan.read(item)
        image = gate.pass_through_rgb(blobs["image"], public(item.image), scan.image_ext)
        size = image.size
        alpha = gate.decode_matte(blobs["alpha"], public(item.alpha), size)
        trimap = gate.check_trimap(gate.decode_matte(blobs["trimap"], public(item.trimap), size),
                                   public(item.trimap))
        events += [gate.note_event(public(name), found.note) for name, found
                   in ((item.image, image), (item.alpha, alpha), (item.trimap, trimap)) if found.note]
        meta = dict.fromkeys(META_KEYS)
        meta.update(recipe=self.name, split="test", seed=self.seed, index=index, fg=item.fg,
                    background_number=item.number, width=size[0], height=size[1],
                    file=public(item.image), image_format=scan.image_ext)
        fields = {"image": image.data, "alpha": alpha.data, "trimap": trimap.data, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

    def _composite(self, index: int, item: release.ReleaseItem, events: list[dict]) -> EncodedSample:
        """A composite of Adobe's release: its foreground over its listed background."""
        scan = self.sources
        public = scan.public
        blobs = scan.read(item)
        fg, _, fg_note = gate.decode_rgba(blobs["fg"], public(item.fg_file))
        size = (fg.shape[1], fg.shape[0])
        alpha = gate.decode_matte(blobs["alpha"], public(item.alpha), size)
        trimap = gate.check_trimap(gate.decode_matte(blobs["trimap"], public(item.trimap), size),
                                   public(item.trimap))
        _, bg_pixels = read_background(Path(scan.bg_root), Background(item.bg, (0, 0)), bgr=True)
        bg, scale = dim_background(bg_pixels, size)
        image = composite(fg, bg, alpha.array)
        events += [gate.note_event(public(name), note) for name, note
                   in ((item.fg_file, fg_note), (item.alpha, alpha.note), (item.trimap, trimap.note)) if note]
        meta = dict.fromkeys(META_KEYS)
        meta.update(recipe=self.name, split="test", seed=self.seed, index=index, fg=item.fg,
                    bg=item.bg, background_number=item.number, bg_size=[bg_pixels.shape[1], bg_pixels.shape[0]],
                    bg_scale=scale, width=size[0], height=size[1], file=public(item.trimap),
                    image_format="png")
        fields = {"image": codecs.encode_rgb(image, "png", 95, bgr=True), "alpha": alpha.data,
                  "trimap": trimap.data, "meta": meta}
        return EncodedSample(index, sample_key(index), fields)

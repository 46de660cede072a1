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
"""
from __future__ import annotations

from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.families.aim import sources as aim
from mattehub.families.aim.meta import META_FEATURES, META_KEYS
from mattehub.families.aim.recipe import AimRecipe
from mattehub.inputs import gate
from mattehub.recipes.outcomes import read_outcome

TASK_SAMPLES = 16
"""Test composites per build task (their files are fetched together)."""


class Composition1kRecipe(AimRecipe):
    """The Composition-1k test set (``test/{merged,trimaps,alpha_copy}``), bytes as published."""

    name = "composition-1k"
    summary = "the Composition-1k test set of Adobe Image Matting, as published, with trimaps"
    splits = ("test",)

    def scan_sources(self) -> tuple[aim.TestScan, dict]:
        scan = aim.scan_test(self.options.data_dir)
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
        """As the base, with the only options that apply here."""
        described = super().describe()
        described["options"] = {k: described["options"][k] for k in ("data_dir", "split")}
        return described

    def task_ranges(self, start: int, stop: int):
        """Runs of TASK_SAMPLES composites."""
        for first in range(start, stop, TASK_SAMPLES):
            yield range(first, min(stop, first + TASK_SAMPLES))

    def make(self, index: int) -> Outcome:
        item = self.sources.items[index]
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

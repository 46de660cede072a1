"""Release configs (``i-him50k``, ``him2k``, ``m-him2k``, ``v-him2k5``, ``v-him60``) as recipes.

``prepare`` opens the release (split zip, single zip or extracted folder; local, ``hf://``
or ``http(s)://``), recognises its layout and lists the samples of one split, sorted.
``make(index)`` fetches the members of sample ``index`` together (bounded concurrency) and
passes their bytes through. The same code serves ``mattehub build`` (shards) and the
``mattehub`` builder (``load_dataset("mattehub", "v-him2k5", streaming=True)``).
"""
from __future__ import annotations

import hashlib
import json

from mattehub.inputs import remote
from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.families.releases import samples
from mattehub.families.releases.layouts import group_clips, group_images, match_layout
from mattehub.families.releases.options import MASK_MODELS
from mattehub.families.releases.specs import RELEASES, ReleaseSpec
from mattehub.inputs.trees import open_tree
from mattehub.contract.sample import Outcome
from mattehub.families.image_him.sources import is_listed
from mattehub.inputs.listing import read_name_list
from mattehub.recipes.base import Recipe
from mattehub.contract.him_meta import IMAGE_HIM_META, VIDEO_HIM_META
from mattehub.recipes.outcomes import read_outcome


class ReleaseRecipe(Recipe):
    """Reads one config of the published HIM release."""

    spec: ReleaseSpec
    path_options = ("data_dir", "invalid_names")
    licence = "cc-by-nc-4.0"

    @property
    def stream_shard_min(self) -> int:
        """Image releases: a generator shard spans the read-ahead (16 ids), so a stream
        overlaps reading with decoding; a clip is work enough on its own."""
        return READ_AHEAD[self.family] if self.family == "image-him" else 1

    @property
    def with_masks(self) -> bool:
        return self.spec.masks != "none"

    def prepare(self) -> dict:
        """Scan the release and select the samples of ``options.split``."""
        grouped = self.scan()
        self.entries = self._select(grouped)
        return {"location": self.tree.location, "layout": self.layout, "samples": len(self.entries),
                "splits": self.splits(),
                "skipped_inputs": [s.as_dict() for s in grouped.skipped] + self._invalid_skips}

    def splits(self) -> list[str]:
        """Split names found in the release (after ``scan``)."""
        return sorted({split for split, _ in self._grouped.samples})

    def share_scan(self, scanned: "ReleaseRecipe") -> None:
        """Reuse ``scanned``'s listing of the same release (another split of it), so a
        release with several splits is listed once."""
        self.tree, self.layout, self._grouped = scanned.tree, scanned.layout, scanned.scan()

    def scan(self):
        """Open the release and group its files into samples (once)."""
        if getattr(self, "_grouped", None) is not None:
            return self._grouped
        opts = self.options
        if self.spec.masks == "model" and opts.mask_set not in MASK_MODELS:
            raise BuildError(f"unknown mask set {opts.mask_set!r}; choose from {', '.join(MASK_MODELS)}")
        self.tree = open_tree(opts.data_dir, self.spec.archive)
        names = self.tree.names()
        values = {"model": opts.mask_set, "alpha_dir": opts.alpha_dir, "mask_dir": opts.mask_dir}
        group = group_clips if self.family == "video-him" else group_images
        grouped = match_layout(names, list(self.spec.layouts), group, **values)
        if grouped is None or not grouped.samples:
            raise SourceError(self.tree.location, f"matches no known {self.name} layout "
                              f"({', '.join(l.name for l in self.spec.layouts)}); first files: "
                              f"{names[:3]}", "see docs/releases.md for the layouts read")
        self._grouped = grouped
        self.layout = grouped.layout.name
        return self._grouped

    def _select(self, grouped) -> list:
        split = self.options.split
        chosen = [(key, entry) for key, entry in sorted(grouped.samples.items()) if key[0] == split]
        if not chosen:
            found = sorted({key[0] for key in grouped.samples})
            raise SourceError(self.tree.location, f"has no split {split!r} for {self.name} "
                                                  f"(found: {', '.join(found)})", "pass --split")
        self._invalid_skips = []
        invalid = self._invalid_names()
        if invalid:
            listed = [is_listed(e["image"].rsplit("/", 1)[-1], invalid) for _, e in chosen]
            self._invalid_skips = [{"path": e["image"], "reason": "listed in the invalid-names file"}
                                   for (_, e), out in zip(chosen, listed) if out]
            chosen = [item for item, out in zip(chosen, listed) if not out]
        return self._windows(chosen) if self.family == "video-him" else chosen

    def _invalid_names(self) -> set[str]:
        if self.name != "i-him50k":
            return set()
        path = self.options.invalid_names or f"{str(self.options.data_dir).rstrip('/')}/invalid_him.txt"
        if not self.options.invalid_names and not remote.exists(remote.filesystem(path)[0], path):
            return set()
        return read_name_list(path)

    def _windows(self, chosen: list) -> list:
        length = self.options.clip_length
        stride = self.options.clip_stride or length
        out = []
        for key, entry in chosen:
            total = len(entry["frames"])
            starts = range(0, total - length + 1, stride) if length else [0]
            out += [(key, entry, start) for start in starts]
        return out

    def default_num_samples(self) -> int:
        return len(self.entries)

    def available(self) -> int:
        return len(self.entries)

    def source_fingerprint(self) -> str:
        listing = [[list(item[0]), sorted(map(str, item[1].get("alphas", {})))] for item in self.entries]
        return hashlib.sha256(json.dumps([self.layout, listing], default=str).encode()).hexdigest()

    def schema(self) -> Schema:
        if self.family == "video-him":
            fields = [FieldSpec("frames", IMAGE_LIST, "jpg"),
                      FieldSpec("instance_alphas", CLIP)]
            fields += [FieldSpec("instance_masks", CLIP)] if self.with_masks else []
            return Schema(self.name, self.family, tuple(fields + [FieldSpec("meta", META)]), VIDEO_HIM_META)
        fields = [FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                  FieldSpec("instance_alphas", IMAGE_LIST)]
        fields += [FieldSpec("instance_masks", IMAGE_LIST)] if self.with_masks else []
        return Schema(self.name, self.family, tuple(fields + [FieldSpec("meta", META)]), IMAGE_HIM_META)

    def make(self, index: int) -> Outcome:
        """Sample ``index`` read from the release; a member that fails the gate makes the
        sample a counted skip naming the member."""
        return read_outcome(index, lambda events: self._read_sample(index, events))

    def make_many(self, indices: range) -> list[Outcome]:
        """``make`` of each id; asked in sequence (a stream, a one-worker build), the next
        samples are made ahead on a second CPU (``samples.ReadAhead``): the same outcomes."""
        if getattr(self, "_read_ahead", None) is None:
            self._read_ahead = samples.ReadAhead(READ_AHEAD[self.family])
        stop = getattr(self, "_read_stop", None) or len(self.entries)
        return self._read_ahead.take(self.make, indices, stop)

    def task_ranges(self, start: int, stop: int):
        """One id per task; and the read-ahead of ``make_many`` never passes ``stop`` (a
        stream's generator shard, a planned shard): ids beyond belong to another reader."""
        self._read_stop = stop
        return super().task_ranges(start, stop)

    def _read_sample(self, index: int, events: list[dict]):
        meta = {"config": self.name}
        if self.family == "video-him":
            key, entry, start = self.entries[index]
            stems = samples.clip_frames(entry, start, self.options.clip_length)
            blobs = self.tree.read_many(samples.clip_plan(entry, stems, self.with_masks))
            return samples.clip_sample(index, key, entry, stems, start, blobs, self.with_masks,
                                       meta, bool(self.options.clip_length), events)
        key, entry = self.entries[index]
        meta["mask_set"] = self.options.mask_set if self.spec.masks == "model" else self.spec.masks
        blobs = self.tree.read_many(samples.image_plan(entry, self.with_masks))
        return samples.image_sample(index, key, entry, blobs, self.with_masks, meta, events)


READ_AHEAD = {"image-him": 16, "video-him": 2}
"""Samples made ahead by ``make_many`` (a two-table margin for the builder's 8-row tables;
clips are large)."""


def release_recipe_class(spec: ReleaseSpec) -> type[ReleaseRecipe]:
    """A ReleaseRecipe subclass bound to one release config."""
    return type(f"Release_{spec.name.replace('-', '_')}", (ReleaseRecipe,),
                {"name": spec.name, "family": spec.family, "summary": spec.summary, "spec": spec,
                 "__module__": __name__})


RELEASE_RECIPES = {name: release_recipe_class(spec) for name, spec in RELEASES.items()}
for _cls in RELEASE_RECIPES.values():
    globals()[_cls.__name__] = _cls  # importable by name, so spawn workers can unpickle them

"""Release configs (``i-him50k``, ``him2k``, ``m-him2k``, ``v-him2k5``, ``v-him60``) as recipes.

``prepare`` opens the release (split zip, single zip or extracted folder; local, ``hf://``
or ``http(s)://``), recognises its layout and lists the samples of one split, sorted.
``make(index)`` fetches the members of sample ``index`` together (bounded concurrency) and
passes their bytes through. The same code serves ``mattehub build`` (shards) and the
``mattehub`` builder (``load_dataset("mattehub", "v-him2k5", streaming=True)``).
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, ClassVar

from mattehub.inputs import remote
from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.families.releases import samples
from mattehub.families.releases.layouts import Grouped, group_clips, group_images, match_layout
from mattehub.families.releases.options import MASK_MODELS, ReleaseOptions
from mattehub.families.releases.specs import RELEASES, ReleaseSpec
from mattehub.inputs.trees import open_tree
from mattehub.contract.sample import Outcome
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.inputs.listing import collector_paused, is_listed, read_name_list
from mattehub.recipes.base import Recipe, fingerprint
from mattehub.families.him_meta import IMAGE_HIM_FIELDS, IMAGE_HIM_META, VIDEO_HIM_FIELDS, VIDEO_HIM_META
from mattehub.recipes.outcomes import read_outcome


@dataclass(frozen=True)
class ReleaseSources:
    """One split of a release: the tree its members are read from, the layout recognised,
    and the split's samples in order (``(key, entry)``, clips ``(key, entry, start)``)."""

    tree: Any
    layout: str
    entries: tuple

    def listing(self) -> list:
        """Each sample's key and instance numbers, as fingerprinted."""
        return [[list(item[0]), sorted(map(str, item[1].get("alphas", {})))] for item in self.entries]


MAGGIE_RELEASE_TERMS = LicenceTerms(
    "cc-by-nc-4.0", "Creative Commons Attribution-NonCommercial 4.0", Redistribution.ALLOWED,
    False, "Chuong Huynh, Seoung Wug Oh, Abhinav Shrivastava, Joon-Young Lee. MaGGIe: Masked "
    "Guided Gradual Human Instance Matting. CVPR 2024.",
    "https://huggingface.co/datasets/chuonghm/MaGGIe-HIM", ("MaGGIe HIM release",))
"""The MaGGIe HIM release's Hub licence (docs/licences.md)."""


class ReleaseRecipe(Recipe):
    """Reads one config of the published HIM release (``ImageReleaseRecipe`` and
    ``ClipReleaseRecipe`` say what a sample of their family is)."""

    spec: ReleaseSpec
    licence = "cc-by-nc-4.0"
    terms = MAGGIE_RELEASE_TERMS
    read_ahead: ClassVar[int]
    """Samples ``make_many`` makes ahead (``samples.ReadAhead``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A release config's class names its ``spec``; its name, family and summary are the
        spec's (a spec of the other HIM family than the class's base is an error)."""
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            if spec.family != cls.family:
                raise TypeError(f"{cls.__name__}: release {spec.name} is {spec.family}, not {cls.family}")
            cls.name, cls.summary = spec.name, spec.summary

    @classmethod
    def list_splits(cls, data_dir: str | None, make: Callable[[str], Recipe]) -> tuple[list[str], Recipe]:
        """The splits found in the release, and the recipe that listed it: the other splits'
        recipes reuse that listing (``share_scan``), so a release is listed once."""
        probe = make(cls.default_split())
        probe.scan()
        return probe.splits(), probe

    def __init__(self, options: ReleaseOptions, seed: int) -> None:
        super().__init__(options, seed)
        self._listing: tuple[Any, Grouped] | None = None
        """(tree, grouped files) of the whole release: listed once, shared by its splits."""
        self._read_ahead = samples.ReadAhead(self.read_ahead)
        self._read_stop: int | None = None

    @property
    def with_masks(self) -> bool:
        return self.spec.masks != "none"

    def scan_sources(self) -> tuple[ReleaseSources, dict]:
        """Scan the release (unless shared) and select the samples of ``options.split``
        (the garbage collector paused: ``listing.collector_paused`` says why)."""
        with collector_paused():
            grouped = self.scan()
            tree = self._listing[0]
            chosen, invalid_skips = self._select(grouped)
            sources = ReleaseSources(tree, grouped.layout.name, tuple(self.split_entries(chosen)))
        return sources, {"location": tree.location, "layout": sources.layout,
                         "samples": len(sources.entries), "splits": self.splits(),
                         "skipped_inputs": [s.as_dict() for s in grouped.skipped] + invalid_skips}

    def splits(self) -> list[str]:
        """Split names found in the release (after ``scan``)."""
        return list(self.scan().splits)

    def share_scan(self, scanned: "ReleaseRecipe") -> None:
        """Reuse ``scanned``'s listing of the same release (another split of it), so a
        release with several splits is listed once."""
        scanned.scan()
        self._listing = scanned._listing

    def scan(self) -> Grouped:
        """Open the release and group its files into samples (once)."""
        if self._listing is None:
            with collector_paused():
                self._listing = self._list()
        return self._listing[1]

    def _list(self) -> tuple[Any, Grouped]:
        opts = self.options
        if self.spec.masks == "model" and opts.mask_set not in MASK_MODELS:
            raise BuildError(f"unknown mask set {opts.mask_set!r}; choose from {', '.join(MASK_MODELS)}")
        tree = open_tree(opts.data_dir, self.spec.archive)
        names = tree.names()
        values = {"model": opts.mask_set, "alpha_dir": opts.alpha_dir, "mask_dir": opts.mask_dir}
        grouped = match_layout(names, list(self.spec.layouts), self.group, **values)
        if grouped is None or not grouped.samples:
            raise SourceError(tree.location, f"matches no known {self.name} layout "
                              f"({', '.join(l.name for l in self.spec.layouts)}); first files: "
                              f"{names[:3]}", "see docs/releases.md for the layouts read")
        return tree, grouped

    @staticmethod
    def group(names: list[str], grouped: Grouped, **values: str) -> Grouped:
        """Group the listed ``names`` into this family's samples (``layouts.group_*``)."""
        raise NotImplementedError

    def split_entries(self, chosen: list) -> list:
        """The samples of the chosen ``(key, entry)`` pairs (clips: cut into windows)."""
        return chosen

    def _select(self, grouped: Grouped) -> tuple[list, list[dict]]:
        """The split's ``(key, entry)`` pairs, sorted (``Grouped.samples`` are in key order),
        less those in the invalid-names file, and the skips naming those."""
        split = self.options.split
        chosen = [(key, entry) for key, entry in grouped.samples.items() if key[0] == split]
        if not chosen:
            raise SourceError(self._listing[0].location, f"has no split {split!r} for {self.name} "
                                                         f"(found: {', '.join(grouped.splits)})", "pass --split")
        invalid = self._invalid_names()
        if not invalid:
            return chosen, []
        listed = [is_listed(e["image"].rsplit("/", 1)[-1], invalid) for _, e in chosen]
        skips = [{"path": e["image"], "reason": "listed in the invalid-names file"}
                 for (_, e), out in zip(chosen, listed) if out]
        return [item for item, out in zip(chosen, listed) if not out], skips

    def _invalid_names(self) -> set[str]:
        if self.name != "i-him50k":
            return set()
        path = self.options.invalid_names or f"{str(self.options.data_dir).rstrip('/')}/invalid_him.txt"
        if not self.options.invalid_names and not remote.exists(remote.filesystem(path)[0], path):
            return set()
        return read_name_list(path)

    def default_num_samples(self) -> int:
        return len(self.sources.entries)

    def available(self) -> int:
        return len(self.sources.entries)

    def source_fingerprint(self) -> str:
        """The layout and the samples' keys (release options change no sample's bytes
        beyond which samples there are)."""
        return fingerprint(self.sources.layout, self.sources.listing())

    def make(self, index: int) -> Outcome:
        """Sample ``index`` read from the release; a member that fails the gate makes the
        sample a counted skip naming the member."""
        return read_outcome(index, lambda events: self.read_sample(index, events))

    def read_sample(self, index: int, events: list[dict]):
        """Sample ``index``'s members read and assembled (SourceError naming a bad member)."""
        raise NotImplementedError

    def make_many(self, indices: range) -> list[Outcome]:
        """``make`` of each id; asked in sequence (a stream, a one-worker build), the next
        samples are made ahead on a second CPU (``samples.ReadAhead``): the same outcomes."""
        stop = self._read_stop or len(self.sources.entries)
        return self._read_ahead.take(self.make, indices, stop)

    def task_ranges(self, start: int, stop: int):
        """One id per task; and the read-ahead of ``make_many`` never passes ``stop`` (a
        stream's generator shard, a planned shard): ids beyond belong to another reader."""
        self._read_stop = stop
        return super().task_ranges(start, stop)


class ImageReleaseRecipe(ReleaseRecipe):
    """An image release config: one sample per image, its instance mattes (and masks)."""

    family = "image-him"
    family_fields = IMAGE_HIM_FIELDS

    read_ahead = 16
    """A two-table margin for the builder's 8-row tables."""
    stream_shard_min = read_ahead
    """A generator shard spans the read-ahead, so a stream overlaps reading with decoding."""
    group = staticmethod(group_images)

    def schema(self) -> Schema:
        fields = [FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                  FieldSpec("instance_alphas", IMAGE_LIST)]
        fields += [FieldSpec("instance_masks", IMAGE_LIST)] if self.with_masks else []
        return Schema(self.name, self.family, tuple(fields + [FieldSpec("meta", META)]), IMAGE_HIM_META,
                      self.family_fields)

    def read_sample(self, index: int, events: list[dict]):
        key, entry = self.sources.entries[index]
        meta = {"config": self.name,
                "mask_set": self.options.mask_set if self.spec.masks == "model" else self.spec.masks}
        blobs = self.sources.tree.read_many(samples.image_plan(entry, self.with_masks))
        return samples.image_sample(index, key, entry, blobs, self.with_masks, meta, events)


class ClipReleaseRecipe(ReleaseRecipe):
    """A video release config: one sample per clip, or per window with ``clip_length``."""

    family = "video-him"
    family_fields = VIDEO_HIM_FIELDS

    read_ahead = 2
    """Clips are large: a clip is work enough for one generator shard."""
    group = staticmethod(group_clips)

    def split_entries(self, chosen: list) -> list:
        """``(key, entry, start)`` per window of ``clip_length`` frames every ``clip_stride``
        (start 0 only: whole clips)."""
        length = self.options.clip_length
        stride = self.options.clip_stride or length
        out = []
        for key, entry in chosen:
            total = len(entry["frames"])
            starts = range(0, total - length + 1, stride) if length else [0]
            out += [(key, entry, start) for start in starts]
        return out

    def schema(self) -> Schema:
        fields = [FieldSpec("frames", IMAGE_LIST, "jpg"), FieldSpec("instance_alphas", CLIP)]
        fields += [FieldSpec("instance_masks", CLIP)] if self.with_masks else []
        return Schema(self.name, self.family, tuple(fields + [FieldSpec("meta", META)]), VIDEO_HIM_META,
                      self.family_fields)

    def read_sample(self, index: int, events: list[dict]):
        key, entry, start = self.sources.entries[index]
        stems = samples.clip_frames(entry, start, self.options.clip_length)
        blobs = self.sources.tree.read_many(samples.clip_plan(entry, stems, self.with_masks))
        return samples.clip_sample(index, key, entry, stems, start, blobs, self.with_masks,
                                   {"config": self.name}, bool(self.options.clip_length), events)


# One class per release config (the registry names them; workers unpickle them by name).


class IHim50kRecipe(ImageReleaseRecipe):
    spec = RELEASES["i-him50k"]


class Him2kRecipe(ImageReleaseRecipe):
    spec = RELEASES["him2k"]


class MHim2kRecipe(ImageReleaseRecipe):
    spec = RELEASES["m-him2k"]


class VHim2k5Recipe(ClipReleaseRecipe):
    spec = RELEASES["v-him2k5"]


class VHim60Recipe(ClipReleaseRecipe):
    spec = RELEASES["v-him60"]


RELEASE_RECIPES: dict[str, type[ReleaseRecipe]] = {
    cls.name: cls for cls in (IHim50kRecipe, Him2kRecipe, MHim2kRecipe, VHim2k5Recipe, VHim60Recipe)}
"""Every release config's recipe class, in ``specs.RELEASES`` order."""
assert list(RELEASE_RECIPES) == list(RELEASES), "a release spec without its recipe class"

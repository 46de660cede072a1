"""Image matting benchmarks read in place: a recipe over a declared folder layout.

P3M-10k, AM-2k, AIM-500 and PPM-100 are published the same way: per split, an image folder,
an alpha folder and sometimes a trimap folder, files matched by stem (``inputs/pairing.py``),
as one zip or its extracted folder. A family declares its layout (``BenchmarkLayout``: the
zip's name, each split's folders, the meta keys a split fixes) and subclasses
``BenchmarkRecipe``; this module scans, gates and makes the samples, and says where an
exporter puts each stored file back (``export_files``). Per sample:

* ``image``: the published image's bytes passed through the gate (complete, readable, upright
  8-bit RGB in the layout's format: ``gate.pass_through_rgb``; anything else re-encoded with a
  ``normalised_input`` event naming the file);
* ``alpha``: the published matte through ``gate.decode_matte`` at the image's size (an 8-bit
  grey PNG keeps its bytes; others are converted with a ``normalised_input`` event);
* ``trimap`` (splits that ship one): the published trimap, checked by ``gate.check_trimap``
  (values 0/128/255 keep their bytes; 0/1/2 is mapped with an event; anything else skips);
* ``meta``: ``BENCHMARK_META`` plus the keys the family declares.

A damaged file (truncated, undecodable, of another size than its image) skips its sample,
counted with a ``bad_input`` event naming the file; files that cannot pair are skips in the
build record (``pairing.pair_by_stem``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mattehub.contract import decoded
from mattehub.contract.features import Value
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.redact import public_name
from mattehub.inputs import gate, remote
from mattehub.inputs.listing import Skip, skip_lines
from mattehub.inputs.pairing import Item, Role, find_root, pair_by_stem, visible
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree
from mattehub.recipes.base import Recipe, fingerprint
from mattehub.recipes.outcomes import read_outcome

TASK_ITEMS = 16
"""Samples per build task: their files are fetched together (one round of remote reads)."""
BENCHMARK_META = {
    "recipe": Value("string"), "name": Value("string"), "split": Value("string"),
    "width": Value("int32"), "height": Value("int32"),
    "paths": {"image": Value("string"), "alpha": Value("string"), "trimap": Value("string")},
    "index": Value("int64"),
}
"""The meta keys every benchmark sample has (``paths``: dataset-relative, ``trimap`` null
when the split ships none); a family's ``META_FEATURES`` adds its own."""


@dataclass(frozen=True)
class SplitLayout:
    """One split: its mattehub name, its files (``Role``: field, folder below the dataset root,
    suffixes), and the meta keys every sample of it has (``(key, value)`` pairs)."""

    split: str
    roles: tuple[Role, ...]
    meta: tuple[tuple[str, Any], ...] = ()

    def role(self, field_name: str) -> Role | None:
        return next((role for role in self.roles if role.field == field_name), None)


@dataclass(frozen=True)
class BenchmarkLayout:
    """A benchmark's published layout: its top folder and zip, its splits, what to tell a user
    who has not got it (``origin``), and the prose of each field on the card's schema."""

    top: str
    """The dataset's folder (``P3M-10k``): exports write below it."""
    archive: str
    """The published zip's name, looked for inside ``--data-dir``."""
    splits: tuple[SplitLayout, ...]
    origin: str
    fields: tuple[tuple[str, str], ...]
    """(field, description) for ``image``, ``alpha`` and ``trimap``."""
    image_format: str = "jpg"
    side_files: tuple[str, ...] = ()
    """Files beside the folders (at the dataset root, or one folder up) read once at scan
    time, e.g. a per-image category list; a missing one is said in the scan report."""

    def split(self, name: str) -> SplitLayout:
        for split in self.splits:
            if split.split == name:
                return split
        raise SourceError(self.top, f"has no split {name!r} (splits: {self.names()})",
                          "choose one of its splits with --split")

    def names(self) -> str:
        return ", ".join(split.split for split in self.splits)


@dataclass(frozen=True)
class BenchmarkScan:
    """One split as scanned: the tree, where the dataset root is in it, its items in stem
    order and the files left out."""

    tree: ArchiveTree | FolderTree
    split: str
    location: str
    prefix: str
    items: tuple[Item, ...]
    skipped: tuple[Skip, ...] = ()
    files: dict = field(default_factory=dict)
    """field -> how many files the split's folder of it holds."""
    side: dict = field(default_factory=dict)
    """The layout's ``side_files`` found, by name: their bytes."""

    def relative(self, member: str | None) -> str | None:
        """The dataset-relative path of a tree member (``train/mask/x.png``)."""
        return None if member is None else member[len(self.prefix):]

    def listing(self) -> list:
        """Each item's name and dataset-relative files, and the side files' digests, as
        fingerprinted."""
        return ([[item.name, [self.relative(m) for _, m in item.files]] for item in self.items]
                + [[name, hashlib.sha256(data).hexdigest()] for name, data in sorted(self.side.items())])

    def read(self, items: list[Item]) -> list[dict[str, bytes]]:
        """Each item's bytes by field, fetched together."""
        members = [member for item in items for _, member in item.files]
        data = iter(self.tree.read_many(members))
        return [{name: next(data) for name, _ in item.files} for item in items]


def open_source(layout: BenchmarkLayout, data_dir: str):
    """(tree, public location, names, root prefix) of the dataset under ``data_dir`` (local,
    ``hf://`` or http(s)): the zip ``data_dir/<archive>`` when there, else ``data_dir`` itself
    (a zip path, or a folder: over http(s) only the zip can be listed)."""
    data_dir = str(data_dir).rstrip("/")
    if not remote.is_http(data_dir) and not remote.exists(remote.filesystem(data_dir)[0], data_dir):
        raise SourceError(data_dir, "does not exist", layout.origin)
    tree = open_tree(data_dir, layout.archive, bound=data_dir)
    location = public_name(tree.location)
    names = visible(tree.names())
    probes = tuple(split.roles[0].folder for split in layout.splits)
    return tree, location, names, find_root(names, probes, location, layout.origin)


def present_splits(layout: BenchmarkLayout, data_dir: str) -> list[str]:
    """The splits whose image folder holds a file under ``data_dir``, in layout order."""
    _, location, names, prefix = open_source(layout, data_dir)
    found = [split.split for split in layout.splits
             if any(n.startswith(f"{prefix}{split.roles[0].folder}/") for n in names)]
    if not found:
        raise SourceError(location, f"holds no split of {layout.top}", layout.origin)
    return found


def scan(layout: BenchmarkLayout, data_dir: str, split: str) -> BenchmarkScan:
    """The items of ``split`` under ``data_dir``; SourceError when it has none."""
    wanted = layout.split(split)
    tree, location, names, prefix = open_source(layout, data_dir)
    items, skipped = pair_by_stem(names, prefix, wanted.roles)
    files = {role.field: sum(n.startswith(f"{prefix}{role.folder}/") for n in names)
             for role in wanted.roles}
    if not items:
        folders = ", ".join(f"{role.folder}/" for role in wanted.roles)
        raise SourceError(location, f"holds no sample of split {split!r} ({folders}: "
                          f"{files}; {len(skipped)} skipped)" + skip_lines(skipped), layout.origin)
    parent = prefix[:prefix.rstrip("/").rfind("/") + 1]
    where = {name: next((f"{base}{name}" for base in (prefix, parent) if f"{base}{name}" in names),
                        None) for name in layout.side_files}
    found = {name: member for name, member in where.items() if member}
    side = dict(zip(found, tree.read_many(list(found.values()))))
    return BenchmarkScan(tree, split, location, prefix, tuple(items), tuple(skipped), files, side)


class BenchmarkRecipe(Recipe):
    """A benchmark read in place (see the module docstring); subclasses set the class
    attributes of ``Recipe``, ``layout`` and ``meta_features``, and may add meta keys per
    item (``item_meta``). Options: ``data_dir`` and ``split``."""

    layout: ClassVar[BenchmarkLayout]
    meta_features: ClassVar[dict]

    @classmethod
    def default_split(cls) -> str:
        return cls.layout.splits[0].split

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        return present_splits(cls.layout, data_dir)

    def scan_sources(self) -> tuple[BenchmarkScan, dict]:
        found = scan(self.layout, self.options.data_dir, self.options.split)
        report = {"location": found.location, "split": found.split, "files": found.files,
                  "samples": len(found.items),
                  "skipped_inputs": [s.as_dict() for s in found.skipped]}
        missing = [name for name in self.layout.side_files if name not in found.side]
        return found, dict(report, missing_side_files=missing) if missing else report

    def available(self) -> int:
        return len(self.scanned().items)

    def schema(self) -> Schema:
        split = self.layout.split(self.options.split)
        prose = dict(self.layout.fields)
        kinds = {"image": self.layout.image_format, "alpha": "png", "trimap": "png"}
        specs = tuple(FieldSpec(role.field, IMAGE, kinds[role.field], prose[role.field])
                      for role in split.roles)
        return Schema(self.name, self.family, specs + (FieldSpec("meta", META),),
                      self.meta_features, self.family_fields)

    def task_ranges(self, start: int, stop: int):
        for first in range(start, stop, TASK_ITEMS):
            yield range(first, min(stop, first + TASK_ITEMS))

    def make(self, index: int) -> Outcome:
        return self.make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        items = [self.sources.items[index] for index in indices]
        return [read_outcome(index, lambda events, item=item, blobs=blobs:
                             self._sample(index, item, blobs, events))
                for index, item, blobs in zip(indices, items, self.sources.read(items))]

    def item_meta(self, item: Item) -> dict:
        """Meta keys a family derives from an item (its name, its folder): none by default."""
        return {}

    def _sample(self, index: int, item: Item, blobs: dict[str, bytes],
                events: list[dict]) -> EncodedSample:
        paths = {field_name: self.sources.relative(item.member(field_name))
                 for field_name in ("image", "alpha", "trimap")}
        image = gate.pass_through_rgb(blobs["image"], paths["image"], self.layout.image_format)
        matte = gate.decode_matte(blobs["alpha"], paths["alpha"], image.size)
        fields = {"image": image.data, "alpha": matte.data}
        notes = [(paths["image"], image.note), (paths["alpha"], matte.note)]
        if "trimap" in blobs:
            trimap = gate.check_trimap(gate.decode_matte(blobs["trimap"], paths["trimap"],
                                                         image.size), paths["trimap"])
            fields["trimap"] = trimap.data
            notes.append((paths["trimap"], trimap.note))
        events += [gate.note_event(path, note) for path, note in notes if note]
        if decoded.wanted():  # a reader in this process wants arrays: it gets these pixels
            decoded.remember(matte.data, matte.array)
            if "trimap" in blobs:
                decoded.remember(trimap.data, trimap.array)
        meta = {"recipe": self.name, "name": item.name, "split": self.options.split,
                "width": image.size[0], "height": image.size[1], "paths": paths, "index": index}
        fields["meta"] = {**meta, **dict(self.layout.split(self.options.split).meta),
                          **self.item_meta(item)}
        return EncodedSample(index, sample_key(index), fields)

    def source_fingerprint(self) -> str:
        return fingerprint(self.hashed_options(), self.sources.listing())


def export_folders(layout: BenchmarkLayout, split: str) -> tuple[tuple[str, str], ...]:
    """``(field, folder below the export root)`` of ``split`` in the published layout
    (``<top>/<role folder>``): where an exporter puts each stored field back. A field with no
    folder in the split (a ``--with trimap`` trimap where none is published) is not listed."""
    for wanted in layout.splits:
        if wanted.split == split:
            return tuple((role.field, f"{layout.top}/{role.folder}") for role in wanted.roles)
    raise BuildError(f"the {layout.top} layout has no split {split!r} (splits: {layout.names()})")

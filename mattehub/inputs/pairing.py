"""Image benchmarks published as parallel folders: one file per sample in each folder, matched
by file stem (``train/blurred_image/x.jpg`` + ``train/mask/x.png``), read in place.

P3M-10k, AM-2k, AIM-500 and PPM-100 all ship this way (an image folder, an alpha folder,
sometimes a trimap folder), each as one zip or its extracted folder. This module finds the
dataset's root inside what was given (the folder itself, or one or two folders down, as
archives often add a top folder) and groups the files of one split into samples; what each
folder is called and what a sample means is the family's (``recipes/benchmark.py`` makes the
samples). A file that cannot take part is a counted ``Skip`` naming its dataset-relative
path: a file of the wrong type by name, a file without its partners, two files sharing a
stem in one folder. Written here rather than with a listing library: the pairing rules and
the skip records are mattehub's gate, the listing itself comes from ``inputs.trees``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.inputs.listing import Skip

IGNORED = ("__MACOSX/",)
"""Folders archivers add that hold no data (macOS resource forks)."""
ROOT_DEPTH = 2
"""How many folders down a dataset's root may sit inside what was given."""


@dataclass(frozen=True)
class Role:
    """One file kind of a sample: the field it fills, its folder below the dataset root, the
    suffixes accepted there, and whether a sample needs it."""

    field: str
    folder: str
    suffixes: tuple[str, ...]
    what: str
    """What the file is, for skip reasons ("JPEG image", "alpha matte PNG")."""
    required: bool = True


@dataclass(frozen=True)
class Item:
    """One sample's files: its stem and ``(field, tree member)`` pairs in role order."""

    name: str
    files: tuple[tuple[str, str], ...]

    def member(self, field: str) -> str | None:
        return dict(self.files).get(field)


def visible(names: list[str]) -> list[str]:
    """``names`` without archiver folders (``__MACOSX/``) and hidden files."""
    return [name for name in names if not name.startswith(IGNORED)
            and not PurePosixPath(name).name.startswith(".")]


def find_root(names: list[str], probes: tuple[str, ...], location: str, origin: str) -> str:
    """The prefix ("" or ``a/``, ``a/b/``) under which a file of one of the ``probes``
    folders sits; SourceError when none or several do (which copy is the data is unclear)."""
    prefixes = set()
    for name in names:
        for probe in probes:
            at = name.find(probe.rstrip("/") + "/")
            if at >= 0 and (at == 0 or name[at - 1] == "/") and name[:at].count("/") <= ROOT_DEPTH:
                prefixes.add(name[:at])
    if not prefixes:
        raise SourceError(location, "has none of the folders "
                          f"{', '.join(p.rstrip('/') + '/' for p in probes)} (at its root or up "
                          f"to {ROOT_DEPTH} folders down)", origin)
    if len(prefixes) > 1:
        listed = ", ".join(sorted(p or "(the root)" for p in prefixes))
        raise SourceError(location, f"holds the dataset's folders in several places ({listed}), "
                          "so which copy is the data is unclear", "keep one copy")
    return prefixes.pop()


def pair_by_stem(names: list[str], prefix: str, roles: tuple[Role, ...]
                 ) -> tuple[list[Item], list[Skip]]:
    """The samples of one split: for every stem, one file per role (files directly inside
    ``prefix + role.folder``), in stem order; skips (dataset-relative paths) for the rest."""
    skipped: list[Skip] = []
    by_role: dict[str, dict[str, str]] = {}
    for role in roles:
        found, skips = _by_stem(names, prefix, role)
        by_role[role.field] = found
        skipped += skips
    required = [r for r in roles if r.required]
    items = []
    for stem in sorted(set().union(*(by_role[r.field] for r in roles))):
        missing = [r for r in required if stem not in by_role[r.field]]
        present = [(r.field, by_role[r.field][stem]) for r in roles if stem in by_role[r.field]]
        if not missing:
            items.append(Item(stem, tuple(present)))
            continue
        lacks = ", ".join(f"{r.what} ({r.folder}/{stem}{r.suffixes[0]})" for r in missing)
        skipped += [Skip(member[len(prefix):], f"has no {lacks}") for _, member in present]
    return items, sorted(skipped, key=lambda skip: skip.path)


def _by_stem(names: list[str], prefix: str, role: Role) -> tuple[dict[str, str], list[Skip]]:
    """stem -> member for the files directly inside the role's folder with an accepted suffix;
    skips for the others and for stems several files share."""
    folder = f"{prefix}{role.folder.rstrip('/')}/"
    stems: dict[str, list[str]] = defaultdict(list)
    skipped = []
    for name in names:
        if not name.startswith(folder) or "/" in name[len(folder):]:
            continue
        path = PurePosixPath(name)
        if path.suffix.lower() in role.suffixes:
            stems[path.stem].append(name)
        else:
            skipped.append(Skip(name[len(prefix):], f"is not a {role.what} "
                                f"({'/'.join(role.suffixes)} file)"))
    unique = {}
    for stem, found in stems.items():
        if len(found) == 1:
            unique[stem] = found[0]
            continue
        files = ", ".join(PurePosixPath(m).name for m in found)
        skipped += [Skip(m[len(prefix):], f"shares its stem with another {role.what} ({files}), "
                         "so which one pairs is unclear") for m in found]
    return unique, skipped

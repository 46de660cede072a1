"""RWP-636's release read in place: image/alpha pairs.

MG Matting's README links RWP-636 as one download; the code that reads it (MG Matting's
``evaluation_RWP.py``, and the benchmark configs of later papers) uses
``RealWorldPortrait-636/image/<name>.jpg``, ``alpha/<name>.png`` (same stem) and
``detailmap/<name>_cloud_trimap.jpg`` (docs/sources.md). ``--data-dir`` is that folder, the
folder above it, or a zip holding it (read in place through ``inputs/trees.py``, never
extracted); ``image/`` and ``alpha/`` may sit at the tree's root or one folder down.
``detailmap/`` is not read (an evaluation region, not a 0/128/255 trimap: docs/format.md).

Pairing is by stem, in sorted order; a file that cannot pair (an image without its alpha or
the reverse, two files sharing a stem, a file that is not an image by name) is a counted
``Skip`` naming it (``image/x.jpg``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.families.rwp636.options import SOURCE
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, skip_lines
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree

FOLDERS = ("image", "alpha")


@dataclass(frozen=True)
class Pair:
    name: str
    image: str
    alpha: str


@dataclass(frozen=True)
class RwpScan:
    tree: ArchiveTree | FolderTree
    location: str
    prefix: str
    pairs: tuple[Pair, ...]
    skipped: tuple[Skip, ...] = ()

    def relative(self, member: str) -> str:
        """The release-relative path of a tree member (``image/x.jpg``)."""
        return member[len(self.prefix):]

    def listing(self) -> list:
        return [[p.name, self.relative(p.image), self.relative(p.alpha)] for p in self.pairs]

    def read(self, pairs: list[Pair]) -> list[tuple[bytes, bytes]]:
        data = self.tree.read_many([name for pair in pairs for name in (pair.image, pair.alpha)])
        return [(data[2 * i], data[2 * i + 1]) for i in range(len(pairs))]


def _prefix(names: list[str], location: str) -> str:
    """The folder holding ``image/`` and ``alpha/``: the root or one folder down."""
    found = {"/".join(name.split("/")[:depth]) + ("/" if depth else "")
             for name in names for depth in (0, 1)
             if len(name.split("/")) > depth + 1 and name.split("/")[depth] == "alpha"}
    if len(found) != 1:
        what = "no alpha/ folder" if not found else f"alpha/ folders in several places ({', '.join(sorted(found))})"
        raise SourceError(location, f"has {what} (at its root or one folder down)", SOURCE)
    return found.pop()


def _stems(members: list[str], prefix: str, folder: str, skipped: list[Skip]) -> dict[str, str]:
    by_stem: dict[str, list[str]] = {}
    for member in members:
        rel = member[len(prefix):]
        if not rel.startswith(f"{folder}/") or "/" in rel[len(folder) + 1:] or PurePosixPath(rel).name.startswith("."):
            continue
        if PurePosixPath(rel).suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(Skip(rel, f"is not an image file ({', '.join(IMAGE_SUFFIXES)})"))
            continue
        by_stem.setdefault(PurePosixPath(rel).stem, []).append(member)
    unique = {}
    for stem, found in by_stem.items():
        if len(found) == 1:
            unique[stem] = found[0]
        else:
            skipped += [Skip(m[len(prefix):], "shares its stem with another file, so which one "
                             "pairs is unclear") for m in found]
    return unique


def scan(data_dir: str) -> RwpScan:
    """The pairs of the release under ``data_dir`` (SourceError when there are none)."""
    location = public_name(data_dir)
    tree = open_tree(str(data_dir), None)
    try:
        names = [n for n in tree.names() if not n.startswith("__MACOSX/")]
    except SourceError as exc:
        raise SourceError(exc.path, exc.problem, SOURCE) from None
    prefix, skipped = _prefix(names, location), []
    images = _stems(names, prefix, "image", skipped)
    alphas = _stems(names, prefix, "alpha", skipped)
    pairs = []
    for stem in sorted(set(images) | set(alphas)):
        if stem in images and stem in alphas:
            pairs.append(Pair(stem, images[stem], alphas[stem]))
        elif stem in images:
            skipped.append(Skip(images[stem][len(prefix):], f"has no alpha (alpha/{stem}.png)"))
        else:
            skipped.append(Skip(alphas[stem][len(prefix):], f"has no image (image/{stem}.jpg)"))
    if not pairs:
        raise SourceError(location, "holds no image/alpha pair" + skip_lines(skipped), SOURCE)
    return RwpScan(tree, location, prefix, tuple(pairs), tuple(sorted(skipped, key=lambda s: s.path)))

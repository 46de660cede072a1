"""Adobe's public release of the Deep Image Matting dataset, its test half read in place.

Adobe publishes the dataset as release ``v1.0`` of ``adobe-research/Deep_Image_Matting_Dataset``
(docs/sources.md, "Adobe's public release"): foregrounds, alphas, the test trimaps and the
name lists, under ``Combined_Dataset/``, with no composites. The Composition-1k test set is
made from it the published way: test foreground ``i`` of ``Test_set/test_fg_names.txt`` over
backgrounds ``20*i .. 20*i+19`` of ``Test_set/test_bg_names.txt`` (PASCAL VOC 2008 images:
``--bg-root``), composite ``k`` with the trimap ``Test_set/Adobe-licensed images/trimaps/<fg
stem>_<k>.png``; the alpha is the foreground's (``.../alpha/<fg name>``). The zip (local or
remote) or the folder it extracts to is read in place; the top folder is found from the
member names (``<anything>/Test_set/Adobe-licensed images/``), not from the archive's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.families.aim.options import SOURCE
from mattehub.inputs.listing import Skip
from mattehub.inputs.trees import open_tree

IMAGES = "Test_set/Adobe-licensed images/"
NAME_LISTS = ("Test_set/test_fg_names.txt", "Test_set/test_bg_names.txt")


@dataclass(frozen=True)
class ReleaseItem:
    """One composite to make: its stem (``<fg stem>_<k>``), fg stem and ``k``, the members
    of the tree it reads, and its background's file name below ``--bg-root``."""

    stem: str
    fg: str
    number: int
    fg_file: str
    alpha: str
    trimap: str
    bg: str


@dataclass(frozen=True)
class ReleaseTestScan:
    """The test half of the release: the tree, the prefix before ``Test_set/`` and the
    composites in the published order."""

    tree: object
    location: str
    strip: str
    bg_root: str
    items: tuple[ReleaseItem, ...] = ()
    skipped: tuple[Skip, ...] = ()
    image_ext: str = "png"

    def listing(self) -> list:
        """Each composite's members and background, as fingerprinted."""
        return [[i.fg_file, i.alpha, i.trimap, i.bg] for i in self.items]

    def public(self, name: str) -> str:
        """A member's name as reported: relative to the release's top folder."""
        return name[len(self.strip):]

    def read(self, item: ReleaseItem) -> dict[str, bytes]:
        blobs = self.tree.read_many([item.fg_file, item.alpha, item.trimap])
        return dict(zip(("fg", "alpha", "trimap"), blobs))


def release_prefix(names: list[str]) -> str | None:
    """What member names carry before ``Test_set/Adobe-licensed images/`` (None: not the release)."""
    for name in names:
        at = name.find(IMAGES)
        if at >= 0 and (at == 0 or name[at - 1] == "/"):
            return name[:at]
    return None


def open_release(data_dir: str):
    """(tree, names, prefix) when ``data_dir`` is the release (a zip, or a local folder
    holding ``Test_set/`` or ``Combined_Dataset/Test_set/``), else None."""
    data_dir = str(data_dir).rstrip("/")
    if data_dir.lower().endswith(".zip"):
        tree = open_tree(data_dir, None)
    elif "://" not in data_dir and any((Path(data_dir) / top / IMAGES).is_dir()
                                       for top in ("", "Combined_Dataset")):
        tree = open_tree(data_dir, None)
    else:
        return None
    names = tree.names()
    prefix = release_prefix(names)
    return None if prefix is None else (tree, names, prefix)


def _lines(data: bytes) -> list[str]:
    return [line.strip() for line in data.decode("utf-8").splitlines() if line.strip()]


def scan_release_test(found: tuple, data_dir: str, bg_root: str) -> ReleaseTestScan:
    """The composites the name lists define; one whose trimap, alpha or foreground is not in
    the tree is a skip naming it, a background missing below ``bg_root`` too."""
    tree, names, prefix = found
    lists = [prefix + name for name in NAME_LISTS]
    missing = [name[len(prefix):] for name in lists if name not in set(names)]
    if missing:
        raise SourceError(data_dir, f"is Adobe's release but has no {', '.join(missing)}", SOURCE)
    fg_names, bg_names = (_lines(blob) for blob in tree.read_many(lists))
    per = len(bg_names) // max(1, len(fg_names))
    if not fg_names or per * len(fg_names) != len(bg_names):
        raise SourceError(data_dir, f"lists {len(fg_names)} test foregrounds and {len(bg_names)} "
                          "backgrounds (expected the same number of backgrounds for each)", SOURCE)
    present, base = set(names), prefix + IMAGES
    items, skipped = [], []
    for i, fg in enumerate(fg_names):
        stem = str(PurePosixPath(fg).with_suffix(""))
        for k in range(per):
            item = ReleaseItem(f"{stem}_{k}", stem, k, f"{base}fg/{fg}", f"{base}alpha/{fg}",
                               f"{base}trimaps/{stem}_{k}.png", bg_names[i * per + k])
            absent = [n[len(prefix):] for n in (item.fg_file, item.alpha, item.trimap) if n not in present]
            if not (Path(bg_root) / item.bg).is_file():
                absent.append(f"--bg-root {item.bg}")
            if absent:
                skipped.append(Skip(item.trimap[len(prefix):], "has no " + " and no ".join(absent)))
            else:
                items.append(item)
    if not items:
        raise SourceError(data_dir, f"holds no usable test composite ({len(skipped)} skipped)"
                          + "".join(f"\n  - {s.path}: {s.reason}" for s in skipped[:10]), SOURCE)
    return ReleaseTestScan(tree, public_name(data_dir), prefix, str(bg_root), tuple(items), tuple(skipped))

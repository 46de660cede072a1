"""DUTS (salient object detection) read in place: image/mask pairs of one split.

DUTS is published as ``DUTS-TR.zip`` and ``DUTS-TE.zip`` (http://saliencydetection.net/duts/),
holding ``DUTS-TR/DUTS-TR-Image/*.jpg`` + ``DUTS-TR/DUTS-TR-Mask/*.png`` and the same for
``DUTS-TE``. ``--data-dir`` is the folder holding the extracted ``DUTS-TR/`` / ``DUTS-TE/``
folders or the zips (a zip may be an Info-ZIP split archive, ``X.z01 ..`` + ``X.zip``). A
local extracted folder is read when present, else the zip beside it; over http(s) the zip is
tried first (a web server's folder listing is not a file listing). Zips are read through
``open_tree``'s ``ArchiveTree``, never extracted. Inside a tree, the ``<TOP>-Image`` and
``<TOP>-Mask`` folders may sit at its root or one folder down (the published zips hold a
``DUTS-TR/`` folder); ``__MACOSX/`` copies and hidden files are ignored. Folder links in an
extracted tree are followed when they stay inside ``--data-dir`` (``trees.py``).

Pairing is by file stem, in sorted stem order. Every file that cannot take part is a counted
``Skip`` naming it (its DUTS-relative path, e.g. ``DUTS-TR/DUTS-TR-Image/x.jpg``, the same
for a folder and a zip): an image without a mask, a mask without an image, a file that is
not a JPEG image / image mask by name, two files sharing a stem.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from mattehub.inputs import remote
from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree
from mattehub.inputs.listing import Skip, skip_lines
from mattehub.families.duts.options import HOME, SPLITS

IMAGE_SUFFIXES = (".jpg", ".jpeg")
MASK_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
ORIGIN = (f"DUTS comes from {HOME} as DUTS-TR.zip (train) and "
          "DUTS-TE.zip (test): pass the folder holding those zips, or the DUTS-TR/ and DUTS-TE/ "
          "folders extracted from them, as --data-dir")
IGNORED_TOP = "__MACOSX/"

Tree = ArchiveTree | FolderTree


@dataclass(frozen=True)
class Pair:
    """One usable image/mask pair: its stem and both files' tree member names."""

    name: str
    image: str
    mask: str


@dataclass(frozen=True)
class DutsScan:
    """What ``scan`` found for one split: the tree and its usable pairs, in stem order
    (the sources ``duts`` samples are made from)."""

    tree: Tree
    split: str
    top: str
    """``DUTS-TR`` or ``DUTS-TE``."""
    location: str
    """Public name of what was read (``DUTS-TR`` folder or ``DUTS-TR.zip``)."""
    pairs: tuple[Pair, ...]
    prefix: str = ""
    """What joins ``<TOP>-Image/<file>`` to a tree member name."""
    skipped: tuple[Skip, ...] = ()
    images: int = 0
    masks: int = 0

    def relative(self, member: str) -> str:
        """The DUTS-relative path of a tree member (``DUTS-TR/DUTS-TR-Image/x.jpg``)."""
        return f"{self.top}/{member[len(self.prefix):]}"

    def listing(self) -> list:
        """Each pair's name and DUTS-relative paths, as fingerprinted."""
        return [[p.name, self.relative(p.image), self.relative(p.mask)] for p in self.pairs]

    def read(self, pairs: list[Pair]) -> list[tuple[bytes, bytes]]:
        """(image bytes, mask bytes) of each pair, fetched together."""
        data = self.tree.read_many([name for pair in pairs for name in (pair.image, pair.mask)])
        return [(data[2 * i], data[2 * i + 1]) for i in range(len(pairs))]


def _fs_url(url: str):
    """(file system, url) for ``remote.exists``."""
    return remote.filesystem(url)[0], url


def _join(data_dir: str, name: str) -> str:
    return f"{data_dir}/{name}"


def _is_folder(data_dir: str, name: str) -> bool:
    """Whether ``data_dir/name`` is a folder (never asked over http(s): see ``locate``)."""
    url = _join(data_dir, name)
    fs, path = remote.filesystem(url)
    return remote.exists(fs, url) and fs.isdir(path)


def _has_zip(data_dir: str, name: str) -> bool:
    url = _join(data_dir, f"{name}.zip")
    return remote.exists(remote.filesystem(url)[0], url)


def locate(data_dir: str, split: str) -> str | None:
    """Where ``split`` is under ``data_dir``: the folder ``DUTS-XX`` or the zip
    ``DUTS-XX.zip`` (as a path joined to ``data_dir``), or None when neither is there."""
    top = SPLITS[split]
    data_dir = str(data_dir).rstrip("/")
    if remote.is_http(data_dir):
        return _join(data_dir, f"{top}.zip") if _has_zip(data_dir, top) else None
    if _is_folder(data_dir, top):
        return _join(data_dir, top)
    if _has_zip(data_dir, top):
        return _join(data_dir, f"{top}.zip")
    return None


def source_splits(data_dir: str) -> list[str]:
    """The splits present under ``data_dir`` (``train``, ``test``); SourceError when none."""
    found = [split for split in SPLITS if locate(data_dir, split)]
    if not found and not remote.is_http(data_dir) and not remote.exists(*_fs_url(data_dir)):
        raise SourceError(data_dir, "does not exist", ORIGIN)
    if not found:
        raise SourceError(data_dir, "holds no DUTS split (no DUTS-TR/ or DUTS-TE/ folder, no "
                          "DUTS-TR.zip or DUTS-TE.zip)", ORIGIN)
    return found


def scan(data_dir: str, split: str) -> DutsScan:
    """List the image/mask pairs of ``split`` under ``data_dir`` (see the module docstring);
    SourceError when the split is not there or has no usable pair."""
    if split not in SPLITS:
        raise SourceError(data_dir, f"DUTS has no split {split!r} (splits: "
                          f"{', '.join(f'{s} ({t})' for s, t in SPLITS.items())})",
                          "choose --split train or --split test")
    top, data_dir = SPLITS[split], str(data_dir).rstrip("/")
    where = locate(data_dir, split)
    if where is None:
        if not remote.is_http(data_dir) and not remote.exists(*_fs_url(data_dir)):
            raise SourceError(data_dir, "does not exist", ORIGIN)
        present = [s for s in SPLITS if s != split and locate(data_dir, s)]
        found = f" (it holds the {', '.join(present)} split)" if present else ""
        raise SourceError(data_dir, f"has no {top}/ folder and no {top}.zip for split "
                          f"{split!r}{found}", ORIGIN)
    tree = open_tree(where, None, bound=data_dir)  # folder links may lead anywhere in it
    location = public_name(where)
    names = [n for n in tree.names() if not n.startswith(IGNORED_TOP)]
    prefix = _prefix(names, top, location)
    image_dir, mask_dir = f"{prefix}{top}-Image/", f"{prefix}{top}-Mask/"
    images, masks = _children(names, image_dir), _children(names, mask_dir)
    found = DutsScan(tree, split, top, location, (), prefix, images=len(images), masks=len(masks))
    pairs, skipped = _pair(found, images, masks)
    found = replace(found, pairs=tuple(pairs), skipped=tuple(skipped))
    if not pairs:
        raise SourceError(location, f"holds no {top}-Image/{top}-Mask pair ({len(images)} "
                          f"image(s), {len(masks)} mask(s); {len(skipped)} skipped)"
                          + skip_lines(skipped), ORIGIN)
    return found


def _prefix(names: list[str], top: str, location: str) -> str:
    """The folder holding ``<top>-Image`` and ``<top>-Mask`` inside the tree: "" or one
    folder down (exactly one such)."""
    prefixes = set()
    for name in names:
        parts = name.split("/")
        for depth in (0, 1):
            if len(parts) > depth + 1 and parts[depth] in (f"{top}-Image", f"{top}-Mask"):
                prefixes.add("".join(part + "/" for part in parts[:depth]))
    if not prefixes:
        raise SourceError(location, f"has no {top}-Image/ or {top}-Mask/ folder (at its root "
                          "or one folder down)", ORIGIN)
    if len(prefixes) > 1:
        listed = ", ".join(sorted(p or "(the root)" for p in prefixes))
        raise SourceError(location, f"holds {top}-Image/{top}-Mask folders in several places "
                          f"({listed}), so which ones are the data is unclear",
                          "keep one copy")
    return prefixes.pop()


def _children(names: list[str], folder: str) -> list[str]:
    """Members directly inside ``folder`` (hidden files left out), sorted."""
    return sorted(name for name in names if name.startswith(folder)
                  and "/" not in name[len(folder):] and not name[len(folder):].startswith("."))


def _by_stem(scan_: DutsScan, members: list[str], suffixes: tuple[str, ...], what: str
             ) -> tuple[dict[str, str], dict[str, str], list[Skip]]:
    """(stem -> member for files with an accepted suffix, stem -> the file names of a stem
    that several files share, skips for the others and for those shared stems)."""
    stems: dict[str, list[str]] = {}
    skipped = []
    for member in members:
        path = PurePosixPath(member)
        if path.suffix.lower() not in suffixes:
            skipped.append(Skip(scan_.relative(member), f"is not a {what} "
                                f"({'/'.join(suffixes)} file)"))
            continue
        stems.setdefault(path.stem, []).append(member)
    unique, shared = {}, {}
    for stem, found in stems.items():
        if len(found) == 1:
            unique[stem] = found[0]
            continue
        names = shared[stem] = ", ".join(PurePosixPath(m).name for m in found)
        skipped += [Skip(scan_.relative(m), f"shares its stem with another {what} ({names}), "
                         "so which one pairs is unclear") for m in found]
    return unique, shared, skipped


def _pair(scan_: DutsScan, images: list[str], masks: list[str]) -> tuple[list[Pair], list[Skip]]:
    top = scan_.top
    by_image, shared_images, skipped = _by_stem(scan_, images, IMAGE_SUFFIXES, "JPEG image")
    by_mask, shared_masks, mask_skips = _by_stem(scan_, masks, MASK_SUFFIXES, "mask image")
    skipped += mask_skips
    pairs = []
    for stem in sorted(set(by_image) | set(by_mask)):
        image, mask = by_image.get(stem), by_mask.get(stem)
        if image and mask:
            pairs.append(Pair(stem, image, mask))
        elif image:
            why = (f"has several masks ({shared_masks[stem]})" if stem in shared_masks
                   else f"has no mask ({top}/{top}-Mask/{stem}.png)")
            skipped.append(Skip(scan_.relative(image), why))
        else:
            why = (f"has several images ({shared_images[stem]})" if stem in shared_images
                   else f"has no image ({top}/{top}-Image/{stem}.jpg)")
            skipped.append(Skip(scan_.relative(mask), why))
    return pairs, sorted(skipped, key=lambda skip: skip.path)

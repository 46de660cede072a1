"""The Adobe Image Matting (Composition-1k) layout: scans of its training and test folders.

Layout (``docs/sources.md``, "Adobe Image Matting and Composition-1k"), under one ``--data-dir``:

* ``train/fg/<name>`` and ``train/alpha/<name>``: foregrounds and their alpha mattes under
  the same file names (an alpha may carry another image extension than its foreground: it
  pairs by stem when the name differs only there). Names that do not pair are an error
  listing all of them, before any sample: a foreground without its matte (or the reverse)
  is a damaged copy of the dataset, not something to skip silently;
* ``test/merged/<fg stem>_<i>.png``, ``test/trimaps/`` and ``test/alpha_copy/``: the 20
  published composites per test foreground, each with its trimap and ground-truth alpha
  under the same name (paired by stem). Read through ``releases.trees.open_tree``: the
  folder, local or remote, or a zip holding it.

The training scan reads file headers only (sizes, for the fingerprint and the pairing
check); pixels are decoded by the recipe, once per foreground and worker.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from mattehub.inputs import remote
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.redact import public_name
from mattehub.inputs.backgrounds import Background
from mattehub.inputs.trees import open_tree
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, image_size, list_files
from mattehub.families.aim.options import SOURCE

TRAIN_FOLDERS = ("train/fg", "train/alpha")
TEST_FOLDERS = {"image": "test/merged", "trimap": "test/trimaps", "alpha": "test/alpha_copy"}
COMPOSITE_NAME = re.compile(r"^(?P<fg>.+)_(?P<number>\d+)$")
"""``<fg stem>_<i>``: a test composite's stem."""


@dataclass(frozen=True)
class Foreground:
    """One training foreground: file names below ``train/fg`` and ``train/alpha``, and its
    size as stored (width, height; no EXIF rotation: a foreground and its matte are compared
    as stored, as Deep Image Matting's script reads them)."""

    name: str
    alpha: str
    size: tuple[int, int]


@dataclass
class TrainScan:
    root: Path
    foregrounds: list[Foreground] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


@dataclass(frozen=True)
class TrainSources:
    """What an ``aim`` build composites: the usable foregrounds (sorted by name, relative to
    ``root``'s ``train/fg`` and ``train/alpha``) and the backgrounds."""

    root: Path
    foregrounds: tuple[Foreground, ...]
    backgrounds: tuple[Background, ...]

    def listing(self) -> list:
        """Foregrounds and backgrounds, as fingerprinted."""
        return [[f.name, f.alpha, list(f.size)] for f in self.foregrounds] + \
            [[b.path, list(b.size)] for b in self.backgrounds]


@dataclass(frozen=True)
class TestItem:
    """One published test composite: its stem, the fg stem and number parsed from it (None
    when the name is not ``<fg stem>_<i>``), and the three members' names in the tree."""

    stem: str
    fg: str
    number: int | None
    image: str
    trimap: str
    alpha: str


@dataclass(frozen=True)
class TestScan:
    """The Composition-1k sources: the tree and its usable composites in natural order."""

    tree: object
    location: str
    strip: str = ""
    """What tree names start with before ``test/`` (a zip's top folder, else "")."""
    add: str = ""
    """What goes before a tree name to name it from the data dir (``test/`` for a folder)."""
    items: tuple[TestItem, ...] = ()
    skipped: tuple[Skip, ...] = ()
    image_ext: str = "png"

    def listing(self) -> list:
        """Each composite's members, as fingerprinted."""
        return [[i.image, i.trimap, i.alpha] for i in self.items]

    def public(self, name: str) -> str:
        """A member's name as reported: relative to the data dir (``test/merged/x_0.png``)."""
        return self.add + name[len(self.strip):]

    def read(self, item: TestItem) -> dict[str, bytes]:
        blobs = self.tree.read_many([item.image, item.trimap, item.alpha])
        return dict(zip(("image", "trimap", "alpha"), blobs))


def source_splits(data_dir: str) -> list[str]:
    """``train`` when ``train/fg`` is there, ``test`` when ``test/merged`` is; a tree with
    neither is an error saying what an AIM tree holds."""
    data_dir = str(data_dir).rstrip("/")
    if data_dir.lower().endswith(".zip"):
        found = ["test"] if _zip_prefix(open_tree(data_dir, None).names()) is not None else []
    elif "://" not in data_dir:
        found = [split for split, folder in (("train", "train/fg"), ("test", "test/merged"))
                 if (Path(data_dir) / folder).is_dir()]
    else:
        fs, root = remote.filesystem(data_dir)
        found = [split for split, folder in (("train", "train/fg"), ("test", "test/merged"))
                 if remote.exists(fs, f"{root}/{folder}")]
    if not found:
        raise SourceError(data_dir, "holds neither train/fg nor test/merged", SOURCE)
    return found


# -- train ------------------------------------------------------------------------------------

def _image_files(root: Path, folder: str, skipped: list[Skip]) -> list[str]:
    """Image files below ``root/folder`` (relative to it), others listed as skipped."""
    path = root / folder
    if not path.is_dir():
        raise SourceError(path, "is not a folder", SOURCE)
    names = []
    for rel in list_files(path):
        if Path(rel).suffix.lower() in IMAGE_SUFFIXES:
            names.append(rel)
        else:
            skipped.append(Skip(f"{folder}/{rel}", f"not an image file ({', '.join(IMAGE_SUFFIXES)})"))
    return names


def _stem(name: str) -> str:
    return str(PurePosixPath(name).with_suffix(""))


def pair_names(fgs: list[str], alphas: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(foreground, alpha) pairs: same name, else the same stem when exactly one file of
    each side has it; and every name that found no partner (or an ambiguous one), described."""
    alpha_set, pairs, problems = set(alphas), [], []
    left_fgs = [name for name in fgs if name not in alpha_set]
    left_alphas = sorted(alpha_set - set(fgs))
    pairs = [(name, name) for name in fgs if name in alpha_set]
    by_stem: dict[str, tuple[list[str], list[str]]] = {}
    for side, names in ((0, left_fgs), (1, left_alphas)):
        for name in names:
            by_stem.setdefault(_stem(name), ([], []))[side].append(name)
    for stem, (fg_names, alpha_names) in sorted(by_stem.items()):
        if len(fg_names) == 1 and len(alpha_names) == 1:
            pairs.append((fg_names[0], alpha_names[0]))
            continue
        if not alpha_names:
            problems += [f"train/fg/{name}: no train/alpha/{name}" for name in fg_names]
        elif not fg_names:
            problems += [f"train/alpha/{name}: no train/fg/{name}" for name in alpha_names]
        else:
            problems.append(f"stem {stem!r}: train/fg has {', '.join(fg_names)} and train/alpha "
                            f"has {', '.join(alpha_names)} (which pairs with which?)")
    return sorted(pairs), problems


def scan_train(data_dir: str | Path) -> TrainScan:
    """Pair ``train/fg`` with ``train/alpha`` and header-check both; BuildError listing every
    unpaired name, SourceError when nothing usable is left."""
    if "://" in str(data_dir) or str(data_dir).lower().endswith(".zip"):
        raise BuildError(f"{public_name(str(data_dir))}: the aim train split is composited from a "
                         "local folder (train/fg, train/alpha); copy or extract it first (the test "
                         "split can be read in place from a zip or a remote folder)")
    root = Path(data_dir)
    scan = TrainScan(root)
    fgs = _image_files(root, TRAIN_FOLDERS[0], scan.skipped)
    alphas = _image_files(root, TRAIN_FOLDERS[1], scan.skipped)
    pairs, problems = pair_names(fgs, alphas)
    if problems:
        raise BuildError(f"{public_name(str(root))}: {len(problems)} foreground/alpha file name(s) "
                         "do not pair (train/fg and train/alpha must hold the same names):"
                         + "".join(f"\n  - {line}" for line in problems))
    for fg_name, alpha_name in pairs:
        try:
            size = image_size(root / TRAIN_FOLDERS[0] / fg_name)
            alpha_size = image_size(root / TRAIN_FOLDERS[1] / alpha_name)
        except SourceError as exc:
            scan.skipped.append(Skip(f"train/fg/{fg_name}", _relative(exc, root)))
            continue
        if alpha_size != size:
            scan.skipped.append(Skip(f"train/fg/{fg_name}", f"is {size[0]}x{size[1]} but its alpha "
                                     f"train/alpha/{alpha_name} is {alpha_size[0]}x{alpha_size[1]}"))
            continue
        scan.foregrounds.append(Foreground(fg_name, alpha_name, size))
    if not scan.foregrounds:
        raise SourceError(root / "train", f"holds no usable foreground ({len(scan.skipped)} "
                          "skipped)" + "".join(f"\n  - {s.path}: {s.reason}" for s in scan.skipped[:10]),
                          SOURCE)
    return scan


def _relative(exc: SourceError, root: Path) -> str:
    """A scan error's text with the file named relative to the data dir."""
    path = Path(exc.path)
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    return f"{name} {exc.problem}"


# -- test -------------------------------------------------------------------------------------

def _zip_prefix(names: list[str]) -> str | None:
    """The part of member names before ``test/merged/`` (None when no member has it)."""
    for name in names:
        at = name.find(TEST_FOLDERS["image"] + "/")
        if at >= 0 and (at == 0 or name[at - 1] == "/"):
            return name[:at]
    return None


def _natural(item: TestItem) -> tuple:
    return (item.fg, -1 if item.number is None else item.number, item.stem)


def scan_test(data_dir: str) -> TestScan:
    """List the published test composites with their trimaps and alphas (names only: the
    files are checked when read). A composite without its trimap or alpha, or a trimap or
    alpha without a composite, is a skip named in the build record."""
    data_dir = str(data_dir).rstrip("/")
    if data_dir.lower().endswith(".zip"):
        tree = open_tree(data_dir, None)
        names = tree.names()
        strip = _zip_prefix(names)
        if strip is None:
            raise SourceError(data_dir, "holds no test/merged/ folder", SOURCE)
        scan = TestScan(tree, public_name(data_dir), strip=strip)
    else:
        tree = open_tree(f"{data_dir}/test", None)
        names = tree.names()
        scan = TestScan(tree, public_name(data_dir), add="test/")
    members: dict[str, dict[str, str]] = {role: {} for role in TEST_FOLDERS}
    items: list[TestItem] = []
    skipped: list[Skip] = []
    for name in names:
        public = scan.public(name)
        folder, _, rel = public.rpartition("/")
        role = next((r for r, f in TEST_FOLDERS.items() if folder == f), None)
        if role is None or not name.startswith(scan.strip):
            continue
        if PurePosixPath(rel).suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(Skip(public, f"not an image file ({', '.join(IMAGE_SUFFIXES)})"))
            continue
        stem = _stem(rel)
        if stem in members[role]:
            skipped.append(Skip(public, f"shares its stem with {scan.public(members[role][stem])}"))
            continue
        members[role][stem] = name
    if not members["image"]:
        raise SourceError(f"{data_dir}/test/merged", "holds no composite image", SOURCE)
    exts = [_ext(PurePosixPath(name).suffix) for name in members["image"].values()]
    image_ext = max(sorted(set(exts)), key=exts.count)
    for stem, image in members["image"].items():
        missing = [TEST_FOLDERS[role] for role in ("trimap", "alpha") if stem not in members[role]]
        if missing:
            skipped.append(Skip(scan.public(image), "has no " + " and no ".join(
                f"{folder}/{stem}.*" for folder in missing)))
            continue
        if _ext(PurePosixPath(image).suffix) != image_ext:
            skipped.append(Skip(scan.public(image), f"is {PurePosixPath(image).suffix} while "
                                f"the split's composites are .{image_ext} (one file type "
                                "per field)"))
            continue
        match = COMPOSITE_NAME.match(stem)
        items.append(TestItem(stem, match["fg"] if match else stem,
                              int(match["number"]) if match else None, image,
                              members["trimap"][stem], members["alpha"][stem]))
    for role in ("trimap", "alpha"):
        skipped += [Skip(scan.public(name), f"has no composite {TEST_FOLDERS['image']}/{stem}.*")
                    for stem, name in members[role].items() if stem not in members["image"]]
    scan = replace(scan, items=tuple(sorted(items, key=_natural)), image_ext=image_ext,
                   skipped=tuple(sorted(skipped, key=lambda skip: skip.path)))
    if not items:
        raise SourceError(f"{data_dir}/test", f"holds no usable composite ({len(scan.skipped)} "
                          "skipped)" + "".join(f"\n  - {s.path}: {s.reason}" for s in scan.skipped[:10]),
                          SOURCE)
    return scan


def _ext(suffix: str) -> str:
    suffix = suffix.lower().lstrip(".")
    return "jpg" if suffix in ("jpg", "jpeg") else suffix

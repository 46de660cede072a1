"""Distinctions-646's extracted release read in place: the foreground/alpha pairs of a split.

The release (``Distinctions-646.rar``, RAR5, given on request) holds
``Distinctions-646/Train/FG/<name>.png`` with ``Train/GT/<name>.png`` (596 pairs, the same
file names), ``Test/FG`` + ``Test/GT`` (50 pairs), and per split a list of background file
names (``Train/bg_train.txt``, ``Test/bg_test.txt``) with a PDF and the authors'
``gen_train.py`` (docs/sources.md). RAR has no reader mattehub trusts in place (``rarfile``
shells out to ``unrar``), so ``--data-dir`` is the extracted folder: ``Train/`` and ``Test/``
at its root or one folder down (``Distinctions-646/Train``). Only ``FG`` and ``GT`` are read.

Pairing is by file stem (the release's names are equal; an export with JPEG foregrounds keeps
the stems), in sorted order. A file that cannot take part is a counted ``Skip`` naming it
(``Train/FG/x.png``): a foreground without its alpha or the reverse, two files sharing a stem,
a file that is not an image, a file whose header cannot be read; the scan reads headers only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mattehub.core.errors import SourceError
from mattehub.families.distinctions646.options import SOURCE, SPLITS
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, image_size, skip_lines


@dataclass(frozen=True)
class Pair:
    """One usable foreground: its file names in ``FG`` and ``GT``, and its size as stored."""

    name: str
    size: tuple[int, int]
    alpha: str = ""
    """The GT file's name (the FG file's when empty)."""


@dataclass(frozen=True)
class SplitScan:
    """The usable pairs of one split folder (``root`` = ``.../Train``), in name order."""

    root: Path
    folder: str
    pairs: tuple[Pair, ...]
    skipped: tuple[Skip, ...] = ()

    def listing(self) -> list:
        return [[pair.name, pair.alpha, list(pair.size)] for pair in self.pairs]

    def paths(self, pair: Pair) -> tuple[Path, Path]:
        return self.root / "FG" / pair.name, self.root / "GT" / (pair.alpha or pair.name)


def split_folder(data_dir: str | Path, split: str) -> Path | None:
    """``<data_dir>/<Train|Test>`` or one folder down, when it has ``FG/`` (None otherwise)."""
    root, name = Path(data_dir), SPLITS[split]
    candidates = [root / name] + sorted(child / name for child in root.iterdir() if child.is_dir()) \
        if root.is_dir() else []
    return next((c for c in candidates if (c / "FG").is_dir()), None)


def source_splits(data_dir: str) -> list[str]:
    """The splits whose ``FG`` folder is there (SourceError when none is)."""
    if not Path(data_dir).is_dir():
        raise SourceError(data_dir, "is not a folder", SOURCE)
    found = [split for split in SPLITS if split_folder(data_dir, split)]
    if not found:
        raise SourceError(data_dir, "holds no Train/FG or Test/FG folder (at its root or one "
                                    "folder down)", SOURCE)
    return found


def _images(folder: Path, shown: str, skipped: list[Skip]) -> dict[str, tuple[str, tuple[int, int]]]:
    """Stem -> (file name, (width, height)) of the images directly in ``folder``; other files
    and files sharing a stem are skipped."""
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    shared: set[str] = set()
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") or path.is_dir():
            continue
        where = f"{shown}/{path.name}"
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(Skip(where, f"is not an image file ({', '.join(IMAGE_SUFFIXES)})"))
            continue
        try:
            size = image_size(path)
        except SourceError as exc:
            skipped.append(Skip(where, exc.problem))
            continue
        if path.stem in found or path.stem in shared:
            shared.add(path.stem)
            other = found.pop(path.stem, None)
            names = [f"{shown}/{n}" for n in ([other[0]] if other else []) + [path.name]]
            skipped += [Skip(n, "shares its stem with another file, so which one pairs is unclear")
                        for n in names]
            continue
        found[path.stem] = (path.name, size)
    return found


def scan(data_dir: str, split: str) -> SplitScan:
    """The pairs of ``split`` (SourceError when its folder is missing or has none)."""
    root = split_folder(data_dir, split)
    if root is None:
        present = [s for s in SPLITS if Path(data_dir).is_dir() and split_folder(data_dir, s)]
        where = f" (it holds {', '.join(SPLITS[s] for s in present)})" if present else ""
        raise SourceError(data_dir, f"has no {SPLITS[split]}/FG folder for split {split!r}{where}",
                          SOURCE)
    folder, skipped = SPLITS[split], []
    fgs = _images(root / "FG", f"{folder}/FG", skipped)
    gts = _images(root / "GT", f"{folder}/GT", skipped)
    pairs = []
    for stem in sorted(set(fgs) | set(gts)):
        if stem in fgs and stem in gts:
            pairs.append(Pair(fgs[stem][0], fgs[stem][1], gts[stem][0]))
        elif stem in fgs:
            skipped.append(Skip(f"{folder}/FG/{fgs[stem][0]}", f"has no alpha in {folder}/GT"))
        else:
            skipped.append(Skip(f"{folder}/GT/{gts[stem][0]}", f"has no foreground in {folder}/FG"))
    if not pairs:
        raise SourceError(data_dir, f"has no {folder}/FG + {folder}/GT pair" + skip_lines(skipped),
                          SOURCE)
    return SplitScan(root, folder, tuple(pairs), tuple(sorted(skipped, key=lambda s: s.path)))

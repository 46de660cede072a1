"""VideoMatte240K read in place: the videos of one split, cut into clips of ``clip_length``.

The releases (docs/sources.md, 'VideoMatte240K') hold ``<split>/fgr/<video>/<frame>.jpg`` and
``<split>/pha/<video>/<frame>.jpg`` (the JPEG SD and HD releases: frame folders) or
``<split>/fgr/<video>.mp4`` and ``<split>/pha/<video>.mp4`` (the video release), with
``<split>`` ``train`` or ``test``. ``--data-dir`` is the release folder (``train/`` and
``test/`` at its root or one folder down, e.g. ``VideoMatte240K_JPEG_SD/train``), or a zip of
it read in place (``inputs/trees.py``; mp4 pairs are read from a local folder only, since
PyAV decodes a file). ``__MACOSX/`` copies and hidden files are ignored.

**Pairing and runs.** A frame pairs with the alpha frame of the same video and stem (any of
``.jpg``/``.jpeg``/``.png``: an export's PNG alphas read back). Frames are ordered by
natural order of their stems. A frame without its alpha (or an alpha without its frame, a
file of another kind, a second file for one stem) is a counted ``Skip`` naming it, and it
*breaks the run*: a clip is never spliced across a missing frame. A video's frames are cut
into runs of paired, consecutive frames; an mp4 pair is one run, or a ``Skip`` naming the
alpha video when the two do not have the same frame count and size.

**Clips.** Each run is cut into consecutive, non-overlapping clips of ``clip_length``
frames from its first frame; the remainder (fewer than ``clip_length`` frames) is dropped,
so a run shorter than ``clip_length`` gives no clip (counted in the scan report as
``frames_dropped``). Clip ``i`` of a split is the ``i``-th in (video natural order, run
order, position) order: a pure function of the listing and ``clip_length``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.inputs.listing import Skip, natural_key, skip_lines
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree
from mattehub.inputs.video import video_header
from mattehub.families.videomatte240k.options import SOURCE, SPLITS

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")
IGNORED_TOP = "__MACOSX/"

Tree = ArchiveTree | FolderTree


@dataclass(frozen=True)
class Run:
    """Consecutive paired frames of one video: tree members (frame folders) or the video
    pair (``fgr``/``pha`` hold the one mp4 each), and the frame names."""

    video: str
    kind: str
    """``frames`` (JPEG frame folders) or ``video`` (an mp4 pair)."""
    fgr: tuple[str, ...]
    pha: tuple[str, ...]
    stems: tuple[str, ...]
    """Frame names: file stems, or ``00000``, ``00001``... (mp4: position in the video)."""
    offset: int = 0
    """Position of the run's first frame among the video's frames."""
    size: tuple[int, int] | None = None
    """(width, height) of an mp4 pair (frame folders: checked per clip)."""


@dataclass(frozen=True)
class Window:
    """One clip: a run and the position of its first frame in it."""

    run: int
    first: int


@dataclass(frozen=True)
class VideoMatteScan:
    """What ``scan`` found for one split: the tree, its runs and clips (the sources the
    ``videomatte240k`` configs make samples from)."""

    tree: Tree
    split: str
    location: str
    prefix: str
    """What joins ``<split>/fgr/...`` to a tree member name."""
    runs: tuple[Run, ...]
    windows: tuple[Window, ...]
    clip_length: int
    skipped: tuple[Skip, ...] = ()
    frames_dropped: int = 0

    def relative(self, member: str) -> str:
        """The release-relative path of a tree member (``train/fgr/0000/00000.jpg``)."""
        return member[len(self.prefix):]

    def local_path(self, member: str) -> Path:
        """The file of a member of a local folder tree (mp4 pairs)."""
        return Path(self.tree.location) / member

    def listing(self) -> list:
        """Each run's video, kind, offset and frame names, as fingerprinted."""
        return [[r.video, r.kind, r.offset, list(r.stems)] for r in self.runs]


def source_splits(data_dir: str) -> list[str]:
    """The splits present in the release (``train``, ``test``); SourceError when none."""
    tree = open_tree(str(data_dir), None)
    names = _names(tree)
    found = [split for split in SPLITS if _prefixes(names, split)]
    if not found:
        raise SourceError(public_name(str(data_dir)), "holds no train/ or test/ folder with "
                          "fgr/ and pha/ (at its root or one folder down)", SOURCE)
    return found


def scan(data_dir: str, split: str, clip_length: int) -> VideoMatteScan:
    """The runs and clips of ``split`` (see the module docstring); SourceError when the
    split is missing or yields no clip."""
    tree = open_tree(str(data_dir), None)
    location = public_name(tree.location)
    names = _names(tree)
    prefixes = _prefixes(names, split)
    if len(prefixes) != 1:
        problem = (f"has no {split}/fgr/ and {split}/pha/ folders (at its root or one folder "
                   "down)" if not prefixes else f"holds {split}/ in several places "
                   f"({', '.join(sorted(p or '(the root)' for p in prefixes))})")
        raise SourceError(location, problem, SOURCE)
    prefix = prefixes.pop()
    found = VideoMatteScan(tree, split, location, prefix, (), (), clip_length)
    runs, skipped = _runs(found, names)
    windows, dropped = cut(runs, clip_length)
    found = VideoMatteScan(tree, split, location, prefix, tuple(runs), tuple(windows),
                           clip_length, tuple(sorted(skipped, key=lambda s: s.path)), dropped)
    if not windows:
        raise SourceError(location, f"holds no clip of {clip_length} frames in {split}/ "
                          f"({len(runs)} run(s) of paired frames, {dropped} frame(s) in runs "
                          f"shorter than that; {len(skipped)} file(s) skipped)"
                          + skip_lines(list(found.skipped)), "lower --clip-length")
    return found


def cut(runs: list[Run], length: int) -> tuple[list[Window], int]:
    """Consecutive non-overlapping windows of ``length`` frames of every run, and the
    number of frames left over (dropped)."""
    windows, dropped = [], 0
    for number, run in enumerate(runs):
        count = len(run.stems) // length
        windows += [Window(number, k * length) for k in range(count)]
        dropped += len(run.stems) - count * length
    return windows, dropped


def _names(tree: Tree) -> list[str]:
    return [n for n in tree.names() if not n.startswith(IGNORED_TOP)
            and not any(part.startswith(".") for part in n.split("/"))]


def _prefixes(names: list[str], split: str) -> set[str]:
    """Where ``<split>/fgr`` or ``<split>/pha`` sits: "" or one folder down."""
    found = set()
    for name in names:
        parts = name.split("/")
        for depth in (0, 1):
            if len(parts) > depth + 2 and parts[depth] == split and parts[depth + 1] in ("fgr", "pha"):
                found.add("".join(part + "/" for part in parts[:depth]))
    return found


def _layer(scan_: VideoMatteScan, names: list[str], layer: str, skipped: list[Skip]
           ) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """(video -> stem -> members for frame folders, video -> member for video files) of
    ``<split>/<layer>/``; other files are skips."""
    root = f"{scan_.prefix}{scan_.split}/{layer}/"
    folders: dict[str, dict[str, list[str]]] = {}
    files: dict[str, str] = {}
    for name in names:
        if not name.startswith(root):
            continue
        rel, path = name[len(root):], PurePosixPath(name)
        suffix, depth = path.suffix.lower(), rel.count("/")
        if depth == 0 and suffix in VIDEO_SUFFIXES:
            files[path.stem] = name
        elif depth == 1 and suffix in FRAME_SUFFIXES:
            folders.setdefault(rel.split("/")[0], {}).setdefault(path.stem, []).append(name)
        else:
            skipped.append(Skip(scan_.relative(name), f"is not a frame ({'/'.join(FRAME_SUFFIXES)} "
                                f"in {layer}/<video>/) or a video ({layer}/<video>.mp4)"))
    return folders, files


def _single(scan_: VideoMatteScan, members: list[str] | None, skipped: list[Skip]) -> str | None:
    """The one file of a stem; several files sharing a stem are skips (which is the frame
    is unclear), and so is none of them."""
    if members and len(members) > 1:
        names = ", ".join(PurePosixPath(m).name for m in members)
        skipped += [Skip(scan_.relative(m), f"shares its stem with another file ({names}), so "
                         "which one is the frame is unclear") for m in members]
        return None
    return members[0] if members else None


def _runs(scan_: VideoMatteScan, names: list[str]) -> tuple[list[Run], list[Skip]]:
    skipped: list[Skip] = []
    fgr_folders, fgr_files = _layer(scan_, names, "fgr", skipped)
    pha_folders, pha_files = _layer(scan_, names, "pha", skipped)
    runs: list[Run] = []
    for video in sorted(set(fgr_folders) | set(pha_folders) | set(fgr_files) | set(pha_files),
                        key=natural_key):
        if video in fgr_files or video in pha_files:
            runs += _video_pair(scan_, video, fgr_files.get(video), pha_files.get(video), skipped)
        if video in fgr_folders or video in pha_folders:
            runs += _frame_runs(scan_, video, fgr_folders.get(video, {}),
                                pha_folders.get(video, {}), skipped)
    return runs, skipped


def _frame_runs(scan_: VideoMatteScan, video: str, fgr: dict[str, list[str]],
                pha: dict[str, list[str]],
                skipped: list[Skip]) -> list[Run]:
    """The runs of paired frames of one frame-folder video; unpaired files are skips."""
    split = scan_.split
    if not pha or not fgr:
        have, lack = ("fgr", "pha") if fgr else ("pha", "fgr")
        skipped.append(Skip(f"{split}/{have}/{video}/", f"has no {split}/{lack}/{video}/ folder"))
        return []
    runs, current = [], []
    stems = sorted(set(fgr) | set(pha), key=natural_key)
    for position, stem in enumerate(stems):
        image, alpha = _single(scan_, fgr.get(stem), skipped), _single(scan_, pha.get(stem), skipped)
        if image and alpha:
            current.append((position, stem, image, alpha))
            continue
        for member, lack, other in ((image, "alpha", pha), (alpha, "frame", fgr)):
            if member:
                why = "is ambiguous (several files share the stem)" if other.get(stem) else "is missing"
                skipped.append(Skip(scan_.relative(member), f"its {lack} of the same stem {why}"))
        if current:
            runs.append(_frame_run(video, current))
        current = []
    if current:
        runs.append(_frame_run(video, current))
    return runs


def _frame_run(video: str, items: list[tuple[int, str, str, str]]) -> Run:
    return Run(video, "frames", tuple(i[2] for i in items), tuple(i[3] for i in items),
               tuple(i[1] for i in items), items[0][0])


def _video_pair(scan_: VideoMatteScan, video: str, fgr: str | None, pha: str | None,
                skipped: list[Skip]) -> list[Run]:
    """The one run of an mp4 pair, or a skip naming what is wrong with it."""
    if not fgr or not pha:
        have, lack = (fgr, "pha") if fgr else (pha, "fgr")
        suffix = PurePosixPath(have).suffix
        skipped.append(Skip(scan_.relative(have), f"has no {scan_.split}/{lack}/{video}{suffix}"))
        return []
    if not isinstance(scan_.tree, FolderTree) or not os.path.isdir(scan_.tree.location):
        raise SourceError(scan_.location, "holds mp4 pairs: those are read from a local folder",
                          "extract the archive and pass the folder as --data-dir")
    headers = []
    for member in (fgr, pha):
        try:
            headers.append(video_header(scan_.local_path(member)))
        except SourceError as exc:
            skipped.append(Skip(scan_.relative(member), exc.problem))
            return []
    (count, size), (alpha_count, alpha_size) = headers
    if (count, size) != (alpha_count, alpha_size):
        skipped.append(Skip(scan_.relative(pha), f"has {alpha_count} frames of "
                            f"{alpha_size[0]}x{alpha_size[1]} but its fgr video has {count} of "
                            f"{size[0]}x{size[1]}"))
        return []
    return [Run(video, "video", (fgr,), (pha,), tuple(f"{t:05d}" for t in range(count)), 0, size)]

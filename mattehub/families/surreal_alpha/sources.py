"""SURREAL clips (docs/sources.md, 'SURREAL'): find them, scan their headers, load them once.

A clip is ``<seq>_c<NNNN>`` with ``.mp4`` (H.264 frames), ``_segm.mat`` (``segm_1..T``,
uint8 SMPL part labels), ``_depth.mat`` (``depth_1..T``, float32 metres, background 1e10)
and ``_info.mat`` (camera, pose, shape, joints...). ``scan_clip`` reads only the mp4's
container header and the mats' variable listings: a scan never decodes pixels.
``load_clip`` decodes what one clip's samples need, every array through the input gate
(labels exact uint8 at the frame's size, depth 2-D at the frame's size).

The mp4 and ``_segm.mat`` are required: a missing or damaged one, or labels of the wrong
shape, skip the clip (named in the build record). ``_depth.mat`` and ``_info.mat`` are
optional: missing or damaged, the clip is kept with depth stored as 0 (invalid) and info
values null, and every sample made so is counted (``missing_input`` / ``bad_input``).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background
from mattehub.inputs.listing import Skip
from mattehub.inputs.video import decode_video, video_header
from mattehub.families.surreal_alpha.matfile import load_mat, mat_variables
from mattehub.families.surreal_alpha.options import SOURCE

SPLITS = ("train", "val", "test")
SUFFIXES = {"video": ".mp4", "segm": "_segm.mat", "depth": "_depth.mat", "info": "_info.mat"}
_CLIP_FILE = re.compile(r"^(?P<stem>.+?)(?:\.mp4|_segm\.mat)$")
DECODES: Counter = Counter()
"""Files decoded in this process, by kind (video, segm, depth, info): what the benchmark
counts to show that a clip is decoded once, not once per sample."""


@dataclass(frozen=True)
class SurrealClip:
    """A scanned clip. ``stem`` is relative to the searched folder, ``name`` the public
    ``cmu/<split>/run<r>/<seq>/<seq>_c<NNNN>`` (or relative to --data-dir when the tree
    has no ``cmu`` folder)."""

    stem: str
    name: str
    frames: int
    """Frames both the video and the labels have."""
    size: tuple[int, int]
    has_depth: bool
    """A readable ``_depth.mat`` with frames of the right shape (see ``problems``)."""
    has_info: bool
    problems: tuple[tuple[str, str], ...] = ()
    """(kind, reason) of optional files present but unusable (``depth``, ``info``)."""

    def problem(self, kind: str) -> str | None:
        """Why the optional file ``kind`` is unusable (None: fine or missing)."""
        return dict(self.problems).get(kind)


@dataclass(frozen=True)
class SurrealSources:
    """What a ``surreal-alpha`` build reads: the usable clips (sorted), the backgrounds, and
    ``offsets[c]``, the first sample id of clip ``c`` (``offsets[-1]``: the sample count)."""

    root: Path
    """The folder clip stems are relative to."""
    clips: tuple[SurrealClip, ...]
    backgrounds: tuple[Background, ...]
    offsets: np.ndarray = field(compare=False, repr=False)

    def listing(self) -> list:
        """Clips and backgrounds, as fingerprinted."""
        return [[c.name, c.frames, list(c.size), c.has_depth, c.has_info] for c in self.clips] + \
            [[b.path, list(b.size)] for b in self.backgrounds]


@dataclass
class SurrealScan:
    root: Path
    clips: list[SurrealClip] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    mismatched: list[dict] = field(default_factory=list)


@dataclass
class ClipArrays:
    """One clip's decoded frames, by 0-based frame number; absent frames were not decodable."""

    frames: dict[int, np.ndarray]
    """Colour frames in OpenCV's BGR order (the recipe composites and encodes in it)."""
    labels: dict[int, np.ndarray]
    depth: dict[int, np.ndarray] | None
    info: dict[str, np.ndarray] | None
    problems: dict[str, SourceError] = field(default_factory=dict)
    """Optional files (``depth``, ``info``) that failed to decode."""


def search_root(data_dir: Path, split: str) -> Path:
    """The folder to search for clips: ``cmu/<split>`` of a SURREAL tree, or ``data_dir``
    itself when it is a split, run or sequence folder."""
    if not data_dir.is_dir():
        raise SourceError(data_dir, "does not exist or is not a folder", SOURCE)
    cmu = cmu_folder(data_dir)
    if cmu is not None:
        if not (cmu / split).is_dir():
            present = [s.name for s in sorted(cmu.iterdir()) if s.is_dir()]
            if not present:
                raise SourceError(cmu, "holds no split folders (train, val, test)", SOURCE)
            raise SourceError(cmu / split, f"is missing; {cmu} holds {present}",
                              "choose one of them with --split")
        return cmu / split
    own = split_of(data_dir)
    if own is not None and own != split:
        raise SourceError(data_dir, f"is inside SURREAL's {own!r} split but --split is {split!r}",
                          f"pass --split {own}: split names follow the tree")
    nested = next(iter(sorted(data_dir.glob("*/cmu")) + sorted(data_dir.glob("*/*/cmu"))), None)
    if nested is not None and nested.is_dir():
        raise SourceError(data_dir, f"holds a SURREAL tree further down, at {nested}",
                          f"pass --data-dir {nested}")
    return data_dir


def split_of(path: Path) -> str | None:
    """The SURREAL split a folder inside ``cmu/<split>/...`` belongs to (None outside one)."""
    parts = path.resolve().parts
    for at in range(len(parts) - 1, 0, -1):
        if parts[at - 1] == "cmu" and parts[at] in SPLITS:
            return parts[at]
    return None


def cmu_folder(data_dir: Path) -> Path | None:
    """SURREAL's ``cmu`` folder when ``data_dir`` is it (by name or by holding split
    folders) or holds it; None for a split, run or sequence folder."""
    cmu = data_dir / "cmu" if (data_dir / "cmu").is_dir() else data_dir
    if cmu.name == "cmu" or any((cmu / s).is_dir() for s in SPLITS):
        return cmu
    return None


def source_splits(data_dir: Path) -> list[str]:
    """The splits a tree holds: ``cmu/<split>`` folders present, else the one a split, run
    or sequence folder belongs to (``train`` outside a ``cmu`` tree)."""
    cmu = cmu_folder(data_dir)
    found = [s for s in SPLITS if (cmu / s).is_dir()] if cmu is not None else []
    return found or [split_of(data_dir) or "train"]


def public_root(root: Path) -> Path:
    """The folder clip names are relative to: the parent of the nearest ``cmu`` folder."""
    for parent in (root, *root.parents):
        if parent.name == "cmu":
            return parent.parent
    return root


def clip_stems(root: Path) -> list[str]:
    """Sorted relative stems of every clip below ``root`` with an mp4 or a segm file."""
    stems = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        match = _CLIP_FILE.match(path.name)
        if match and not any(p.startswith(".") for p in rel.parts) and path.is_file():
            stems.add((rel.parent / match["stem"]).as_posix())
    return sorted(stems)


def _numbered(variables: dict[str, tuple[int, ...]], prefix: str, path: Path,
              shape: tuple[int, int]) -> int:
    """How many of ``prefix_1, prefix_2...`` there are, each checked to be ``shape`` (H, W)."""
    count = 0
    while f"{prefix}_{count + 1}" in variables:
        found = variables[f"{prefix}_{count + 1}"]
        if found != shape:
            raise SourceError(path, f"{prefix}_{count + 1} has shape {found} but the video's frames "
                                    f"are {shape} (H, W)", "labels must have their frame's size")
        count += 1
    if not count:
        raise SourceError(path, f"holds no {prefix}_1.. variables (it has {sorted(variables)[:5]})")
    return count


def scan_clip(root: Path, stem: str, name: str, mismatched: list[dict]) -> SurrealClip:
    """Check one clip from headers only; SourceError naming the file when it is unusable.
    A clip whose video and labels disagree on the frame count keeps the frames both have
    and is appended to ``mismatched``."""
    paths = {kind: root / f"{stem}{suffix}" for kind, suffix in SUFFIXES.items()}
    for kind in ("video", "segm"):
        if not paths[kind].is_file():
            raise SourceError(paths[kind], "is missing; a clip needs its .mp4 and _segm.mat")
    video_frames, size = video_header(paths["video"])
    label_frames = _numbered(mat_variables(paths["segm"]), "segm", paths["segm"], size[::-1])
    problems = []
    checks = {"depth": lambda: _numbered(mat_variables(paths["depth"]), "depth", paths["depth"],
                                         size[::-1]),
              "info": lambda: mat_variables(paths["info"])}
    for kind, check in checks.items():
        if paths[kind].is_file():
            try:
                check()
            except SourceError as exc:
                problems.append((kind, str(exc)))
    if video_frames != label_frames:
        mismatched.append({"clip": name, "video_frames": video_frames, "label_frames": label_frames})
    frames = min(video_frames, label_frames)
    if frames < 1:
        raise SourceError(paths["video"], "has no frames")
    usable = {kind: paths[kind].is_file() and kind not in dict(problems) for kind in checks}
    return SurrealClip(stem, name, frames, size, usable["depth"], usable["info"], tuple(problems))


def scan(data_dir: Path, split: str) -> SurrealScan:
    """Every clip of a SURREAL tree (sorted), with unusable clips skipped and named."""
    root = search_root(Path(data_dir), split)
    result, names_root = SurrealScan(root), public_root(root)
    for stem in clip_stems(root):
        name = (root / stem).relative_to(names_root).as_posix()
        try:
            result.clips.append(scan_clip(root, stem, name, result.mismatched))
        except SourceError as exc:
            result.skipped.append(Skip(name, str(exc)))
    return result


def load_clip(root: Path, clip: SurrealClip, wanted: range) -> ClipArrays:
    """Decode the frames ``wanted`` of one clip: video, labels, depth and info, once each."""
    base = root / clip.stem
    video = base.with_name(base.name + SUFFIXES["video"])
    DECODES["video"] += 1
    frames = decode_video(video, wanted, "bgr24", clip.size, partial=True)
    labels = _frames(base, "segm", wanted, clip.size, gate.label_map)
    arrays = ClipArrays(frames, labels, None, None)
    loaders = {"depth": lambda: _frames(base, "depth", wanted, clip.size, gate.depth_map),
               "info": lambda: _info(base)}
    for kind, load in loaders.items():
        if getattr(clip, f"has_{kind}"):
            try:
                setattr(arrays, kind, load())
            except SourceError as exc:  # optional: the clip is kept without it
                arrays.problems[kind] = exc
    return arrays


def _info(base: Path) -> dict[str, np.ndarray]:
    DECODES["info"] += 1
    return load_mat(base.with_name(base.name + SUFFIXES["info"]))


def _frames(base: Path, kind: str, wanted: range, size: tuple[int, int], check) -> dict:
    path = base.with_name(base.name + SUFFIXES[kind])
    DECODES[kind] += 1
    names = [f"{kind}_{t + 1}" for t in wanted]
    loaded = load_mat(path, names)
    return {t: check(loaded[n], size, path, n) for t, n in zip(wanted, names) if n in loaded}

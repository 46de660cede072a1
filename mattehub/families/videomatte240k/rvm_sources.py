"""Robust Video Matting's generated evaluation sets, read in place.

RVM (PeterL1n/RobustVideoMatting, ``evaluation/``) scores models on test sets its own scripts
write (``generate_videomatte_with_background_{image,video}.py``, and the ``imagematte`` ones):
each script writes one *dataset folder* (``--out-dir``, e.g. ``videomatte_motion``) holding
one folder per clip, ``<clip>/{com,fgr,pha,bgr}/<tttt>.png`` (``clip`` = ``0000``,
``0001``...; 100 frames by default; ``bgr`` frames after the first are symbolic links to the
first). ``evaluate_lr.py`` walks ``<dir>/<dataset>/<clip>/pha/<frame>``: every dataset folder
of the folder it is given, in ``sorted`` order, every clip, every frame.

``--data-dir`` is that folder holding the dataset folders (``videomatte_512x288``), or one
dataset folder, or a zip of either (one more folder level on top is fine: a zip of the
folder). Splits: one per dataset folder, named as the folder, and ``combined``: every
dataset's clips in ``evaluate_lr.py``'s order (datasets, then clips, each ``sorted``), the set
one run of the script averages over. A clip is a sample, whole: its ``com`` frames paired
with its ``pha`` frames by file name, in ``sorted`` order (the script's; its position means
are per frame position). ``fgr`` and ``bgr`` are not read.

A clip with a ``com`` frame without its ``pha`` (or the reverse), or a file that is not a
frame, is a counted ``Skip`` naming the file: RVM scores whole clips, and a gap would shift
every later frame position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.inputs.listing import Skip, skip_lines
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree
from mattehub.families.videomatte240k.options import RVM_EVAL_SOURCE
from mattehub.families.videomatte240k.sources import FRAME_SUFFIXES, IGNORED_TOP

COMBINED = "combined"
"""The split of every dataset folder's clips (what one ``evaluate_lr.py`` run scores)."""
READ_LAYERS = ("com", "pha")
OTHER_LAYERS = ("fgr", "bgr")
NAME = re.compile(r"^\w+$")
"""Dataset and clip folder names: a split name and a sample key are made of them."""
SOURCE = RVM_EVAL_SOURCE

Tree = ArchiveTree | FolderTree


@dataclass(frozen=True)
class EvalClip:
    """One generated clip: its dataset and clip folder names, and its frames' members."""

    dataset: str
    clip: str
    com: tuple[str, ...]
    pha: tuple[str, ...]
    names: tuple[str, ...]
    """The frames' file stems (``0000``...), in the script's order."""

    @property
    def key(self) -> str:
        """The sample key: ``<dataset>_<clip>`` (same in the dataset's split and ``combined``)."""
        return f"{self.dataset}_{self.clip}"


@dataclass(frozen=True)
class RvmEvalScan:
    """The clips of one split of an RVM evaluation folder."""

    tree: Tree
    split: str
    location: str
    prefix: str
    """What joins ``<dataset>/<clip>/...`` to a tree member (tree-relative names)."""
    clips: tuple[EvalClip, ...]
    skipped: tuple[Skip, ...] = ()

    def relative(self, member: str) -> str:
        """A member's path below the folder holding the datasets (``videomatte_motion/0000/com/0000.png``)."""
        return member[len(self.prefix):]

    def listing(self) -> list:
        """Each clip's dataset, clip and frame names, as fingerprinted."""
        return [[c.dataset, c.clip, list(c.names)] for c in self.clips]


def _layout(tree: Tree) -> tuple[str, dict[str, dict[str, list[str]]]]:
    """(prefix, dataset -> clip -> members) of every ``<clip>/<com|pha|fgr|bgr>/<file>``
    member; a dataset folder given itself is named after the tree."""
    names = [n for n in tree.names() if not n.startswith(IGNORED_TOP)
             and not any(part.startswith(".") for part in n.split("/"))]
    found: dict[tuple[str, ...], dict[str, list[str]]] = {}
    for name in names:
        parts = name.split("/")
        if len(parts) >= 3 and parts[-2] in READ_LAYERS + OTHER_LAYERS:
            found.setdefault(tuple(parts[:-3]), {}).setdefault(parts[-3], []).append(name)
    if not found:
        raise SourceError(public_name(tree.location), "holds no <clip>/com/ and <clip>/pha/ "
                          "frame folders", SOURCE)
    depths = {len(above) for above in found}
    if len(depths) != 1 or max(depths) > 2:
        raise SourceError(public_name(tree.location), "holds clip folders at different depths "
                          f"({', '.join(sorted('/'.join(a) or '(the root)' for a in found))})", SOURCE)
    depth = depths.pop()
    if depth == 0:  # one dataset folder (or a zip of its clips): named after it
        stem = PurePosixPath(tree.location.rstrip("/")).name
        return "", {PurePosixPath(stem).stem if stem.lower().endswith(".zip") else stem: found[()]}
    prefixes = {"".join(p + "/" for p in above[:-1]) for above in found}
    if len(prefixes) != 1:
        raise SourceError(public_name(tree.location), "holds dataset folders in several "
                          f"folders ({', '.join(sorted(prefixes))})", SOURCE)
    return prefixes.pop(), {above[-1]: clips for above, clips in found.items()}


def source_splits(data_dir: str) -> list[str]:
    """``combined`` and one split per dataset folder, sorted."""
    _, datasets = _layout(open_tree(str(data_dir), None))
    return [COMBINED, *sorted(datasets)]


def scan(data_dir: str, split: str) -> RvmEvalScan:
    """The clips of ``split`` (see the module docstring); SourceError when the split is not
    there or holds no whole clip."""
    tree = open_tree(str(data_dir), None)
    location = public_name(tree.location)
    prefix, datasets = _layout(tree)
    bad = sorted(d for d in datasets if not NAME.match(d) or d == COMBINED)
    if bad:
        raise SourceError(location, f"has dataset folders {bad} whose names cannot be split "
                          f"names (letters, digits and _ only; not {COMBINED!r})", "rename them")
    if split != COMBINED and split not in datasets:
        raise SourceError(location, f"has no dataset folder {split!r} (it has "
                          f"{', '.join(sorted(datasets))})", f"--split {COMBINED} or one of those")
    chosen = sorted(datasets) if split == COMBINED else [split]
    clips: list[EvalClip] = []
    skipped: list[Skip] = []
    for dataset in chosen:
        for clip in sorted(datasets[dataset]):
            found = _clip(dataset, clip, datasets[dataset][clip], prefix, skipped)
            if found:
                clips.append(found)
    found_scan = RvmEvalScan(tree, split, location, prefix, tuple(clips),
                             tuple(sorted(skipped, key=lambda s: s.path)))
    if not clips:
        raise SourceError(location, f"holds no whole clip in split {split!r} "
                          f"({len(skipped)} file(s) skipped)" + skip_lines(list(found_scan.skipped)), SOURCE)
    return found_scan


def _clip(dataset: str, clip: str, members: list[str], prefix: str,
          skipped: list[Skip]) -> EvalClip | None:
    """A clip whose every ``com`` frame has its ``pha`` frame (by stem), else None with the
    skips naming what is wrong."""
    where = f"{dataset}/{clip}/"
    if not NAME.match(clip):
        skipped.append(Skip(where, "is not a clip folder name (letters, digits and _ only)"))
        return None
    layers: dict[str, dict[str, str]] = {layer: {} for layer in READ_LAYERS}
    problems: list[Skip] = []
    for member in members:
        path = PurePosixPath(member)
        layer = path.parent.name
        if layer in OTHER_LAYERS:
            continue
        relative = member[len(prefix):]
        if path.suffix.lower() not in FRAME_SUFFIXES:
            problems.append(Skip(relative, f"is not a frame ({'/'.join(FRAME_SUFFIXES)})"))
        elif path.stem in layers[layer]:
            problems.append(Skip(relative, "shares its stem with another frame of the clip"))
        else:
            layers[layer][path.stem] = member
    com, pha = layers["com"], layers["pha"]
    for stem in sorted(set(com) ^ set(pha)):
        have, lack = (com, "pha") if stem in com else (pha, "com")
        problems.append(Skip(have[stem][len(prefix):], f"has no {lack}/ frame of the same name"))
    if problems or not com:
        skipped += problems or [Skip(where, "has no com/ and pha/ frames")]
        skipped.append(Skip(where, "clip skipped whole: RVM scores whole clips"))
        return None
    names = tuple(sorted(com))
    return EvalClip(dataset, clip, tuple(com[n] for n in names), tuple(pha[n] for n in names), names)

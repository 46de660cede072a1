"""Synthesis inputs of ``overlay-depth``: foreground cut-outs, their masks, background depths.

Scanning reads headers only: a foreground is usable when it decodes to a size that fits the
canvas at the largest scale and it has a matte (its own alpha channel or a mask file
``mask_<fg stem>.*`` of its size). Unusable inputs are counted skips naming the file, so
sample ids map onto the usable listing only. ``load_foreground`` decodes one foreground in a
worker through the gate.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, list_files

MASK_PREFIX = "mask_"
MASK_THRESHOLD = 128
"""A mask file's pixel counts as foreground when it is >= 128 (the original masks are JPEG,
so their edges carry compression noise around 0 and 255)."""
ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")


@dataclass(frozen=True)
class Foreground:
    """One usable cut-out: path relative to ``--fg-root``, size, and its mask file (relative
    to ``--mask-root``) or None when its alpha channel is the matte."""

    path: str
    size: tuple[int, int]
    mask: str | None


@dataclass
class ForegroundScan:
    foregrounds: list[Foreground] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


@dataclass(frozen=True)
class Layer:
    """A decoded foreground: colour (BGR uint8), alpha (uint8, the compositing weight) and
    the binary mask (bool), all (H, W)."""

    bgr: np.ndarray
    alpha: np.ndarray
    mask: np.ndarray
    notes: tuple[str, ...] = ()


def _header(path: Path) -> tuple[tuple[int, int], bool]:
    """(size as stored, has an alpha channel) from the file header; SourceError otherwise."""
    with gate.open_image(path, path) as image:
        alpha = image.mode in ALPHA_MODES or (image.mode == "P" and "transparency" in image.info)
        return image.size, alpha


def mask_files(mask_root: Path | None) -> dict[str, list[str]]:
    """Mask files by the foreground they belong to: ``<sub>/mask_<stem>.<ext>`` belongs to
    ``<sub>/<stem>.*``; a top-level mask also to a foreground of that stem in any sub-folder
    when no other foreground has the stem (``_foreground`` refuses the ambiguous case)."""
    found: dict[str, list[str]] = {}
    if mask_root is None:
        return found
    for rel in list_files(mask_root):
        name = Path(rel)
        if name.name.startswith(MASK_PREFIX) and name.suffix.lower() in IMAGE_SUFFIXES:
            owner = (name.parent / name.stem[len(MASK_PREFIX):]).as_posix()
            found.setdefault(owner, []).append(rel)
    return found


def _owner(rel: str) -> str:
    """The key ``mask_files`` uses for foreground ``rel``: its path without the suffix."""
    return Path(rel).with_suffix("").as_posix()


def scan_foregrounds(fg_root: Path, mask_root: Path | None, canvas: int,
                     largest_scale: float) -> ForegroundScan:
    """Usable foregrounds below ``fg_root``, sorted; the others are counted skips."""
    scan, masks = ForegroundScan(), mask_files(mask_root)
    shared = mask_root is not None and mask_root.resolve() == fg_root.resolve()
    listed = [rel for rel in list_files(fg_root)  # masks kept beside their cut-outs are masks
              if not (shared and Path(rel).name.startswith(MASK_PREFIX))]
    stems = Counter(Path(rel).stem for rel in listed)
    for rel in listed:
        try:
            scan.foregrounds.append(_foreground(fg_root, rel, mask_root, masks, canvas,
                                                largest_scale, stems))
        except SourceError as exc:
            scan.skipped.append(Skip(rel, exc.problem))
    return scan


def _foreground(fg_root: Path, rel: str, mask_root: Path | None, masks: dict[str, list[str]],
                canvas: int, largest_scale: float, stems: Counter) -> Foreground:
    if Path(rel).suffix.lower() not in IMAGE_SUFFIXES:
        raise SourceError(rel, f"is not an image file (foregrounds are {', '.join(IMAGE_SUFFIXES)})")
    size, has_alpha = _header(fg_root / rel)
    fitted = [round(side * largest_scale) for side in size]
    if max(fitted) > canvas:
        raise SourceError(rel, f"is {size[0]}x{size[1]}: at scale {largest_scale:g} it does not fit "
                               f"the {canvas}x{canvas} canvas (raise --size or lower --scales)")
    candidates = masks.get(_owner(rel)) or masks.get(Path(rel).stem, [])
    if candidates and _owner(rel) not in masks and stems[Path(rel).stem] > 1:
        raise SourceError(rel, f"shares its stem with another foreground, so the top-level mask "
                               f"{candidates[0]} could be either's; put each mask in its "
                               "foreground's sub-folder of --mask-root")
    if len(candidates) > 1:
        raise SourceError(rel, f"has several mask files ({', '.join(candidates)}); keep one")
    if not candidates and not has_alpha:
        mask_name = (Path(rel).parent / f"{MASK_PREFIX}{Path(rel).stem}.*").as_posix()
        raise SourceError(rel, f"has no alpha channel and no mask file ({mask_name} in --mask-root)")
    mask = candidates[0] if candidates else None
    if mask is not None:
        try:
            mask_size, _ = _header(mask_root / mask)
        except SourceError as exc:
            raise SourceError(rel, f"has an unusable mask file {mask}: it {exc.problem}") from None
        if mask_size != size:
            raise SourceError(rel, f"is {size[0]}x{size[1]} but its mask {mask} is "
                                   f"{mask_size[0]}x{mask_size[1]}")
    return Foreground(rel, size, mask)


def load_foreground(fg_root: Path, mask_root: Path | None, fg: Foreground) -> Layer:
    """Decode a foreground and its matte through the gate. The mask is the mask file
    binarised at MASK_THRESHOLD (see ``binary_mask``), else alpha > 0; without an alpha
    channel the mask is also the compositing weight (a hard cut-out). SourceError naming
    the file when cut-out and mask cannot make a visible sample (``check_cut_out``)."""
    bgr, alpha, note = gate.decode_rgba(gate.read_file(fg_root / fg.path), fg.path)
    notes = [note] if note else []
    if alpha is not None and not alpha.any():
        raise SourceError(fg.path, "is fully transparent (alpha 0 everywhere): there is no "
                                   "cut-out to paste", "give the foreground its alpha channel")
    if fg.mask is not None:
        matte = gate.decode_matte(gate.read_file(mask_root / fg.mask), fg.mask, fg.size, keep_lossy=True)
        notes += [matte.note] if matte.note else []
        mask, scaled = binary_mask(matte.array, fg.mask)
        notes += [scaled] if scaled else []
        if alpha is not None:
            check_cover(mask, alpha, fg.mask, fg.path)
    elif alpha is not None:
        mask = alpha > 0
    else:
        raise SourceError(fg.path, "has no alpha channel and no mask file")
    if alpha is None:
        alpha = mask.astype(np.uint8) * 255
    return Layer(bgr, alpha, mask, tuple(notes))


def binary_mask(array: np.ndarray, name: str | Path) -> tuple[np.ndarray, str | None]:
    """A mask file's pixels as a bool foreground (>= MASK_THRESHOLD), and a note when it was
    normalised: a mask holding only 0 and 1 (a 0/1 label map, which the threshold would
    read as empty) is scaled to 0/255 first. SourceError naming the file when no pixel is
    foreground: an empty mask would store an all-zero mask under a visible cut-out."""
    if array.max() == 1:
        return array > 0, f"mask file {name} holds only 0 and 1: scaled to 0/255"
    problem = empty_mask(array)
    if problem:
        raise SourceError(name, problem, MASK_FIX)
    return array >= MASK_THRESHOLD, None


MASK_FIX = "masks are 0/255 (foreground 255)"


def empty_mask(array: np.ndarray) -> str | None:
    """Why a decoded mask has no foreground pixel (None when it has one)."""
    highest = int(array.max())
    if highest >= MASK_THRESHOLD:
        return None
    return f"is an empty mask: no pixel reaches {MASK_THRESHOLD} (its highest value is {highest})"


MIN_COVER = 0.5
"""The share of a cut-out's visible pixels (alpha > 0) its mask file must cover."""


def check_cover(mask: np.ndarray, alpha: np.ndarray, mask_name: str, fg_name: str) -> None:
    """Refuse a mask file that misses most of its cut-out: it belongs to another
    foreground, or is shifted or inverted, and would label the pasted pixels wrongly."""
    visible = alpha > 0
    cover = np.count_nonzero(mask & visible) / np.count_nonzero(visible)
    if cover < MIN_COVER:
        raise SourceError(mask_name, f"covers {cover:.0%} of the visible pixels of its cut-out "
                                     f"{fg_name} (at least {MIN_COVER:.0%} needed): it does not "
                                     "match the cut-out", "check that the mask belongs to it")


def depth_files(depth_root: Path, backgrounds: list[Background]) -> tuple[dict[str, str], list[Skip]]:
    """The depth map (``<bg stem>.png`` below ``depth_root``, same sub-folder) of each
    background, and a counted skip for each background without one."""
    present = set(list_files(depth_root))
    found, skipped = {}, []
    for bg in backgrounds:
        rel = Path(bg.path).with_suffix(".png").as_posix()
        if rel in present:
            found[bg.path] = rel
        else:
            skipped.append(Skip(bg.path, f"has no depth map {rel} in --bg-depth-root "
                                         "(--depth exact needs one per background)"))
    return found, skipped

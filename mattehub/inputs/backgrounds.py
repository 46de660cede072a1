"""Background images: every image below a folder, sorted, with unreadable ones skipped."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, image_size, list_files, skip_lines

MIN_BACKGROUND_SIDE = 32


@dataclass(frozen=True)
class Background:
    """One usable background: path relative to the background root, and its size."""

    path: str
    size: tuple[int, int]


@dataclass
class BackgroundScan:
    backgrounds: list[Background] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


def scan_backgrounds(root: Path) -> BackgroundScan:
    """List and header-check the backgrounds below ``root``; other files are skipped and
    named (a stray ``.txt`` is reported, not silently ignored)."""
    scan = BackgroundScan()
    for rel in list_files(root):
        if Path(rel).suffix.lower() not in IMAGE_SUFFIXES:
            scan.skipped.append(Skip(rel, f"not an image file (backgrounds are "
                                          f"{', '.join(IMAGE_SUFFIXES)})"))
            continue
        try:
            width, height = image_size(root / rel, oriented=True)  # as decoded
        except SourceError as exc:
            scan.skipped.append(Skip(rel, str(exc)))
            continue
        if min(width, height) < MIN_BACKGROUND_SIDE:
            scan.skipped.append(Skip(rel, f"{width}x{height} is smaller than "
                                          f"{MIN_BACKGROUND_SIDE} px on a side"))
            continue
        scan.backgrounds.append(Background(rel, (width, height)))
    return scan


def require_backgrounds(root: Path, count: int, why: str = "") -> BackgroundScan:
    """``scan_backgrounds(root)``, refused with a SourceError (listing what was skipped) when
    it holds fewer than ``count`` usable backgrounds; ``why`` says why that many are needed."""
    scan = scan_backgrounds(root)
    if len(scan.backgrounds) < count:
        skipped = f"; {len(scan.skipped)} skipped:{skip_lines(scan.skipped)}" if scan.skipped else ""
        reason = f"{why}: " if why else ""
        raise SourceError(root, f"has {len(scan.backgrounds)} usable background images, fewer "
                                f"than --num-bgs {count} ({reason}lower --num-bgs or add "
                                f"backgrounds){skipped}")
    return scan


def read_background(root: Path, background: Background, bgr: bool = False) -> tuple[bytes, np.ndarray]:
    """The file's bytes and its decoded pixels (RGB, or BGR with ``bgr``); a SourceError
    naming the file when it fails the gate."""
    path = Path(root) / background.path
    data = gate.read_file(path)
    return data, gate.decode_rgb(data, path, bgr=bgr)

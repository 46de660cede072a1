"""Background images: every image below a folder, sorted, with unreadable ones skipped."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .listing import IMAGE_SUFFIXES, Skip, image_size, list_files

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

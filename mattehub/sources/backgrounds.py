"""Background images: every image below a folder, sorted, with unreadable ones skipped."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .listing import Skip, image_size, list_images

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
    """List and header-check the backgrounds below ``root``."""
    scan = BackgroundScan()
    for rel in list_images(root):
        try:
            width, height = image_size(root / rel)
        except SourceError as exc:
            scan.skipped.append(Skip(rel, str(exc)))
            continue
        if min(width, height) < MIN_BACKGROUND_SIDE:
            scan.skipped.append(Skip(rel, f"{width}x{height} is smaller than "
                                          f"{MIN_BACKGROUND_SIDE} px on a side"))
            continue
        scan.backgrounds.append(Background(rel, (width, height)))
    return scan

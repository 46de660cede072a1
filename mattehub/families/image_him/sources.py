"""HHM-style foreground sources: ``<root>/images/**.jpg`` paired with ``<root>/alphas/**.png``.

The pairing rule is the release's: the alpha lives at the image path with the ``images``
folder replaced by ``alphas`` and the extension by ``.png``. Pairs that cannot be used are
skipped with a reason (no alpha, unreadable header, size mismatch, listed as invalid), and
the skips are reported, never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mattehub.core.errors import SourceError
from mattehub.inputs.backgrounds import Background
from mattehub.inputs.listing import Skip, image_size, is_listed, list_images, read_name_list


@dataclass(frozen=True)
class Foreground:
    """One usable foreground: paths relative to the image root, and its size."""

    image: str
    alpha: str
    size: tuple[int, int]


@dataclass(frozen=True)
class ImageHimSources:
    """What an ``i-him`` build draws from: the usable foregrounds and backgrounds, sorted
    (paths relative to ``--image-root`` and ``--bg-root``)."""

    foregrounds: tuple[Foreground, ...]
    backgrounds: tuple[Background, ...]

    def listing(self) -> list:
        """The scanned files and sizes, as fingerprinted."""
        return [[f.image, f.alpha, list(f.size)] for f in self.foregrounds] + \
            [[b.path, list(b.size)] for b in self.backgrounds]


@dataclass
class ForegroundScan:
    """The usable foregrounds and the skipped ones."""

    foregrounds: list[Foreground] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    invalid_listed: int = 0


def alpha_path_for(image_rel: str) -> str:
    """``images/a/b.jpg`` -> ``alphas/a/b.png``."""
    parts = image_rel.split("/")
    parts[0] = "alphas"
    stem = parts[-1].rsplit(".", 1)[0]
    parts[-1] = stem + ".png"
    return "/".join(parts)


def image_root(path: Path) -> Path:
    """The folder holding ``images/`` and ``alphas/``. Accepts the upstream form too
    (``HHM/train/images``, as MaGGIe's command line and docs write it): its parent."""
    if not (path / "images").is_dir() and path.name == "images" and (path.parent / "alphas").is_dir():
        return path.parent
    if not (path / "images").is_dir():
        raise SourceError(path, "has no images/ folder",
                          "--image-root must be the folder holding images/ and alphas/ "
                          "(or its images/ folder itself)")
    return path


def scan_foregrounds(root: Path, invalid_names: Path | None = None) -> ForegroundScan:
    """Pair every image under ``root/images`` with its alpha and validate both headers."""
    root = image_root(root)
    invalid = read_name_list(invalid_names) if invalid_names else set()
    scan = ForegroundScan(invalid_listed=len(invalid))
    for image_rel in ("images/" + rel for rel in list_images(root / "images")):
        if is_listed(image_rel.rsplit("/", 1)[-1], invalid):
            scan.skipped.append(Skip(image_rel, "listed in the invalid-names file"))
            continue
        checked = _check_pair(root, image_rel)
        if isinstance(checked, Skip):
            scan.skipped.append(checked)
        else:
            scan.foregrounds.append(checked)
    return scan


def _check_pair(root: Path, image_rel: str) -> Foreground | Skip:
    alpha_rel = alpha_path_for(image_rel)
    if not (root / alpha_rel).is_file():
        return Skip(image_rel, f"no alpha matte at {alpha_rel}")
    try:
        size = image_size(root / image_rel)
        alpha_size = image_size(root / alpha_rel)
    except SourceError as exc:
        return Skip(image_rel, str(exc))
    if size != alpha_size:
        return Skip(image_rel, f"image is {size[0]}x{size[1]} but its alpha {alpha_rel} is "
                               f"{alpha_size[0]}x{alpha_size[1]}")
    return Foreground(image_rel, alpha_rel, size)

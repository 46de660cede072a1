"""A straightforward I-HIM synthesis, written the way the upstream script does it.

This is the baseline (b) of ``bench_i_him.py``: Pillow opens, converts, crops, resizes and
saves; numpy does the compositing in float32 over the whole canvas. It makes the release's
choices (docs/sources.md, 'I-HIM50K synthesis'): 2-4 distinct foregrounds, each cropped to the bounding box
of its matte, scaled to a height of U(0.5, 0.9) x the background height, placed at a
uniform position fully inside the canvas with up to 3 tries; placing an instance multiplies
every earlier alpha by (1 - alpha_new), and a try is refused when an earlier non-empty
instance would keep < 70 % of its alpha mass; a sample whose union matte is empty is
skipped. It writes the release's folder layout::

    out/images/<id>.jpg   out/bg/<id>.jpg   out/alphas/<id>/<k>.png   out/fg/<id>/<k>.jpg

JPEG at quality 95, PNG with Pillow's default settings. Only Pillow and numpy are used, so
the module can be read (and timed) independently of mattehub.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

JPEG_QUALITY = 95
MIN_INSTANCES, MAX_INSTANCES = 2, 4
MIN_HEIGHT, MAX_HEIGHT = 0.5, 0.9
PLACEMENT_TRIES = 3
MIN_VISIBLE = 0.7

RngFactory = Callable[[int], np.random.Generator]


@dataclass(frozen=True)
class ReferenceSources:
    """Sorted foreground (image, alpha) pairs and backgrounds."""

    foregrounds: list[tuple[Path, Path]]
    backgrounds: list[Path]


@dataclass
class Canvas:
    """The instances placed so far: canvas-sized float alphas, RGB layers and own masses."""

    width: int
    height: int
    alphas: list[np.ndarray] = field(default_factory=list)  # occluded, float32 in [0, 1]
    own_alphas: list[np.ndarray] = field(default_factory=list)  # unoccluded
    layers: list[np.ndarray] = field(default_factory=list)  # uint8 RGB, canvas-sized
    own_mass: list[float] = field(default_factory=list)


@dataclass
class ReferenceStats:
    """What a reference run wrote."""

    samples: int = 0
    skipped: int = 0
    instances: int = 0


def list_sources(image_root: Path, bg_root: Path, invalid_file: Path | None) -> ReferenceSources:
    """HHM pairs (``images/*.jpg`` with ``alphas/*.png``) minus invalid names, and backgrounds."""
    lines = invalid_file.read_text().splitlines() if invalid_file else []
    invalid = {line.strip() for line in lines if line.strip()}
    pairs = [(path, image_root / "alphas" / f"{path.stem}.png")
             for path in sorted((image_root / "images").glob("*.jpg")) if path.name not in invalid]
    backgrounds = sorted(p for p in bg_root.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    return ReferenceSources([pair for pair in pairs if pair[1].is_file()], backgrounds)


def load_instance(image_path: Path, alpha_path: Path) -> tuple[Image.Image, Image.Image] | None:
    """Open a foreground and its matte, cropped to the matte's bounding box (None if empty)."""
    rgb = Image.open(image_path).convert("RGB")
    alpha = Image.open(alpha_path).convert("L")
    box = alpha.getbbox()
    return None if box is None else (rgb.crop(box), alpha.crop(box))


def scale_instance(rgb: Image.Image, alpha: Image.Image,
                   height: int) -> tuple[Image.Image, Image.Image]:
    """Resize both to ``height`` keeping the aspect ratio (Pillow's default bicubic)."""
    width = max(1, round(rgb.width * height / rgb.height))
    return rgb.resize((width, height)), alpha.resize((width, height))


def occlude(canvas: Canvas, new_alpha: np.ndarray) -> list[np.ndarray] | None:
    """Earlier alphas multiplied by (1 - new), or None if one keeps < 70 % of its mass."""
    keep = 1.0 - new_alpha
    occluded = [alpha * keep for alpha in canvas.alphas]
    for alpha, mass in zip(occluded, canvas.own_mass):
        if mass > 0 and float(alpha.sum()) < MIN_VISIBLE * mass:
            return None
    return occluded


def place_instance(canvas: Canvas, rgb: Image.Image, alpha: Image.Image,
                   rng: np.random.Generator) -> bool:
    """Try up to 3 uniform positions; on success add the instance to ``canvas``."""
    width, height = rgb.size
    patch_alpha = np.asarray(alpha, np.float32) / 255.0
    for _ in range(PLACEMENT_TRIES):
        x = int(rng.integers(0, canvas.width - width + 1))
        y = int(rng.integers(0, canvas.height - height + 1))
        full = np.zeros((canvas.height, canvas.width), np.float32)
        full[y:y + height, x:x + width] = patch_alpha
        occluded = occlude(canvas, full)
        if occluded is None:
            continue
        layer = np.zeros((canvas.height, canvas.width, 3), np.uint8)
        layer[y:y + height, x:x + width] = np.asarray(rgb)
        canvas.alphas = occluded + [full]
        canvas.own_alphas.append(full)
        canvas.layers.append(layer)
        canvas.own_mass.append(float(full.sum()))
        return True
    return False


def add_foreground(canvas: Canvas, pair: tuple[Path, Path], rng: np.random.Generator) -> None:
    """Load, crop, scale and place one foreground (dropped if empty, too wide or hidden)."""
    loaded = load_instance(*pair)
    fraction = float(rng.uniform(MIN_HEIGHT, MAX_HEIGHT))
    if loaded is None:
        return
    rgb, alpha = scale_instance(*loaded, height=max(1, round(fraction * canvas.height)))
    if rgb.width <= canvas.width:
        place_instance(canvas, rgb, alpha, rng)


def composite(background: np.ndarray, canvas: Canvas) -> np.ndarray:
    """Blend the instances, back to front, over the whole background; uint8 RGB."""
    image = background.astype(np.float32)
    for layer, alpha in zip(canvas.layers, canvas.own_alphas):
        weight = alpha[:, :, None]
        image = layer * weight + image * (1.0 - weight)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def to_u8(alpha: np.ndarray) -> np.ndarray:
    """Float alpha in [0, 1] to an 8-bit matte."""
    return np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)


def save_sample(out: Path, sample_id: int, background: Image.Image, canvas: Canvas) -> None:
    """Write composite, background, per-instance mattes and foregrounds in the release layout."""
    image = composite(np.asarray(background), canvas)
    Image.fromarray(image).save(out / "images" / f"{sample_id}.jpg", quality=JPEG_QUALITY)
    background.save(out / "bg" / f"{sample_id}.jpg", quality=JPEG_QUALITY)
    alpha_dir, fg_dir = out / "alphas" / str(sample_id), out / "fg" / str(sample_id)
    alpha_dir.mkdir(parents=True, exist_ok=True)
    fg_dir.mkdir(parents=True, exist_ok=True)
    for k, (alpha, own, layer) in enumerate(zip(canvas.alphas, canvas.own_alphas, canvas.layers)):
        Image.fromarray(to_u8(alpha)).save(alpha_dir / f"{k}.png")
        fg = np.where(to_u8(own)[:, :, None] > 0, layer, 0).astype(np.uint8)
        Image.fromarray(fg).save(fg_dir / f"{k}.jpg", quality=JPEG_QUALITY)


def make_sample(out: Path, sample_id: int, sources: ReferenceSources,
                rng: np.random.Generator) -> int:
    """Synthesise and save one sample; returns its instance count (0 = skipped)."""
    count = int(rng.integers(MIN_INSTANCES, MAX_INSTANCES + 1))
    chosen = rng.choice(len(sources.foregrounds), size=min(count, len(sources.foregrounds)),
                        replace=False)
    bg_path = sources.backgrounds[int(rng.integers(len(sources.backgrounds)))]
    background = Image.open(bg_path).convert("RGB")
    canvas = Canvas(*background.size)
    for fg_index in chosen:
        add_foreground(canvas, sources.foregrounds[int(fg_index)], rng)
    if not canvas.alphas or not to_u8(sum(canvas.alphas)).any():
        return 0
    save_sample(out, sample_id, background, canvas)
    return len(canvas.alphas)


def run_reference(image_root: Path, bg_root: Path, invalid_file: Path | None, out: Path,
                  num_samples: int, seed: int = 0,
                  rng_for: RngFactory | None = None) -> ReferenceStats:
    """Write samples ``0 .. num_samples-1``; ``rng_for(index)`` defaults to a per-id seed."""
    rng_for = rng_for or (lambda index: np.random.default_rng([seed, index]))
    sources = list_sources(Path(image_root), Path(bg_root), invalid_file)
    for folder in ("images", "bg", "alphas", "fg"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    stats = ReferenceStats()
    for index in range(num_samples):
        placed = make_sample(out, index, sources, rng_for(index))
        stats.samples += placed > 0
        stats.skipped += placed == 0
        stats.instances += placed
    return stats

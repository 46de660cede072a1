"""A straightforward V-HIM clip synthesis, written the way an upstream script would do it.

This is the baseline (b) of ``bench_v_him.py``: Pillow opens every frame, crops it to the
instance's box and resizes it; numpy composites each frame in float32 over the whole canvas.
It makes the release's choices (docs/sources.md, 'V-HIM synthesis'), per clip id:

- level: easy / medium / hard by ``id % 3`` (mattehub's ``mix`` schedule) or a fixed one;
- 2-4 distinct foreground clips (at most 3 for easy); a background: a landscape still image
  with probability 0.5, else a background clip from a random start frame, holding its last
  frame when it runs out;
- T = min(30, shortest chosen clip); one crop box per instance, the union of its matte's
  bounding boxes over the clip; widths shared by aspect ratio (x U(1, 1.5) medium,
  x U(1, 2) hard), capped to fit; placed left to right, bottom-aligned, with horizontal
  jitter up to W/2 for medium and hard; crop, scale and position fixed for the clip;
- per frame, in order: each instance multiplies every earlier instance's alpha by
  (1 - its alpha). Occlusion of an instance = 1 - stored matte mass / own matte mass.
  Medium: redraw if any frame > 0.3 or the maximum < 0.05; hard: > 0.85 or < 0.5
  (a clip is abandoned at the first frame over the upper limit). Up to 10 attempts.

The random draws are made in the same order as mattehub's ``v-him`` recipe, so given the
same generator per (clip id, attempt) both pick the same sources, starts and layout. It
writes the release's folder layout::

    out/fgr/<vid>/<i:05d>.jpg          composite frames (JPEG quality 95)
    out/pha/<vid>/<i:05d>/<k:02d>.png  per-instance mattes (PNG, Pillow's defaults)

Sources: frame folders (``.../fgr/<clip>/`` with ``.../pha/<clip>/``, or RGBA frames with no
``pha/`` folder) and still images. Video files are not read (that needs a video decoder).
Only Pillow and numpy are used, so the module can be read (and timed) on its own.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mattehub.families.video_him.synth import clip_layout

JPEG_QUALITY = 95
MAX_FRAMES = 30
MAX_INSTANCES = 4
STILL_BACKGROUND = 0.5
MAX_ATTEMPTS = 10
LEVELS = ("easy", "medium", "hard")
OCCLUSION_RULES = {"medium": (0.3, 0.05), "hard": (0.85, 0.5)}  # (reject above, reject max below)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

RngFactory = Callable[[int, int], np.random.Generator]


@dataclass(frozen=True)
class Source:
    """A list line: sorted ``frames`` and their ``alphas`` (None: RGBA, or a background)."""

    path: str
    kind: str  # "frames" or "image"
    frames: list[Path]
    alphas: list[Path] | None
    size: tuple[int, int]


@dataclass
class ClipStats:
    """What a reference run did."""

    clips: int = 0
    skipped: int = 0
    attempts: int = 0
    frames: int = 0
    instances: int = 0
    rejected_seconds: float = 0.0  # time spent on attempts that were redrawn
    choices: dict[int, dict] = field(default_factory=dict)  # per written clip, for checking


def _frame_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _lines(path: Path) -> list[str]:
    return [line.strip().rstrip("/") for line in path.read_text("utf-8-sig").splitlines()
            if line.strip()]


def list_sources(root: Path, split: str = "train") -> tuple[list[Source], list[Source]]:
    """Foreground clips and backgrounds from ``fg_<split>.txt`` / ``bg_<split>.txt``."""
    foregrounds = []
    for line in _lines(root / f"fg_{split}.txt"):
        frames = _frame_files(root / line)
        pha = root / line.replace("/fgr/", "/pha/")
        alphas = _frame_files(pha) if "/fgr/" in line and pha.is_dir() else None
        with Image.open(frames[0]) as first:
            foregrounds.append(Source(line, "frames", frames, alphas, first.size))
    backgrounds = []
    for line in _lines(root / f"bg_{split}.txt"):
        path = root / line
        frames = [path] if path.suffix.lower() in IMAGE_SUFFIXES else _frame_files(path)
        with Image.open(frames[0]) as first:
            kind = "image" if path.suffix.lower() in IMAGE_SUFFIXES else "frames"
            backgrounds.append(Source(line, kind, frames, None, first.size))
    return foregrounds, backgrounds


def load_clip(source: Source, start: int, count: int) -> list[tuple[Image.Image, Image.Image]]:
    """(RGB, L) frames ``start .. start+count-1`` of a foreground clip."""
    pairs = []
    for t in range(start, start + count):
        if source.alphas is None:
            rgba = Image.open(source.frames[t]).convert("RGBA")
            pairs.append((rgba.convert("RGB"), rgba.getchannel("A")))
        else:
            pairs.append((Image.open(source.frames[t]).convert("RGB"),
                          Image.open(source.alphas[t]).convert("L")))
    return pairs


def load_background(source: Source, start: int, count: int) -> list[np.ndarray]:
    """RGB frames of a background (a still repeated; a clip holding its last frame)."""
    if source.kind == "image":
        return [np.asarray(Image.open(source.frames[0]).convert("RGB"))] * count
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in source.frames[start:start + count]]
    return frames + [frames[-1]] * (count - len(frames))


def union_box(alphas: list[Image.Image]) -> tuple[int, int, int, int] | None:
    """The union of the matte's bounding boxes over the clip (None if all empty)."""
    boxes = [b for b in (a.getbbox() for a in alphas) if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def to_u8(alpha: np.ndarray) -> np.ndarray:
    """Float alpha in [0, 1] to an 8-bit matte."""
    return np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)


def composite_frame(background: np.ndarray, instances, t: int):
    """One frame: (uint8 composite, 8-bit occluded mattes, occlusion per instance)."""
    height, width = background.shape[:2]
    image = background.astype(np.float32)
    alphas, own_mass = [], []
    for (clip, box, (x, y, w, h)) in instances:
        rgb, alpha = clip[t]
        rgb, alpha = rgb.crop(box).resize((w, h)), alpha.crop(box).resize((w, h))
        patch_alpha = np.asarray(alpha)
        full = np.zeros((height, width), np.float32)
        full[y:y + h, x:x + w] = patch_alpha / np.float32(255)
        layer = np.zeros((height, width, 3), np.uint8)
        layer[y:y + h, x:x + w] = np.asarray(rgb)
        keep = 1.0 - full
        for earlier in alphas:
            earlier *= keep
        alphas.append(full)
        own_mass.append(int(patch_alpha.sum(dtype=np.int64)))
        weight = full[:, :, None]
        image = layer * weight + image * (1.0 - weight)
    mattes = [to_u8(a) for a in alphas]
    occlusion = [1.0 - int(m.sum(dtype=np.int64)) / own if own else 0.0
                 for m, own in zip(mattes, own_mass)]
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), mattes, occlusion


def attempt_clip(foregrounds: list[Source], backgrounds: list[Source], level: str,
                 rng: np.random.Generator):
    """One attempt: (frames, mattes, choices) or None when the clip breaks the level's rule."""
    top = MAX_INSTANCES if level != "easy" else min(MAX_INSTANCES, 3)
    count = min(int(rng.integers(2, top + 1)), len(foregrounds))
    chosen = [foregrounds[i] for i in rng.choice(len(foregrounds), size=count, replace=False)]
    stills = [b for b in backgrounds if b.kind == "image" and b.size[0] > b.size[1]]
    clips = [b for b in backgrounds if b.kind != "image"]
    pool = stills if (rng.random() < STILL_BACKGROUND and stills) or not clips else clips
    bg = pool[int(rng.integers(len(pool)))]
    length = min(MAX_FRAMES, *(len(fg.frames) for fg in chosen))
    starts = [int(rng.integers(0, len(fg.frames) - length + 1)) for fg in chosen]
    bg_start = int(rng.integers(0, len(bg.frames))) if bg.kind != "image" else 0
    loaded = [load_clip(fg, s, length) for fg, s in zip(chosen, starts)]
    boxes = [union_box([alpha for _, alpha in clip]) for clip in loaded]
    if any(box is None for box in boxes):
        return None
    background = load_background(bg, bg_start, length)
    height, width = background[0].shape[:2]
    _, placed = clip_layout(boxes, width, height, level, rng)  # the pure-Python layout math is shared
    worst_allowed, least_max = OCCLUSION_RULES.get(level, (None, None))
    frames, mattes, worst = [], [], 0.0
    for t in range(length):
        frame, frame_mattes, occlusion = composite_frame(
            background[t], list(zip(loaded, boxes, placed)), t)
        worst = max(worst, *occlusion)
        if worst_allowed is not None and worst > worst_allowed:
            return None
        frames.append(frame)
        mattes.append(frame_mattes)
    if least_max is not None and worst < least_max:
        return None
    choices = {"level": level, "sources": [fg.path for fg in chosen], "start_frames": starts,
               "background": bg.path, "background_start": bg_start,
               "crop_boxes": [list(b) for b in boxes], "boxes": placed}
    return frames, mattes, choices


def save_clip(out: Path, vid: str, frames: list[np.ndarray],
              mattes: list[list[np.ndarray]]) -> None:
    """Write the clip in the release layout."""
    fgr = out / "fgr" / vid
    fgr.mkdir(parents=True, exist_ok=True)
    for i, (frame, frame_mattes) in enumerate(zip(frames, mattes)):
        Image.fromarray(frame).save(fgr / f"{i:05d}.jpg", quality=JPEG_QUALITY)
        pha = out / "pha" / vid / f"{i:05d}"
        pha.mkdir(parents=True, exist_ok=True)
        for k, matte in enumerate(frame_mattes):
            Image.fromarray(matte).save(pha / f"{k:02d}.png")


def run_reference(root: Path, out: Path, num_clips: int, level: str = "mix", seed: int = 0,
                  rng_for: RngFactory | None = None, split: str = "train") -> ClipStats:
    """Write clips ``0 .. num_clips-1``; ``rng_for(index, attempt)`` defaults to a per-id seed."""
    rng_for = rng_for or (lambda index, attempt: np.random.default_rng([seed, index, attempt]))
    foregrounds, backgrounds = list_sources(Path(root), split)
    stats = ClipStats()
    for index in range(num_clips):
        clip_level = LEVELS[index % 3] if level == "mix" else level
        for attempt in range(MAX_ATTEMPTS):
            stats.attempts += 1
            began = time.perf_counter()
            made = attempt_clip(foregrounds, backgrounds, clip_level, rng_for(index, attempt))
            if made is None:
                stats.rejected_seconds += time.perf_counter() - began
                continue
            frames, mattes, choices = made
            save_clip(out, f"{index:05d}", frames, mattes)
            stats.clips += 1
            stats.frames += len(frames)
            stats.instances += len(mattes[0])
            stats.choices[index] = dict(choices, attempt=attempt)
            break
        else:
            stats.skipped += 1
    return stats

"""Stand-in sources that several families' demos and tests build on, made on the spot.

Every family folder has its own ``standin.py``; what more than one family draws from lives
here, directly under ``families/`` and in no family's folder, so families never import
each other: the HHM-style people and scenes (``i-him``'s sources, which ``v-him``,
``surreal-alpha`` and the release stand-in reuse) and ``write_mp4`` (``v-him`` and
``surreal-alpha`` clips).

The real HHM release is large and gated, but a demo of image human-instance-matting
synthesis only needs a handful of foregrounds with soft, hair-like alpha mattes and a
folder of backgrounds to composite them onto.  ``make_hhm_sources`` draws such data
from a seed, in the same folder layout the real sources use, so the demo pipeline
runs end to end offline and always produces byte-identical files:

    root/hhm/images/person_NNN.jpg   RGB photo of a person in a cluttered scene
    root/hhm/alphas/person_NNN.png   8-bit grayscale alpha matte, same size
    root/bg/scene_NNN.jpg            landscape background photos
    root/invalid_him.txt             names of images to skip (CRLF, like the real file)
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from mattehub.inputs.backgrounds import MIN_BACKGROUND_SIDE

# Independent random streams, so adding backgrounds never changes the foregrounds.
_FOREGROUND_STREAM = 0
_BACKGROUND_STREAM = 1

_SKIN_TONES = ((241, 194, 160), (224, 172, 130), (198, 134, 94), (141, 85, 54), (92, 56, 38))
_HAIR_TONES = ((35, 25, 20), (80, 50, 30), (150, 105, 60), (205, 170, 110), (120, 40, 25))

_STRAND_SEGMENTS = 6
_STRANDS_PER_ARC_PIXEL = 1.6


@dataclass(frozen=True)
class HhmDemoSources:
    """Where ``make_hhm_sources`` wrote its files, in the roles the HHM recipe expects."""

    image_root: Path  # folder holding images/ and alphas/
    bg_root: Path  # folder of background JPEGs
    invalid_names: Path  # invalid_him.txt
    foreground_names: list[str]  # sorted image file names written (e.g. "person_003.jpg")


@dataclass(frozen=True)
class _Figure:
    """Pixel geometry of one person-like silhouette (x right, y down)."""

    head_center: tuple[int, int]
    head_axes: tuple[int, int]  # face ellipse semi-axes
    hair_center: tuple[int, int]
    hair_axes: tuple[int, int]  # hair cap ellipse, slightly larger than the face
    neck: tuple[int, int, int, int]  # x0, y0, x1, y1
    torso_center: tuple[int, int]
    torso_axes: tuple[int, int]  # tall ellipse, clipped by the bottom edge
    arms: tuple[tuple[tuple[int, int], tuple[int, int]], ...]  # (shoulder, hand) pairs
    arm_thickness: int
    strand_length: float  # longest hair strand, in pixels


def make_hhm_sources(
    root: Path,
    num_foregrounds: int = 12,
    num_backgrounds: int = 6,
    seed: int = 0,
    fg_size: tuple[int, int] = (256, 320),
    bg_size: tuple[int, int] = (480, 360),
) -> HhmDemoSources:
    """Write synthetic HHM-style foregrounds, backgrounds and an invalid list under ``root``.

    Sizes are ``(width, height)``.  The same arguments always give byte-identical files;
    existing files with the same names are overwritten.  The last foreground is listed in
    ``invalid_him.txt`` so the demo exercises the skip path of the real dataset.
    """
    _check_arguments(num_foregrounds, num_backgrounds, seed, fg_size, bg_size)
    root = Path(root)
    image_dir, alpha_dir, bg_dir = (root / "hhm" / "images", root / "hhm" / "alphas", root / "bg")
    for folder in (image_dir, alpha_dir, bg_dir):
        folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(num_foregrounds):
        rgb, alpha = _render_foreground(_rng(seed, _FOREGROUND_STREAM, index), fg_size)
        stem = f"person_{index:03d}"
        _write_jpeg(image_dir / f"{stem}.jpg", rgb, quality=95)
        _write_png(alpha_dir / f"{stem}.png", alpha)
        names.append(f"{stem}.jpg")
    for index in range(num_backgrounds):
        scene = _render_scene(_rng(seed, _BACKGROUND_STREAM, index), bg_size)
        _write_jpeg(bg_dir / f"scene_{index:03d}.jpg", scene, quality=90)
    invalid = root / "invalid_him.txt"
    invalid.write_bytes(f"{names[-1]}\r\n\r\n".encode("ascii"))
    return HhmDemoSources(root / "hhm", bg_dir, invalid, sorted(names))


def _check_arguments(
    num_foregrounds: int,
    num_backgrounds: int,
    seed: int,
    fg_size: tuple[int, int],
    bg_size: tuple[int, int],
) -> None:
    """Reject arguments that would give an empty or unusable demo before writing anything."""
    if num_foregrounds < 1 or num_backgrounds < 1:
        raise ValueError("need at least one foreground and one background")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if min(fg_size) < 64 or min(bg_size) < MIN_BACKGROUND_SIDE:
        raise ValueError(f"sizes too small for a readable demo: fg {fg_size}, bg {bg_size}")


def _rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """One generator per file, derived only from the arguments (no global or time state)."""
    return np.random.default_rng([seed, stream, index])


def _write_jpeg(path: Path, rgb: np.ndarray, quality: int) -> None:
    """Encode an RGB uint8 image as a baseline JPEG with fixed parameters."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 0]
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise RuntimeError(f"could not encode {path}")
    path.write_bytes(data.tobytes())


def _write_png(path: Path, gray: np.ndarray) -> None:
    """Encode a 2-D uint8 array as an 8-bit single-channel PNG."""
    ok, data = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError(f"could not encode {path}")
    path.write_bytes(data.tobytes())


# --- foregrounds -------------------------------------------------------------------------


def _render_foreground(
    rng: np.random.Generator, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (RGB photo, alpha matte) of one person standing in front of clutter."""
    width, height = size
    figure = _sample_figure(rng, width, height)
    skin, clothes, hair = _body_masks(figure, width, height)
    alpha = _soft_alpha(rng, figure, skin | clothes | hair)
    person = _person_colours(rng, skin, clothes)
    backdrop = _render_scene(rng, size).astype(np.float32)
    weight = alpha[..., None].astype(np.float32) / 255.0
    photo = weight * person + (1.0 - weight) * backdrop
    return np.clip(np.rint(photo), 0, 255).astype(np.uint8), alpha


def _sample_figure(rng: np.random.Generator, width: int, height: int) -> _Figure:
    """Draw head size, pose and jitter so every foreground has different proportions."""
    scale = min(width, height)
    ry = scale * rng.uniform(0.14, 0.18)
    rx = ry * rng.uniform(0.74, 0.86)
    strand_length = scale * rng.uniform(0.06, 0.09)
    hair_axes = (rx * rng.uniform(1.08, 1.16), ry * rng.uniform(1.04, 1.1))
    cx = width * (0.5 + rng.uniform(-0.05, 0.05))
    hair_top = scale * rng.uniform(0.05, 0.09) + strand_length
    hair_cy = hair_top + hair_axes[1]
    cy = hair_cy + ry * rng.uniform(0.12, 0.2)
    shoulder_y = cy + ry + scale * rng.uniform(0.04, 0.08)
    half_width = width * rng.uniform(0.28, 0.36)
    torso_half_height = (height - shoulder_y) * rng.uniform(1.2, 1.6)
    neck_bottom = shoulder_y + 0.2 * ry
    arm_thickness = max(3, round(half_width * rng.uniform(0.22, 0.3)))
    torso = (cx, shoulder_y + torso_half_height, half_width, torso_half_height)
    arms = _sample_arms(rng, width, height, torso, arm_thickness)
    return _Figure(
        head_center=(round(cx), round(cy)),
        head_axes=(round(rx), round(ry)),
        hair_center=(round(cx), round(hair_cy)),
        hair_axes=(round(hair_axes[0]), round(hair_axes[1])),
        neck=(round(cx - 0.45 * rx), round(cy), round(cx + 0.45 * rx), round(neck_bottom)),
        torso_center=(round(cx), round(shoulder_y + torso_half_height)),
        torso_axes=(round(half_width), round(torso_half_height)),
        arms=arms,
        arm_thickness=arm_thickness,
        strand_length=strand_length,
    )


def _sample_arms(
    rng: np.random.Generator,
    width: int,
    height: int,
    torso: tuple[float, float, float, float],
    thickness: int,
) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Maybe give the figure two arms hanging beside the torso, kept inside the frame.

    ``torso`` is the ellipse (centre x, centre y, half width, half height); each arm is
    rooted just inside its outline so arm and body form one connected silhouette.
    """
    if rng.random() < 0.4:
        return ()
    cx, cy, half_width, half_height = torso
    top = cy - half_height
    root_y = top + (height - top) * rng.uniform(0.12, 0.2)
    root_dx = half_width * np.sqrt(1.0 - ((cy - root_y) / half_height) ** 2) - 0.4 * thickness
    margin = 0.04 * width + 0.6 * thickness + 2  # hand radius plus anti-aliasing and blur
    arms = []
    for side in (-1.0, 1.0):
        hand_x = np.clip(cx + side * half_width * rng.uniform(0.95, 1.15), margin, width - margin)
        hand_y = top + (height - top) * rng.uniform(0.5, 0.8)
        arms.append(((round(cx + side * root_dx), round(root_y)), (round(hand_x), round(hand_y))))
    return tuple(arms)


def _body_masks(
    figure: _Figure, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rasterise the hard (skin, clothes, hair) regions as boolean masks of shape (H, W)."""
    skin, clothes, hair = (np.zeros((height, width), np.uint8) for _ in range(3))
    cv2.ellipse(hair, figure.hair_center, figure.hair_axes, 0, 0, 360, 1, -1, cv2.LINE_8)
    cv2.ellipse(clothes, figure.torso_center, figure.torso_axes, 0, 0, 360, 1, -1, cv2.LINE_8)
    for shoulder, hand in figure.arms:
        cv2.line(clothes, shoulder, hand, 1, figure.arm_thickness, cv2.LINE_8)
        cv2.circle(skin, hand, max(2, round(0.6 * figure.arm_thickness)), 1, -1, cv2.LINE_8)
    x0, y0, x1, y1 = figure.neck
    cv2.rectangle(skin, (x0, y0), (x1, y1), 1, -1, cv2.LINE_8)
    cv2.ellipse(skin, figure.head_center, figure.head_axes, 0, 0, 360, 1, -1, cv2.LINE_8)
    skin_mask = skin.astype(bool)
    clothes_mask = clothes.astype(bool) & ~skin_mask
    return skin_mask, clothes_mask, hair.astype(bool) & ~skin_mask & ~clothes_mask


def _soft_alpha(rng: np.random.Generator, figure: _Figure, body: np.ndarray) -> np.ndarray:
    """Combine the hard body (255) with translucent hair strands, then soften all edges."""
    strands = _hair_strand_layer(rng, figure, body.shape)
    alpha = np.maximum(body.astype(np.float32) * 255.0, strands.astype(np.float32))
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0.6)
    return np.clip(np.rint(alpha), 0, 255).astype(np.uint8)


def _hair_strand_layer(
    rng: np.random.Generator, figure: _Figure, shape: tuple[int, int]
) -> np.ndarray:
    """Draw many short, curved, partly transparent 1-2 px strands out of the hair cap."""
    layer = np.zeros(shape, np.uint8)
    for points, opacity, thickness in zip(*_sample_strands(rng, figure)):
        cv2.polylines(layer, [points], False, int(opacity), int(thickness), cv2.LINE_AA)
    return layer


def _sample_strands(
    rng: np.random.Generator, figure: _Figure
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return strand polylines (N, K+1, 2) int32, opacities (N,) and thicknesses (N,).

    Strands start just inside the hair ellipse on its top and sides, leave roughly along
    the outward normal and curl by a random walk of the heading.
    """
    (cx, cy), (ax, ay) = figure.hair_center, figure.hair_axes
    arc_length = 0.6 * np.pi * (ax + ay)
    count = int(_STRANDS_PER_ARC_PIXEL * arc_length)
    angle = rng.uniform(-np.pi - 0.35, 0.35, count)
    start = np.stack([cx + 0.96 * ax * np.cos(angle), cy + 0.96 * ay * np.sin(angle)], axis=-1)
    normal = np.arctan2(np.sin(angle) / ay, np.cos(angle) / ax)
    heading = normal[:, None] + rng.normal(0.0, 0.45, (count, 1))
    heading = heading + np.cumsum(rng.normal(0.0, 0.3, (count, _STRAND_SEGMENTS)), axis=1)
    step = figure.strand_length * rng.uniform(0.35, 1.0, (count, 1)) / _STRAND_SEGMENTS
    unit = np.stack([np.cos(heading), np.sin(heading)], axis=-1)
    offsets = np.cumsum(unit * step[..., None], axis=1)
    points = np.concatenate([start[:, None], start[:, None] + offsets], axis=1)
    opacity = rng.uniform(70, 220, count)
    thickness = np.where(rng.random(count) < 0.8, 1, 2)
    return np.rint(points).astype(np.int32), opacity, thickness


def _person_colours(rng: np.random.Generator, skin: np.ndarray, clothes: np.ndarray) -> np.ndarray:
    """Colour the person: hair tone by default (so strands are hair), skin and textured clothes."""
    height, width = skin.shape
    colours = np.empty((height, width, 3), np.float32)
    colours[:] = _HAIR_TONES[rng.integers(len(_HAIR_TONES))]
    colours[clothes] = _random_saturated_colour(rng)
    colours[skin] = _SKIN_TONES[rng.integers(len(_SKIN_TONES))]
    stripes = 1.0 + 0.12 * np.sin(np.arange(height) * rng.uniform(0.2, 0.6))[:, None]
    colours[clothes] *= np.broadcast_to(stripes, (height, width))[clothes][:, None]
    return _add_texture(rng, colours, shading=0.25, grain=6.0)


def _random_saturated_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """A vivid RGB colour (0-255), e.g. for clothes or scene objects."""
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.45, 0.9), rng.uniform(0.45, 0.95))
    return (255.0 * r, 255.0 * g, 255.0 * b)


def _add_texture(
    rng: np.random.Generator, image: np.ndarray, shading: float, grain: float
) -> np.ndarray:
    """Multiply by smooth low-frequency shading and add per-pixel grain, like a real photo."""
    height, width = image.shape[:2]
    coarse = rng.random((5, 5)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    shaded = image * (1.0 - shading / 2 + shading * smooth)[..., None]
    return shaded + grain * rng.standard_normal(image.shape, dtype=np.float32)


# --- backgrounds -------------------------------------------------------------------------


def _render_scene(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A cluttered RGB scene: a colour gradient, random shapes, shading and grain."""
    width, height = size
    canvas = np.ascontiguousarray(_gradient(rng, width, height).astype(np.uint8))
    for _ in range(int(rng.integers(8, 16))):
        _draw_random_shape(rng, canvas)
    canvas = cv2.GaussianBlur(canvas, (3, 3), 0.8)
    textured = _add_texture(rng, canvas.astype(np.float32), shading=0.3, grain=5.0)
    return np.clip(np.rint(textured), 0, 255).astype(np.uint8)


def _gradient(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A linear blend between two random colours along a random direction, (H, W, 3) float."""
    direction = rng.uniform(0.0, 2.0 * np.pi)
    xs = np.arange(width, dtype=np.float32)[None, :]
    ys = np.arange(height, dtype=np.float32)[:, None]
    ramp = xs * np.float32(np.cos(direction)) + ys * np.float32(np.sin(direction))
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    start, end = (np.asarray(_random_saturated_colour(rng), np.float32) for _ in range(2))
    return start + ramp[..., None] * (end - start)


def _draw_random_shape(rng: np.random.Generator, canvas: np.ndarray) -> None:
    """Draw one filled rectangle, circle, ellipse or thick line at a random place."""
    height, width = canvas.shape[:2]
    colour = _random_saturated_colour(rng)
    p0 = (int(rng.integers(width)), int(rng.integers(height)))
    p1 = (int(rng.integers(width)), int(rng.integers(height)))
    extent = int(rng.integers(max(4, min(width, height) // 16), max(5, min(width, height) // 4)))
    kind = int(rng.integers(4))
    if kind == 0:
        cv2.rectangle(canvas, p0, p1, colour, -1, cv2.LINE_AA)
    elif kind == 1:
        cv2.circle(canvas, p0, extent, colour, -1, cv2.LINE_AA)
    elif kind == 2:
        axes = (extent, max(2, extent // 2))
        cv2.ellipse(canvas, p0, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    else:
        cv2.line(canvas, p0, p1, colour, max(2, extent // 4), cv2.LINE_AA)


# --- videos ------------------------------------------------------------------------------


def write_mp4(path: Path, frames: list[np.ndarray], gray: bool = False, rate: int = 25) -> None:
    """H.264 mp4 with PyAV: RGB frames at CRF 18, gray (alpha) frames losslessly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "gray" if gray else "yuv420p"
        stream.options = {"crf": "0" if gray else "18"}
        for frame in frames:
            image = av.VideoFrame.from_ndarray(frame, format="gray" if gray else "rgb24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())

"""Contact sheets of the first samples of a split: one row per sample, labelled columns.

People judge a matting dataset by looking at it; the card links one sheet per split.
Which fields get a column, under which label, in which order and how each is drawn is
declared by the sample contract (``mattehub.contract.schema.TILES``), so this module knows
no field names. Image samples give e.g. ``image | alpha | instances | masks`` (and ``depth``
and ``segmentation`` where a config has them); clips give the same for their first and last
frames (``frame 0 | instances 0 | masks 0 | frame T-1 | ...``). ``instances`` tints each
instance matte in its own colour; ``masks`` (only in configs that carry guidance masks,
e.g. ``m-him2k``, ``v-him60``) uses the same colour per instance, so a mask and its matte
are easy to pair. A header row names the columns.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mattehub.contract.sample import EncodedSample
from mattehub.contract.schema import DEPTH, GREY, INSTANCES, LABELS, PICTURE, TILES

THUMB_HEIGHT = 180
BORDER = 2
HEADER_HEIGHT = 26
LABEL_MARGIN = 6
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.55
WHITE = 255
PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230]], np.float32)

Tile = tuple[str, np.ndarray]
"""A column label and its thumbnail (BGR, THUMB_HEIGHT rows)."""


def _decode(data: bytes, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Decode PNG/JPEG bytes to BGR (grey images are expanded to three channels)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    return image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def _thumb(image: np.ndarray) -> np.ndarray:
    """Resize to THUMB_HEIGHT rows, keeping the aspect ratio."""
    width = max(1, round(image.shape[1] * THUMB_HEIGHT / image.shape[0]))
    return cv2.resize(image, (width, THUMB_HEIGHT), interpolation=cv2.INTER_AREA)


def _tinted(mattes: list[bytes], shape: tuple[int, ...]) -> np.ndarray:
    """Instance mattes (or masks) over black, instance k in colour k; ``shape`` is the
    thumbnail shape, used as is when the list is empty (a sample without masks)."""
    canvas = np.zeros(shape, np.float32)
    for number, data in enumerate(mattes):
        alpha = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        alpha = cv2.resize(alpha, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
        canvas += alpha[:, :, None].astype(np.float32) / 255.0 * PALETTE[number % len(PALETTE)][::-1]
    return np.clip(canvas, 0, 255).astype(np.uint8)


def sample_tiles(sample: EncodedSample) -> list[Tile]:
    """The labelled columns of one sample's row, drawn as the contract's ``TILES`` say
    (clips: the first and the last frame, each with its per-frame fields)."""
    fields = sample.fields
    shown = [name for name, rule in TILES.items()
             if name in fields and (rule.hidden_by is None or rule.hidden_by not in fields)]
    picture = fields[shown[0]]
    if isinstance(picture, list):  # a clip: every shown field holds one value per frame
        return [tile for t, suffix in ((0, " 0"), (len(picture) - 1, " T-1"))
                for tile in _tiles({name: fields[name][t] for name in shown}, suffix)]
    return _tiles({name: fields[name] for name in shown}, "")


def _tiles(values: dict[str, Any], suffix: str) -> list[Tile]:
    """One tile per field, the first being the picture whose thumbnail size the instance
    tints take."""
    tiles: list[Tile] = []
    for name, value in values.items():
        rule = TILES[name]
        shape = tiles[0][1].shape if tiles else None
        label, thumb = _DRAW[rule.draw](rule.label, value, shape)
        tiles.append((label + suffix, thumb))
    return tiles


def _depth_tile(label: str, data: bytes, shape: tuple[int, ...] | None = None) -> Tile:
    """16-bit depth (millimetres, 0 = none) in colour, near = bright; 8-bit relative depth
    (bright = far, 0 is a valid value) as the grey it is."""
    if _small(data).dtype == np.uint16:
        return label, _thumb(_depth_colours(data))
    return f"{label} (bright = far)", _thumb(_decode(data, cv2.IMREAD_GRAYSCALE))


def _small(data: bytes) -> np.ndarray:
    """A label-like PNG (depth, part labels) decoded and shrunk to thumbnail height by
    nearest neighbour: colouring a thumbnail costs a fraction of colouring the canvas, and
    nearest neighbour keeps every value one of the source's."""
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    width = max(1, round(array.shape[1] * THUMB_HEIGHT / array.shape[0]))
    return cv2.resize(array, (width, THUMB_HEIGHT), interpolation=cv2.INTER_NEAREST)


def _depth_colours(data: bytes) -> np.ndarray:
    """A 16-bit depth map as a colour map over its valid (non-zero) range, black where 0."""
    depth = _small(data).astype(np.float32)
    valid = depth > 0
    if not valid.any():
        return np.zeros(depth.shape + (3,), np.uint8)
    low, high = float(depth[valid].min()), float(depth[valid].max())
    scaled = np.clip((depth - low) / max(high - low, 1.0) * 255, 0, 255).astype(np.uint8)
    coloured = cv2.applyColorMap(255 - scaled, cv2.COLORMAP_VIRIDIS)  # near = bright
    coloured[~valid] = 0
    return coloured


def _label_colours(data: bytes) -> np.ndarray:
    """A label map with label k in palette colour k, black for 0 (background)."""
    labels = _small(data)
    colours = np.vstack([np.zeros((1, 3)), PALETTE[:, ::-1]]).astype(np.uint8)
    index = np.where(labels > 0, (labels.astype(np.int64) - 1) % len(PALETTE) + 1, 0)
    return colours[index]


_DRAW: dict[str, Callable[[str, Any, tuple[int, ...] | None], Tile]] = {
    PICTURE: lambda label, data, shape: (label, _thumb(_decode(data))),
    GREY: lambda label, data, shape: (label, _thumb(_decode(data, cv2.IMREAD_GRAYSCALE))),
    INSTANCES: lambda label, mattes, shape: (label, _tinted(mattes, shape)),
    DEPTH: _depth_tile,
    LABELS: lambda label, data, shape: (label, _thumb(_label_colours(data))),
}
"""How each kind of tile (``mattehub.contract.schema``: PICTURE, GREY...) is drawn: (label,
value, the picture's thumbnail shape) -> tile."""


def _label_width(label: str) -> int:
    """Pixels a column needs so that its label fits."""
    (width, _), _ = cv2.getTextSize(label, FONT, FONT_SCALE, 1)
    return width + 2 * LABEL_MARGIN


def _cell(tile: np.ndarray, width: int) -> np.ndarray:
    """A tile padded on the right to ``width`` and framed by a white border."""
    padded = np.pad(tile, ((0, 0), (0, width - tile.shape[1]), (0, 0)), constant_values=WHITE)
    return np.pad(padded, ((BORDER, BORDER), (BORDER, BORDER), (0, 0)), constant_values=WHITE)


def _header(labels: list[str], widths: list[int]) -> np.ndarray:
    """A white strip with each label written above its column."""
    header = np.full((HEADER_HEIGHT, sum(w + 2 * BORDER for w in widths), 3), WHITE, np.uint8)
    x = 0
    for label, width in zip(labels, widths):
        cv2.putText(header, label, (x + BORDER + LABEL_MARGIN, HEADER_HEIGHT - 8), FONT,
                    FONT_SCALE, (0, 0, 0), 1, cv2.LINE_AA)
        x += width + 2 * BORDER
    return header


def contact_sheet(samples: list[EncodedSample]) -> tuple[np.ndarray, list[str]]:
    """The sheet (BGR) and its column labels. Every sample of a config has the same fields,
    so every row has the same columns; each column is as wide as its widest tile."""
    if not samples:
        raise ValueError("a contact sheet needs at least one sample")
    rows = [sample_tiles(sample) for sample in samples]
    labels = [label for label, _ in rows[0]]
    if any([label for label, _ in row] != labels for row in rows):
        raise ValueError("preview samples do not share one field set")
    widths = [max([_label_width(label)] + [row[i][1].shape[1] for row in rows])
              for i, label in enumerate(labels)]
    body = [np.hstack([_cell(tile, width) for (_, tile), width in zip(row, widths)])
            for row in rows]
    return np.vstack([_header(labels, widths)] + body), labels


def write_preview(path: Path, samples: list[EncodedSample]) -> list[str]:
    """Write the contact sheet of ``samples`` as a PNG at ``path``; returns its column labels."""
    sheet, labels = contact_sheet(samples)
    ok, buf = cv2.imencode(".png", sheet)
    if not ok:
        raise ValueError(f"could not encode the preview sheet {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.tobytes())
    return labels

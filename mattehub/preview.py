"""A contact sheet of the first samples: composite, union matte, instances in colour.

People judge a matting dataset by looking at it; the sheet is linked from the card.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .sample import EncodedSample

THUMB_HEIGHT = 180
PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230]], np.float32)


def _decode(data: bytes, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    return image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def _thumb(image: np.ndarray) -> np.ndarray:
    width = max(1, round(image.shape[1] * THUMB_HEIGHT / image.shape[0]))
    return cv2.resize(image, (width, THUMB_HEIGHT), interpolation=cv2.INTER_AREA)


def _instances(mattes: list[bytes]) -> np.ndarray:
    """Each instance matte (thumbnail) tinted with its own colour (BGR), over black."""
    canvas = None
    for number, data in enumerate(mattes):
        alpha = _thumb(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE))
        tinted = alpha[:, :, None].astype(np.float32) / 255.0 * PALETTE[number % len(PALETTE)][::-1]
        canvas = tinted if canvas is None else canvas + tinted
    return np.clip(canvas, 0, 255).astype(np.uint8)


def sample_row(sample: EncodedSample) -> np.ndarray:
    """One row of the sheet: composite | alpha | instances (clips: first and last frame)."""
    fields = sample.fields
    if "frames" in fields:  # a clip: its first and last frames, with their mattes
        row = []
        for t in (0, len(fields["frames"]) - 1):
            row += [_thumb(_decode(fields["frames"][t])), _instances(fields["instance_alphas"][t])]
        return np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row])
    row = [_thumb(_decode(fields["image"]))]
    if "alpha" in fields:
        row.append(_thumb(_decode(fields["alpha"], cv2.IMREAD_GRAYSCALE)))
    if fields.get("instance_alphas"):
        row.append(_instances(fields["instance_alphas"]))
    return np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row])


def write_preview(path: Path, samples: list[EncodedSample]) -> None:
    """Stack one row per sample into a PNG at ``path``."""
    rows = [sample_row(sample) for sample in samples]
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255)
            for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(".png", np.vstack(rows))
    path.write_bytes(buf.tobytes())

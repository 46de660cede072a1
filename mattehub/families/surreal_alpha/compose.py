"""The pixel work of one ``surreal-alpha`` sample: labels to alpha, depth to millimetres,
frame and background onto the canvas, composite."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.core.errors import SourceError
from mattehub.families.surreal_alpha.sources import SUFFIXES, ClipArrays, SurrealClip
from mattehub.inputs.backgrounds import Background
from mattehub.synthesis.canvas import (Geometry, geometry, pad_frame, paste_frame, place_background,
                                scale_frame)
from mattehub.families.surreal_alpha.meta import frame_values

MAX_DEPTH_METRES = 1e3
"""SURREAL marks background with 1e10; anything beyond this is invalid (stored as 0)."""
MAX_DEPTH_MM = np.iinfo(np.uint16).max


LAYERS = ("alpha", "fg", "depth", "segmentation")
"""Fields that depend on the frame and the canvas geometry only, not on the background's
pixels: identical for the samples of one frame whose backgrounds have one size."""


@dataclass
class Composite:
    bg: np.ndarray
    """The background on the canvas; ``make_image`` turns it into the composite in place."""
    bg_bytes: bytes | None
    """The background file itself when it can be stored unchanged, else None."""
    layers: dict[str, np.ndarray]
    """LAYERS at the frame box's size; ``canvas_layer`` places one on the canvas."""
    layer_key: tuple
    """(clip number, frame, frame box, canvas): equal keys mean equal LAYERS."""
    geo: Geometry
    meta: dict

    def canvas_layer(self, name: str) -> np.ndarray:
        """Layer ``name`` on the zero-padded canvas, as stored."""
        return pad_frame(self.layers[name], self.geo)

    def make_image(self) -> np.ndarray:
        """``image`` = alpha*fg + (1-alpha)*bg (alpha is binary: fg pasted where alpha),
        built in ``bg``'s array to spare a canvas-sized copy: encode ``bg`` first."""
        paste_frame(self.bg, self.layers["fg"], self.layers["alpha"], self.geo)
        image, self.bg = self.bg, None
        return image


def depth_millimetres(metres: np.ndarray) -> np.ndarray:
    """uint16 millimetres, round(metres x 1000); 0 where invalid: not finite, <= 0, beyond
    MAX_DEPTH_METRES (SURREAL's background) or beyond 65.535 m (not storable: stored as
    invalid rather than clipped to a wrong depth)."""
    mm = np.rint(metres.astype(np.float64) * 1000.0)
    valid = np.isfinite(metres) & (metres > 0) & (metres <= MAX_DEPTH_METRES) & (mm <= MAX_DEPTH_MM)
    return np.where(valid, mm, 0).astype(np.uint16)


@dataclass(frozen=True)
class DrawnBackground:
    """The background drawn for a sample: its listing entry, k (which of the frame's
    ``num_bgs``), the file's bytes and its decoded BGR pixels."""

    background: Background
    k: int
    data: bytes
    pixels: np.ndarray


def compose(opts: Any, clip: SurrealClip, number: int, frame: int, arrays: ClipArrays,
            drawn: DrawnBackground, root: Path, events: list[dict]) -> Composite:
    """Frame ``frame`` of clip ``number`` (decoded: ``arrays``, checked by ``check_frame``)
    over the ``drawn`` background, with the ``surreal-alpha`` options ``opts``; ``root``: the
    folder clip stems are relative to (named by the events of missing optional files)."""
    depth_ok = arrays.depth is not None and frame in arrays.depth
    bg, k, bg_data, bg_pixels = drawn.background, drawn.k, drawn.data, drawn.pixels
    events += optional_events(root, clip, arrays, depth_ok)
    info, unusable = frame_values(arrays.info, frame)
    events += info_events(root, clip, unusable)
    geo = geometry(opts.layout, clip.size, (bg_pixels.shape[1], bg_pixels.shape[0]), opts.bg_size)
    labels = scale_frame(arrays.labels[frame], geo, exact=True)
    alpha = cv2.compare(labels, 0, cv2.CMP_GT)  # 255 where label > 0, else 0
    fg = scale_frame(arrays.frames[frame], geo, exact=False)
    fg = cv2.bitwise_and(fg, fg, mask=alpha)
    mm = depth_millimetres(arrays.depth[frame]) if depth_ok else np.zeros(clip.size[::-1], np.uint16)
    background = place_background(bg_pixels, geo)
    unchanged = geo.bg_scaled == geo.canvas and geo.canvas == (bg_pixels.shape[1], bg_pixels.shape[0])
    passthrough = unchanged and opts.image_format == "jpg" and codecs.is_upright_rgb_jpeg(bg_data)
    meta = {"clip": clip.name, "frame": frame, "background": bg.path, "background_number": k,
            "background_size": list(bg.size), "background_scale": geo.bg_scale,
            "background_crop": list(geo.bg_crop), "layout": opts.layout,
            "width": geo.canvas[0], "height": geo.canvas[1], "frame_scale": geo.frame_scale,
            "frame_box": list(geo.frame_box), "depth_available": depth_ok,
            "info_available": arrays.info is not None, **info}
    layers = {"alpha": alpha, "fg": fg, "depth": scale_frame(mm, geo, exact=True),
              "segmentation": labels}
    return Composite(background, bg_data if passthrough else None, layers,
                     (number, frame, geo.frame_box, geo.canvas), geo, meta)


def check_frame(root: Path, clip: SurrealClip, arrays: ClipArrays, frame: int) -> None:
    """Refuse a frame the headers announced but the video or the labels could not give."""
    for kind, decoded in (("video", arrays.frames), ("segm", arrays.labels)):
        if frame not in decoded:
            raise SourceError(root / f"{clip.stem}{SUFFIXES[kind]}",
                              f"frame {frame} could not be decoded (truncated file?)",
                              "re-download the clip")


def optional_events(root: Path, clip: SurrealClip, arrays: ClipArrays, depth_ok: bool) -> list[dict]:
    """The counted events of a sample made without depth or info (kept: depth 0 = invalid,
    info null): ``missing_input`` when the file is absent, ``bad_input`` when damaged."""
    events = []
    for kind, usable in (("depth", depth_ok), ("info", arrays.info is not None)):
        if usable:
            continue
        path = root / f"{clip.stem}{SUFFIXES[kind]}"
        kept = "depth stored as 0 (invalid)" if kind == "depth" else "info values null"
        problem = clip.problem(kind) or (str(arrays.problems[kind]) if kind in arrays.problems else None)
        if problem:
            events.append({"kind": "bad_input", "path": str(path), "reason": f"{problem}: {kept}"})
        elif kind == "depth" and clip.has_depth:
            events.append({"kind": "missing_input", "path": str(path),
                           "reason": f"holds no depth for this frame: {kept}"})
        else:
            events.append({"kind": "missing_input", "path": str(path),
                           "reason": f"this clip has no {SUFFIXES[kind]}: {kept}"})
    return events


def info_events(root: Path, clip: SurrealClip, unusable: list[str]) -> list[dict]:
    """One counted ``bad_input`` event per ``_info.mat`` value stored as null because the
    file holds it in a form that cannot be read as its numbers (``frame_values``'s
    reasons, each naming the key)."""
    path = str(root / f"{clip.stem}{SUFFIXES['info']}")
    return [{"kind": "bad_input", "path": path, "reason": f"{problem}: stored as null"}
            for problem in unusable]

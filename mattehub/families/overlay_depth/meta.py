"""``overlay-depth``'s field set; its meta: one struct for synthesised and original samples
(docs/format.md section 4); and what each depth mode stores, with units and polarity."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.contract.features import List, Value

FIELDS = ("image", "mask", "depth", "bg", "meta")
"""Every field an ``overlay-depth`` config may write (``depth`` unless ``--depth none``)."""

PATH_KEYS = ("bg", "overlay", "mask", "depth")
META_FEATURES = {
    "recipe": Value("string"), "source": Value("string"), "bg": Value("string"),
    "fg": Value("string"), "flipped": Value("bool"), "scale": Value("float32"),
    "position": List(Value("int32")), "box_size": List(Value("int32")),
    "paths": {key: Value("string") for key in PATH_KEYS}, "csv_line": Value("int32"),
    "depth_mode": Value("string"), "depth_units": Value("string"),
    "depth_polarity": Value("string"), "depth_model": Value("string"), "size": Value("int32"),
    "image_format": Value("string"), "jpeg_quality": Value("int32"), "seed": Value("int64"),
    "index": Value("int64"),
}


@dataclass(frozen=True)
class DepthKind:
    """What the ``depth`` field holds in one mode (recorded in every sample's meta)."""

    mode: str
    units: str
    polarity: str

    def meta(self, model: str | None = None) -> dict:
        return {"depth_mode": self.mode, "depth_units": self.units,
                "depth_polarity": self.polarity, "depth_model": model}


DEPTH_KINDS = {
    "none": DepthKind("none", "", ""),
    "exact": DepthKind("exact", "millimetres, 16-bit PNG; 0 = no depth", "larger = farther"),
    "model": DepthKind("model", "relative: the model's output min-max normalised per image to "
                                "0..255, 8-bit PNG; not metric", "larger = farther"),
    "original": DepthKind("original", "relative 0..255 as published (the original files, "
                                      "JPEG); not metric", "larger = farther"),
}


def empty_meta() -> dict:
    """Every meta key, unset: each mode fills in what it knows."""
    meta = {key: None for key in META_FEATURES}
    meta.update(position=[], box_size=[], paths={key: "" for key in PATH_KEYS})
    return meta

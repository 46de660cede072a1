"""Prediction files: the layout ``mattehub evaluate`` reads, and ``write_predictions``,
which writes model outputs into it.

=====================================================  ==========================================
samples                                                prediction files
=====================================================  ==========================================
one matte (``aim``, ``composition-1k``, ``duts``...)   ``PRED_DIR/<__key__>.png``
instances (``i-him``, ``him2k``, ``m-him2k``...)       ``PRED_DIR/<__key__>/<k>.png``
clips (``v-him``, ``v-him60``...)                      ``PRED_DIR/<__key__>/<t>/<k>.png``
=====================================================  ==========================================

``k`` (instance) and ``t`` (0-based frame of the sample's clip) are integers, plain or
zero-padded. A prediction is an 8-bit single-channel matte of the ground truth's size, scored
exactly as written. JPEG files are lossy mattes: they are refused, naming the file, unless
the run allows them (``--allow-jpeg``), so a lossy matte is never scored silently.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from mattehub.contract.codecs import encode_png, sniff_format
from mattehub.core.errors import BuildError, SourceError
from mattehub.export.files import write_atomic
from mattehub.inputs import gate

PNG_FIX = ("write each predicted matte as an 8-bit single-channel PNG, e.g. "
           "mattehub.evaluation.write_predictions(PRED_DIR, key, alphas)")
JPEG_SUFFIXES = (".jpg", ".jpeg")
_NUMBER = re.compile(r"[0-9]+")
_KINDS = {2: "alpha", 3: "instances", 4: "clip"}


def read_prediction(path: Path, shape: tuple[int, int], allow_jpeg: bool = False) -> np.ndarray:
    """The 8-bit (H, W) matte in ``path``, read through the input gate (complete,
    decodable, at the ground truth's size). A file the gate would convert (colour, 16-bit,
    RGBA) is refused rather than converted; a JPEG is refused unless ``allow_jpeg``."""
    data = gate.read_file(path)
    if sniff_format(data) == "jpg" and not allow_jpeg:
        raise SourceError(path, "is a JPEG: a lossy matte is not evaluated silently",
                          "save predictions as PNG, or pass --allow-jpeg to score the JPEG "
                          "as decoded")
    matte = gate.decode_matte(data, path, size=(shape[1], shape[0]), keep_lossy=True)
    if matte.note is not None:  # say what the file is, not what a conversion would do
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        kind = f"{8 * array.dtype.itemsize}-bit, {1 if array.ndim == 2 else array.shape[2]} channel(s)"
        raise SourceError(path, f"refused: it is {kind}, and a prediction must be an 8-bit "
                                "single-channel matte (scored as written, never converted)", PNG_FIX)
    return matte.array


def numbered(folder: Path, files: bool = True) -> dict[int, Path]:
    """Entries ``<integer>.png`` (``.jpg``/``.jpeg`` too; ``files=False``: folders
    ``<integer>``) in ``folder``, by that integer, plain or zero-padded; {} when the folder
    does not exist. Two names for one number are an error."""
    if not folder.is_dir():
        return {}
    found: dict[int, Path] = {}
    for entry in sorted(folder.iterdir()):
        suffix = entry.suffix.lower() if files else ""
        if files and suffix not in (".png",) + JPEG_SUFFIXES:
            continue
        stem = entry.name[:len(entry.name) - len(suffix)]
        if not (_NUMBER.fullmatch(stem) and (entry.is_file() if files else entry.is_dir())):
            continue
        number = int(stem)
        if number in found:
            raise SourceError(entry, f"names the same number as {found[number].name}",
                              "keep one file per instance and frame")
        found[number] = entry
    return found


def single(root: Path, key: str) -> Path | None:
    """The one-matte prediction of ``key``: ``<key>.png`` (or ``.jpg``/``.jpeg``)."""
    hits = [root / f"{key}{suffix}" for suffix in (".png",) + JPEG_SUFFIXES]
    hits = [path for path in hits if path.is_file()]
    if len(hits) > 1:
        raise SourceError(hits[1], f"names the same sample as {hits[0].name}",
                          "keep one prediction file per sample")
    return hits[0] if hits else None


class PredictionFolder:
    """The prediction folder: finds and reads files, and records what was missing."""

    def __init__(self, root: Path, allow_jpeg: bool = False) -> None:
        self.root, self.allow_jpeg = Path(root), allow_jpeg
        self.found = 0
        self.missing: list[str] = []

    def check(self) -> PredictionFolder:
        """Refuse a folder that does not exist or is empty (a wrong ``--pred``)."""
        if not self.root.is_dir():
            raise SourceError(self.root, "is not a folder of predictions",
                              "pass --pred the folder holding <__key__>.png or <__key__>/ entries")
        if not any(self.root.iterdir()):
            raise SourceError(self.root, "is empty", "nothing to evaluate: write the predictions first")
        return self

    def read(self, path: Path | None, shape: tuple[int, int], expected: str) -> np.ndarray | None:
        """The matte at ``path``, or None (recorded under ``expected``) when there is none."""
        if path is None or not path.is_file():
            self.missing.append(expected)
            return None
        self.found += 1
        return read_prediction(path, shape, self.allow_jpeg)


# -- writing --------------------------------------------------------------------------------


def _as_uint8(matte: np.ndarray, where: str) -> np.ndarray:
    """A matte as uint8: uint8 kept, floats in [0, 1] rounded from ``x * 255``."""
    array = np.asarray(matte)
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        if array.size and not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
            raise BuildError(f"write_predictions: {where} has values outside [0, 1]")
        return np.rint(array * 255).astype(np.uint8)
    raise BuildError(f"write_predictions: {where} is {array.dtype}; give uint8 (0..255) or "
                     "floats in [0, 1]")


def _checked_key(key: str) -> str:
    if not key or "/" in key or "\\" in key or key in (".", ".."):
        raise BuildError(f"write_predictions: key {key!r} must be a sample's __key__ (one name, "
                         "no path separators)")
    return key


def write_predictions(pred_dir: str | Path, key: str, mattes: np.ndarray | Sequence,
                      kind: str | None = None) -> list[Path]:
    """Write one sample's predicted mattes where ``mattehub evaluate`` looks for them, and
    return the paths written.

    ``mattes``: (H, W) for a one-matte sample (``<key>.png``); (K, H, W) or a list of K
    mattes for an instance image (``<key>/<k>.png``); (T, K, H, W) or a list of T lists for
    a clip (``<key>/<t>/<k>.png``; a one-instance clip is (T, 1, H, W)). ``kind``
    (``"alpha"``, ``"instances"`` or ``"clip"``) is taken from the number of dimensions when
    not given. Values are uint8, or floats in [0, 1] (rounded from ``x * 255``). Each file
    is written under a temporary name and renamed: a crash never leaves half a PNG.
    """
    root, key = Path(pred_dir), _checked_key(key)
    array = np.asarray(mattes) if not isinstance(mattes, np.ndarray) else mattes
    kind = kind or _KINDS.get(array.ndim)
    if kind not in ("alpha", "instances", "clip") or array.ndim != {"alpha": 2, "instances": 3,
                                                                     "clip": 4}[kind]:
        raise BuildError(f"write_predictions: mattes of shape {array.shape} do not fit kind "
                         f"{kind!r}: (H, W) alpha, (K, H, W) instances, (T, K, H, W) clip")
    if kind == "alpha":
        targets = {root / f"{key}.png": array}
    elif kind == "instances":
        targets = {root / key / f"{k}.png": m for k, m in enumerate(array)}
    else:
        targets = {root / key / str(t) / f"{k}.png": m for t, frame in enumerate(array)
                   for k, m in enumerate(frame)}
    for path, matte in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, encode_png(_as_uint8(matte, str(path.relative_to(root)))))
    return list(targets)

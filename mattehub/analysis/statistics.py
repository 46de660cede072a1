"""Per-channel statistics of the image fields of a built shard folder (``mattehub stats``).

Datasets publish "mean" and "STD" per channel without saying which ones. The overlay + mask
+ depth dataset behind ``overlay-depth`` published the mean of per-image means and, as
"STD", ``np.std`` over the per-image stds: the spread of per-image stds, not the pixel std
(``docs/sources.md``, "Overlay + mask + depth"). So every statistic here is named for what it is:

* ``pooled_mean``, ``pooled_std``: over all pixels of all images (population std, ddof=0);
* ``mean_of_image_means``: the mean over images of each image's own mean;
* ``std_of_image_stds``: the population std over images of each image's own (population)
  std, what that dataset called "STD";
* ``mean_of_image_stds``: the mean over images of each image's std, the usual "average
  per-image std", which is easily mistaken for either of the above.

Values are raw pixel values (0..255 for 8-bit fields, 0..65535 for 16-bit ones, never
rescaled), channels in RGB(A) order; a grey field has one channel, ``value``.

One streaming pass over the split's Parquet shards, one row group at a time. Sums are exact:
each image's sum and sum of squares are int64 (an image would need over 2**31 pixels of
65535 to overflow, beyond what OpenCV decodes) and the dataset totals are Python ints
(16-bit squares over a few million pixels overflow int64). Each image's mean and std come
from those integers; the statistics over images are running ones (Welford), so memory does
not grow with the number of pixels or images.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields as dataclass_fields
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from mattehub.output.card import STAT_HEADER, STATISTICS, statistics_rows, value_range, write_card
from mattehub.contract.schema import IMAGE
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.jsonio import read_json, write_json
from mattehub.output.checks import os_error
from mattehub.output.layout import OutputLayout
from mattehub.output.folder import ShardFolder
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import ParquetShardReader, feature_kind

DEFAULT_FIELDS = ("image", "mask", "depth", "alpha")
"""The single-image fields measured when none are named (those the config has)."""
CHANNEL_NAMES = {1: ("value",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}
TO_RGB = {3: cv2.COLOR_BGR2RGB, 4: cv2.COLOR_BGRA2RGBA}
BIT_DEPTHS = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16}
DEFINITIONS = {
    "pooled_mean": "mean over all pixels of all images",
    "pooled_std": "population std (ddof=0) over all pixels of all images",
    "mean_of_image_means": "mean over images of each image's mean (published as 'mean' by "
                           "the original overlay/mask/depth dataset)",
    "std_of_image_stds": "population std over images of each image's population std (published "
                         "as 'STD' by that dataset: the spread of per-image stds)",
    "mean_of_image_stds": "mean over images of each image's population std",
    "values": "raw pixel values, 0..255 (8-bit) or 0..65535 (16-bit); channels in RGB order",
}
"""What each statistic is, stored with them in the split summary."""


@dataclass
class FieldStatistics:
    """Per-channel statistics of one image field (lists hold one float per channel)."""

    field: str
    channels: list[str]
    bit_depth: int
    images: int
    pixels: int
    pooled_mean: list[float]
    pooled_std: list[float]
    mean_of_image_means: list[float]
    std_of_image_stds: list[float]
    mean_of_image_stds: list[float]

    def as_dict(self) -> dict:
        """JSON-able form, with the value scale spelled out (raw values, never rescaled)."""
        return dict(asdict(self), value_scale=f"raw {self.bit_depth}-bit pixel values "
                                              f"{value_range(self.bit_depth)}")

    @classmethod
    def from_dict(cls, data: dict) -> FieldStatistics:
        """The inverse of ``as_dict`` (derived keys ignored)."""
        return cls(**{f.name: data[f.name] for f in dataclass_fields(cls)})


@dataclass
class Statistics:
    """Statistics of some image fields of one config/split."""

    config: str
    split: str
    fields: list[FieldStatistics]

    def format(self) -> str:
        """An aligned text table for the terminal, with what the columns mean (same cells
        as the card's table, which renders the stored form)."""
        rows = [STAT_HEADER] + statistics_rows(self.as_dict())
        widths = [max(len(row[i]) for row in rows) for i in range(len(STAT_HEADER))]
        lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                 for row in rows]
        title = (f"{self.config}/{self.split}: per-channel statistics of raw pixel values "
                 "(channels in RGB order)")
        return "\n".join([title] + lines + [
            "pooled: all pixels of all images as one population (std with ddof=0).",
            "mean of image means, std of image stds, mean of image stds: each image's own mean "
            "or std (ddof=0), then their mean or std over the images",
            "(the original overlay dataset published mean of image means as 'mean' and std of "
            "image stds as 'STD')."])

    def as_dict(self) -> dict:
        """JSON-able form (stored as ``statistics`` in the split summary)."""
        return {"config": self.config, "split": self.split,
                "fields": [stats.as_dict() for stats in self.fields],
                "definitions": DEFINITIONS}

    @classmethod
    def from_dict(cls, data: dict) -> Statistics:
        """The inverse of ``as_dict`` (what the card renders from a split summary)."""
        return cls(data["config"], data["split"],
                   [FieldStatistics.from_dict(f) for f in data["fields"]])


# --- accumulating ---------------------------------------------------------------------------

def image_sums(array: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Pixel count, per-channel sum and per-channel sum of squares (int64) of one decoded
    image (H x W or H x W x C). ``einsum`` casts in small buffers: no int64 copy of the image."""
    pixels = array.reshape(array.shape[0] * array.shape[1], -1)
    sums = pixels.sum(axis=0, dtype=np.int64)
    squares = np.einsum("ij,ij->j", pixels, pixels, dtype=np.int64)
    return pixels.shape[0], sums, squares


class _Running:
    """Running mean and population std of per-channel values (Welford): constant memory."""

    def __init__(self, channels: int) -> None:
        self.count = 0
        self.mean = np.zeros(channels)
        self.m2 = np.zeros(channels)

    def add(self, values: np.ndarray) -> None:
        self.count += 1
        delta = values - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (values - self.mean)

    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / self.count)


class ChannelTotals:
    """Exact pixel totals (Python ints) and running statistics of the per-image means and
    stds, per channel, image by image."""

    def __init__(self, channels: int) -> None:
        self.images = 0
        self.pixels = 0
        self.sums = [0] * channels
        self.squares = [0] * channels
        self.means = _Running(channels)
        self.stds = _Running(channels)

    def add(self, pixels: int, sums, squares) -> None:
        """Add one image: its pixel count and per-channel sums and sums of squares (ints or
        int64). Each image's mean and std come from its exact integers."""
        pixels, sums, squares = int(pixels), [int(s) for s in sums], [int(q) for q in squares]
        self.images += 1
        self.pixels += pixels
        self.sums = [a + b for a, b in zip(self.sums, sums)]
        self.squares = [a + b for a, b in zip(self.squares, squares)]
        self.means.add(np.array([s / pixels for s in sums]))
        self.stds.add(np.array([_std(pixels, s, q) for s, q in zip(sums, squares)]))

    def statistics(self) -> dict[str, list[float]]:
        """The five statistics, by name (at least one image must have been added)."""
        return {"pooled_mean": [s / self.pixels for s in self.sums],
                "pooled_std": [_std(self.pixels, s, q) for s, q in zip(self.sums, self.squares)],
                "mean_of_image_means": self.means.mean.tolist(),
                "std_of_image_stds": self.stds.std().tolist(),
                "mean_of_image_stds": self.stds.mean.tolist()}


class FieldAccumulator:
    """The totals of one field, checking that all its images are of one kind."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.bit_depth = 0
        self.channels = 0
        self.totals: ChannelTotals | None = None

    def add_image(self, array: np.ndarray, where: str) -> None:
        """Add one decoded image (RGB order); ``where`` names it in errors. Every image of a
        field must share bit depth and channel count, or the numbers mean nothing."""
        bit_depth, channels = BIT_DEPTHS.get(array.dtype), 1 if array.ndim == 2 else array.shape[2]
        if bit_depth is None:
            raise SourceError(where, f"field {self.field} decodes to {array.dtype} pixels; "
                                     "statistics are for 8- or 16-bit images")
        if self.totals is None:
            self.bit_depth, self.channels = bit_depth, channels
            self.totals = ChannelTotals(channels)
        elif (bit_depth, channels) != (self.bit_depth, self.channels):
            raise SourceError(where, f"field {self.field} is {bit_depth}-bit with {channels} "
                                     f"channel(s) where earlier images were {self.bit_depth}-bit "
                                     f"with {self.channels}; per-channel statistics need one kind")
        self.totals.add(*image_sums(array))

    def result(self) -> FieldStatistics:
        """The field's statistics (at least one image must have been added)."""
        names = CHANNEL_NAMES.get(self.channels) or [str(c) for c in range(self.channels)]
        return FieldStatistics(field=self.field, channels=list(names), bit_depth=self.bit_depth,
                               images=self.totals.images, pixels=self.totals.pixels,
                               **self.totals.statistics())


def _std(count: int, total: int, squares: int) -> float:
    """Population std of ``count`` values from their integer sum and sum of squares:
    ``(n*S2 - S1**2) / n**2`` is exact in Python ints, so only the last division rounds."""
    return math.sqrt((count * squares - total * total) / (count * count))


# --- reading --------------------------------------------------------------------------------

def decode(data: bytes) -> np.ndarray | None:
    """PNG/JPEG bytes as stored (16-bit kept), colour in RGB(A) order; None if undecodable."""
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.ndim == 2:
        return array
    if array.shape[2] == 1:
        return array[:, :, 0]
    return cv2.cvtColor(array, TO_RGB[array.shape[2]]) if array.shape[2] in TO_RGB else array


def _split_summary(folder: Path, config: str, split: str) -> tuple[ShardFolder, dict]:
    """The split summary, or a SourceError saying what is missing and how to build it."""
    shards = ShardFolder(str(folder), config)
    try:
        splits = shards.splits()
    except ValueError as exc:  # the config is not in the folder (message says how to build)
        raise SourceError(folder, str(exc).removeprefix(f"{shards.root} ")) from None
    if split not in splits:
        raise SourceError(folder, f"holds no split {split!r} of {config} (it has "
                                  f"{', '.join(splits) or 'none'})", _split_hint(folder, config, splits))
    return shards, shards.summary(split)


def _split_hint(folder: Path, config: str, splits: list[str]) -> str:
    """What to do when the split asked for is not there: choose one of the splits the folder
    has for ``config`` (a config's splits differ: him2k has comp and natural), or, when it has
    none, build one."""
    if splits:
        return "choose one of them: " + " or ".join(f"--split {name}" for name in splits)
    return f"build a split first: `mattehub build {config} --out {folder}`"


def image_fields(summary: dict) -> list[str]:
    """The single-image fields of a split, in schema order."""
    return [name for name, feature in summary["features"]["parquet"].items()
            if feature_kind(feature) == IMAGE]


def _choose_fields(folder: Path, summary: dict, wanted: list[str] | None) -> list[str]:
    """The fields to measure: ``wanted``, or the default ones the config has."""
    where = OutputLayout(folder).split_summary(summary["config"], summary["split"])
    available = image_fields(summary)
    if wanted is None:
        chosen = [name for name in available if name in DEFAULT_FIELDS]
        if not chosen:
            raise SourceError(where, f"declares none of {', '.join(DEFAULT_FIELDS)} (single-image "
                                     f"fields: {', '.join(available) or 'none'})",
                              "name the fields to measure")
        return chosen
    if not wanted:  # an empty list would measure nothing and store that over the statistics
        raise BuildError(f"fields=[]: name at least one field to measure ({summary['config']}/"
                         f"{summary['split']} has {', '.join(available) or 'none'}), or leave "
                         "it out for the default ones [--fields]")
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise SourceError(where, f"declares no single-image field {', '.join(unknown)} (it has "
                                 f"{', '.join(available) or 'none'})", "choose among those")
    return list(dict.fromkeys(wanted))


def _parquet_urls(folder: Path, shards: ShardFolder, summary: dict) -> list[str]:
    """The split's Parquet shards: what stats reads. A WebDataset-only build has none, and
    the error says so (not how to load the ``-wds`` config, which stats cannot use)."""
    if "parquet" not in summary["files"]:
        raise SourceError(folder, f"has no Parquet shards of {summary['config']}/"
                                  f"{summary['split']} (built with `--format webdataset` only), "
                                  "and `mattehub stats` reads the Parquet shards",
                          "rebuild the split with `--format parquet,webdataset` or `--format "
                          "parquet`, adding `--overwrite`: the formats are part of the build "
                          "fingerprint")
    return shards.parquet_urls(summary)


def _rows(folder: Path, path: Path) -> Iterator[tuple[int, str, dict]]:
    """Rows of one Parquet shard; a damaged file is a SourceError naming it."""
    try:
        yield from ParquetShardReader(path).rows()
    except Unreadable as exc:
        raise SourceError(path, str(exc), f"run `mattehub verify {folder}`") from None


def compute_statistics(folder: Path, config: str, split: str = "train",
                       fields: list[str] | None = None, progress: bool = True) -> Statistics:
    """Per-channel statistics of ``fields`` (default: those of image, mask, depth, alpha the
    config has) over every sample of ``config``/``split``, in one pass over its Parquet shards."""
    folder = Path(folder)
    shards, summary = _split_summary(folder, config, split)
    urls = _parquet_urls(folder, shards, summary)
    chosen = _choose_fields(folder, summary, fields)
    accumulators = {name: FieldAccumulator(name) for name in chosen}
    with tqdm(total=summary["num_examples"], unit="sample", desc=f"{config}/{split}",
              disable=not progress) as bar:
        for url in urls:
            for row, key, values in _rows(folder, Path(url)):
                where = f"{url} row {row} (key {key})"
                for name, accumulator in accumulators.items():
                    accumulator.add_image(_image(values.get(name), where, name), where)
                bar.update(1)
    if any(a.totals is None for a in accumulators.values()):
        raise SourceError(folder, f"{config}/{split} has no samples to measure")
    return Statistics(config, split, [a.result() for a in accumulators.values()])


def _image(data: bytes | None, where: str, name: str) -> np.ndarray:
    """The decoded value of field ``name``, or a SourceError saying why there is none."""
    array = decode(data) if isinstance(data, (bytes, bytearray)) else None
    if array is None:
        problem = "is empty" if data is None else "cannot be decoded as PNG or JPEG"
        raise SourceError(where, f"field {name} {problem}", "run `mattehub verify` on the folder")
    return array


def write_statistics(folder: Path, stats: Statistics) -> Path:
    """Store ``stats`` as ``statistics`` in its split summary and re-render the dataset cards
    (which show it); returns the summary's path. A rebuild of the split keeps them only when
    its shards are byte for byte those of the summary (``finalize.kept_statistics``)."""
    layout = OutputLayout(folder)
    path = layout.split_summary(stats.config, stats.split)
    summary = read_json(path)
    if not isinstance(summary, dict):
        raise SourceError(path, "is missing or unreadable, so the split is not finished",
                          f"run `mattehub build {stats.config} --split {stats.split} --out "
                          f"{folder}` first")
    summary[STATISTICS] = stats.as_dict()
    try:
        write_json(path, summary)
        write_card(layout)
    except OSError as exc:  # a read-only or full output folder: say which file, what to do
        raise os_error(exc, folder, "folder") from None
    return path

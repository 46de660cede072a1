"""``as_arrays``: a ``datasets`` Dataset or IterableDataset that yields uint8 arrays, clips included.

Why not ``ds.with_format("numpy")`` / ``("torch")`` (datasets 5.2, see docs/training.md):

- on clip columns (``List(List(Image()))``) both formats raise ``ValueError: operands could
  not be broadcast together``: the numpy extractor hands the nested list to
  ``decode_nested_example`` as an object array, which compares it with ``!=`` against the
  decoded list of images;
- every integer ndarray a formatter sees is cast to int64 (8x the memory of uint8): only
  ``Image()`` columns escape, because the formatter converts the PIL image itself;
- storing decoded clips with ``.map`` writes raw pixels to the Arrow cache (~20x the
  Parquet size), and nested ``List(Value("uint8"))`` columns are read back element by
  element (seconds per clip); ``Array4D`` is fast but allows a variable size on the first
  axis only, while canvases differ from sample to sample.

So the decoding happens on the fly and the arrays are handed over untouched:
``with_transform`` for a ``Dataset``, ``.map`` for an ``IterableDataset`` (whose features then
become unknown, so nothing re-encodes or casts). ``datasets`` itself decodes nothing: the
image features are switched to ``Image(decode=False)`` (``undecoded``), so rows carry the
stored bytes and ``to_arrays`` decodes them without Pillow (``mattehub.training.stored``),
skipping the PIL image and its ``tobytes`` copy per image.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mattehub.contract import decoded
from mattehub.core.cpus import settle_loader_worker
from mattehub.training.arrays import from_webdataset, to_arrays

FORMATS: tuple[str, ...] = ("numpy", "torch")
TAR_MEMBERS: frozenset[str] = frozenset(("jpg", "jpeg", "png", "mp", "msgpack", "json"))
"""Extensions of the columns of a ``-wds`` config (``image.jpg``, ``instance_alphas.mp``)."""

Transform = Callable[[dict[str, Any]], dict[str, Any]]


def to_torch(example: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric and bool arrays of ``example`` as torch tensors of the same dtype and layout.

    ``torch.from_numpy`` shares memory and keeps uint8; the layout stays (..., H, W, 3) (not
    the (C, H, W) of ``datasets``' torch ``Image``), so numpy and torch shapes are the same.
    """
    import torch

    def convert(value: Any) -> Any:
        numeric = isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
        return torch.from_numpy(np.ascontiguousarray(value)) if numeric else value

    return {key: convert(value) for key, value in example.items()}


@dataclass(frozen=True)
class ExampleArrays:
    """Decode one example (``to_arrays``; ``from_webdataset`` for a row of a ``-wds`` config,
    whose columns are named like tar members: ``image.jpg``, ``instance_alphas.mp``), apply
    ``transform``, convert for ``format``.

    A module-level callable rather than a closure, so DataLoader workers can pickle it.
    """

    format: str = "numpy"
    transform: Transform | None = None

    def __call__(self, example: Mapping[str, Any]) -> dict[str, Any]:
        """The converted example. The first call in a process also says that this process
        reads arrays (``decoded.want``: a release sample's maker hands over the mattes it
        decoded) and, in a DataLoader worker, keeps pyarrow to one thread
        (``settle_loader_worker``: one worker is one CPU, as torch makes it)."""
        decoded.want()
        settle_loader_worker()
        tar_row = any(key.partition(".")[2] in TAR_MEMBERS for key in example)
        out = from_webdataset(example) if tar_row else to_arrays(example)
        if self.transform is not None:
            out = self.transform(out)
        return to_torch(out) if self.format == "torch" else out


@dataclass(frozen=True)
class BatchArrays:
    """``ExampleArrays`` over a ``with_transform`` batch (a dict of equal-length lists)."""

    per_example: ExampleArrays

    def __call__(self, batch: Mapping[str, list]) -> dict[str, list]:
        """The converted batch, still a dict of lists (sizes differ, so nothing is stacked)."""
        size = len(next(iter(batch.values())))
        rows = [self.per_example({k: v[i] for k, v in batch.items()}) for i in range(size)]
        return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def undecoded(ds):
    """``ds`` with every ``Image()`` feature (nested in lists too) set to ``decode=False``, so
    ``datasets`` hands over ``{"bytes", "path"}`` instead of PIL images; ``ds`` itself when
    nothing changes, its features are unknown, or a feature would decode differently without
    Pillow (an ``Image(mode=...)`` conversion, audio, video): today's route then.

    An ``IterableDataset`` gets ``decode(False)``, which also removes the threaded decoding
    ``load_dataset`` adds to remote streams. A ``Dataset`` gets a copy whose features say
    ``decode=False`` and which shares the Arrow table: what ``Dataset.cast_column`` does for a
    top-level ``Image``. ``cast``/``cast_column`` on a ``List(Image())`` would rewrite the
    whole table into the cache instead.
    """
    import datasets

    features = ds.features
    if not features:
        return ds
    media = list(_media(features))
    images = [f for f in media if isinstance(f, datasets.Image)]
    if not any(f.decode for f in images) or len(images) != len(media) or any(f.mode for f in images):
        return ds
    if isinstance(ds, datasets.IterableDataset):
        return ds.decode(False)
    plain = copy.deepcopy(ds)  # datasets' Table keeps the Arrow table when deep-copied
    plain._info.features = datasets.Features({name: _plain(f) for name, f in features.items()})
    return plain


def _children(feature) -> list:
    """The sub-features of a struct (dict) or list feature."""
    if isinstance(feature, dict):
        return list(feature.values())
    inner = getattr(feature, "feature", None)
    return [] if inner is None else [inner]


def _media(feature):
    """Every feature ``datasets`` decodes (it has a ``decode`` flag) inside ``feature``."""
    if hasattr(feature, "decode"):
        yield feature
    for child in _children(feature):
        yield from _media(child)


def _plain(feature):
    """A copy of ``feature`` with ``decode=False`` on every media feature inside it."""
    feature = copy.deepcopy(feature)
    for media in _media(feature):
        media.decode = False
    return feature


def as_arrays(ds, format: str = "numpy", transform: Transform | None = None):
    """``ds`` yielding ``to_arrays`` examples: uint8 (T, H, W, 3) frames, (T, K, H, W) mattes...

    ``format``: ``"numpy"`` (np.uint8 arrays) or ``"torch"`` (torch.uint8 tensors, same
    shapes). ``transform`` (e.g. ``TrainTransform(...)``) runs on the decoded numpy example
    before the conversion. ``datasets``' image decoding is switched off first (``undecoded``),
    so the stored bytes are decoded once, without Pillow where that gives the same pixels
    (``mattehub.training.stored``). A ``datasets.Dataset`` gets ``with_transform`` (lazy:
    nothing is written to the cache); a ``datasets.IterableDataset`` gets ``.map`` on its
    python-format rows. Do not call ``with_format`` on the result: it would drop the
    transform (Dataset) or cast the arrays to int64 (IterableDataset).
    """
    import datasets

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    per_example = ExampleArrays(format, transform)
    decoded.want()  # from now on (and in workers forked from here) makers hand over mattes
    ds = undecoded(ds) if isinstance(ds, (datasets.IterableDataset, datasets.Dataset)) else ds
    if isinstance(ds, datasets.IterableDataset):
        return ds.with_format(None).map(per_example)
    if isinstance(ds, datasets.Dataset):
        return ds.with_transform(BatchArrays(per_example))
    raise TypeError(f"as_arrays takes a datasets.Dataset or IterableDataset, got {type(ds).__name__}")

"""Batching decoded examples whose instance count K, size H x W or clip length T differ.

``torch.utils.data.default_collate`` stacks arrays and fails as soon as one sample has 3
instances and the next 2 (or another canvas size): matting batches are ragged by nature.
``pad_collate`` pads every array field with zeros to the batch's largest shape along each
axis, keeps the dtypes (uint8 stays uint8, bool stays bool), and says what is real:

- ``pixel_mask`` (B, H, W) bool: True on pixels of the sample (and not of a crop's padding);
- ``instance_mask`` (B, K) bool: True for the sample's instances (from ``instance_alphas``);
- ``frame_mask`` (B, T) bool, for clips: True for the clip's frames;
- ``sizes`` (B, 2) int64: each sample's (H, W) before padding.

Strings, dicts (``meta``) and other objects are passed through as lists.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from numbers import Number
from typing import Any

import numpy as np

from mattehub.core.cpus import in_loader_worker
from mattehub.training.arrays import COLOUR_FIELDS, spatial_size
from mattehub.training.formatting import to_torch

Allocate = Callable[[tuple[int, ...], np.dtype], np.ndarray]
"""Gives an uninitialised array of a shape and dtype (``np.empty``, ``SharedBatch``)."""

MASK_KEYS: tuple[str, ...] = ("pixel_mask", "instance_mask", "frame_mask", "sizes")
"""Keys ``pad_collate`` adds (an incoming per-sample ``pixel_mask`` is honoured, not overwritten)."""


def pad_stack(arrays: Sequence[np.ndarray], allocate: Allocate | None = None) -> np.ndarray:
    """Stack arrays of one rank and dtype into (B, *max shape), zero-padded at the end of each
    axis. ``allocate(shape, dtype)`` gives the (uninitialised) output: ``np.empty`` by default."""
    ranks, dtypes = {a.ndim for a in arrays}, {a.dtype for a in arrays}
    if len(ranks) != 1 or len(dtypes) != 1:
        raise ValueError(f"cannot batch arrays of different ranks or dtypes: "
                         f"{[(a.shape, str(a.dtype)) for a in arrays]}")
    shape = tuple(int(n) for n in np.max([a.shape for a in arrays], axis=0)) if arrays[0].ndim else ()
    out = (allocate or np.empty)((len(arrays), *shape), arrays[0].dtype)
    if any(a.shape != shape for a in arrays):
        out[...] = 0
    for index, array in enumerate(arrays):
        out[(index, *(slice(0, n) for n in array.shape))] = array
    return out


class SharedBatch:
    """Batch arrays allocated in shared memory, for ``pad_collate`` inside a DataLoader worker.

    A worker sends its batch to the main process through a queue, and torch moves every tensor
    that is not in shared memory yet into a new shared segment first (a second copy of the
    whole batch, page faults included: 5.4 ms for a 6 MB sample here, a sixth of its decode).
    torch's own ``default_collate`` avoids that by stacking straight into shared memory in a
    worker (``_new_shared``); this does the same for padded batches: the numpy views it
    hands out are filled in place and ``tensor`` gives back the shared tensor of each.
    """

    def __init__(self) -> None:
        self._tensors: dict[int, tuple[np.ndarray, Any]] = {}

    @staticmethod
    def available() -> bool:
        """Whether this torch has the allocator ``default_collate`` uses (a private API: on a
        torch without it, batches are made as outside a worker and torch copies them)."""
        import torch

        return hasattr(torch.UntypedStorage, "_new_shared")

    def __call__(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        import torch

        kind = torch.from_numpy(np.empty(0, dtype)).dtype
        storage = torch.UntypedStorage._new_shared(int(np.prod(shape)) * np.dtype(dtype).itemsize)
        tensor = torch.empty(0, dtype=kind).set_(storage, 0, shape)
        array = tensor.numpy()
        self._tensors[id(array)] = (array, tensor)
        return array

    def tensor(self, value: Any) -> Any:
        """The shared tensor behind an array this allocator made, else ``value`` itself."""
        entry = self._tensors.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else value


def _numpy(value: Any) -> Any:
    """A torch tensor as a numpy array (so tensors from ``as_arrays(..., "torch")`` batch too)."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


def _column(values: list[Any], allocate: Allocate | None) -> Any:
    """One key across the batch: padded array, array of numbers, or the list itself."""
    values = [_numpy(v) for v in values]
    if all(isinstance(v, np.ndarray) and v.dtype.kind in "biuf" for v in values):
        return pad_stack(values, allocate)
    if all(isinstance(v, (Number, np.generic)) and not isinstance(v, (str, bytes)) for v in values):
        return np.asarray(values)
    return list(values)


def _masks(batch: Sequence[Mapping[str, Any]], allocate: Allocate | None) -> dict[str, np.ndarray]:
    """``pixel_mask``, ``sizes`` and, when the fields exist, ``instance_mask`` and ``frame_mask``."""
    sizes = np.array([spatial_size(example) for example in batch], np.int64)
    pixels = [np.asarray(_numpy(ex["pixel_mask"]), bool) if "pixel_mask" in ex else np.ones(tuple(size), bool)
              for ex, size in zip(batch, sizes)]
    masks = {"pixel_mask": pad_stack(pixels, allocate), "sizes": sizes}
    counts = {"instance_mask": ("instance_alphas", -3), "frame_mask": ("frames", 0)}
    for mask_name, (field, axis) in counts.items():
        if field in batch[0]:
            lengths = np.array([np.shape(_numpy(ex[field]))[axis] for ex in batch])
            masks[mask_name] = np.arange(lengths.max(initial=0))[None, :] < lengths[:, None]
    return masks


def refuse_channels_first(example: Mapping[str, Any]) -> None:
    """Raise a ValueError naming the route if a colour field is (..., 3, H, W).

    That is how ``datasets``' ``with_format("torch")`` gives ``Image()`` columns; swapping
    the default collate for ``pad_collate`` there would otherwise fail on "per-pixel fields
    have different sizes", which does not say what to do.
    """
    for name in COLOUR_FIELDS:
        shape = tuple(getattr(example.get(name), "shape", ()))
        if len(shape) >= 3 and shape[-3] == 3 and shape[-1] != 3:
            raise ValueError(f"pad_collate: {name!r} is {shape}, channels first, as datasets' "
                             "with_format('torch') gives images; pad_collate takes channels-last "
                             "arrays: load with mattehub.training.as_arrays(ds, 'torch') instead "
                             "(docs/training.md)")


def pad_collate(batch: Sequence[Mapping[str, Any]], as_tensors: bool = True) -> dict[str, Any]:
    """Collate decoded examples (``to_arrays`` / transforms output) into one padded batch.

    Use as ``DataLoader(..., collate_fn=pad_collate)``. Every example must have the same
    keys. Returns torch tensors (``as_tensors``, torch needed; in a DataLoader worker they
    are made in shared memory: ``SharedBatch``) or numpy arrays; see the module docstring for
    the masks it adds.
    """
    if not batch:
        raise ValueError("pad_collate got an empty batch")
    refuse_channels_first(batch[0])
    keys = list(batch[0])
    for example in batch[1:]:
        if set(example) != set(keys):
            raise ValueError(f"examples have different keys: {sorted(keys)} vs {sorted(example)}")
    shared = SharedBatch() if as_tensors and in_loader_worker() and SharedBatch.available() else None
    out = {key: _column([example[key] for example in batch], shared) for key in keys if key not in MASK_KEYS}
    out.update(_masks(batch, shared))
    if shared is not None:
        out = {key: shared.tensor(value) for key, value in out.items()}
    return to_torch(out) if as_tensors else out

"""Training transforms on decoded examples (``to_arrays`` dicts): trimaps, unknown masks, crops.

Pure numpy, one example in, one example out, so the same function plugs into
``datasets`` (``as_arrays(ds, transform=...)``), into a ``webdataset`` pipeline
(``.map(...)``) or into a plain loop. Clips are the same fields with a leading T axis; every
transform treats all frames of a clip alike (one trimap band width, one crop box).

Randomness only comes from the ``rng`` argument (a seed or a ``np.random.Generator``), so a
transform is deterministic given it. ``example_rng(seed, key, epoch)`` derives a generator
from the sample's own key: draws then do not depend on worker count or sample order,
the rule ``mattehub/core/rng.py`` follows for building.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mattehub.core.rng import config_salt
from mattehub.synthesis.trimap import UNKNOWN, trimap
from mattehub.training.arrays import is_colour, spatial_fields, spatial_size
from mattehub.training.augment import AugmentOptions, augment_crop, augment_full

_TRAINING_STREAM = config_salt("mattehub.training")  # keeps these draws apart from build draws
_AUGMENT_STREAM = config_salt("mattehub.training.augment")


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A generator from a seed or a generator (returned as is, so draws continue on it)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("a seed or np.random.Generator is required: transforms are deterministic")
    return np.random.default_rng(int(rng))


def example_rng(seed: int, key: str, epoch: int = 0) -> np.random.Generator:
    """The generator for sample ``key`` (its ``__key__``) in ``epoch`` of a run seeded ``seed``."""
    return np.random.default_rng([_TRAINING_STREAM, int(seed), int(epoch), config_salt(str(key))])


def draw_trimap_seed(rng: np.random.Generator | int) -> int:
    """The ``mattehub.trimap(..., "random", seed)`` seed ``add_trimap`` draws from ``rng``."""
    return int(as_rng(rng).integers(2**32))


def _trimaps(mattes: np.ndarray, kind: str, seed: int | None) -> np.ndarray:
    """``mattehub.synthesis.trimap.trimap`` of every (H, W) matte of a (..., H, W) stack, same shape."""
    flat = np.asarray(mattes).reshape(-1, *np.shape(mattes)[-2:])
    out = np.empty(flat.shape, np.uint8)
    for index, matte in enumerate(flat):
        out[index] = trimap(np.ascontiguousarray(matte), kind, seed)
    return out.reshape(np.shape(mattes))


TRIMAP_SOURCES: dict[str, tuple[str, str]] = {
    "alpha": ("trimap", "unknown"),
    "instance_alphas": ("instance_trimaps", "instance_unknown"),
}
"""Mattes ``add_trimap`` reads and the (trimap, unknown) fields it adds for each."""
MASK_MATTE = "mask"
"""The matte of mask-only configs (``overlay-depth``: a hard 0/255 cut-out mask, no ``alpha``):
read by ``add_trimap`` only when the example has none of ``TRIMAP_SOURCES``."""


def trimap_sources(example: Mapping[str, Any]) -> list[str]:
    """The fields ``add_trimap`` makes trimaps from: ``alpha`` / ``instance_alphas`` when present,
    else ``mask`` (mask-only configs). Raises ValueError naming the fields the example has."""
    present = [name for name in TRIMAP_SOURCES if name in example]
    if present:
        return present
    if MASK_MATTE in example:
        return [MASK_MATTE]
    per_pixel = spatial_fields(example)
    raise ValueError(
        f"add_trimap needs a matte: 'alpha', 'instance_alphas' or, in mask-only configs such as "
        f"overlay-depth, 'mask'; this example has per-pixel fields {per_pixel} (keys: {sorted(example)}). "
        "Decode rows with to_arrays / as_arrays / from_webdataset first; for data without a matte, "
        "use TrainTransform(trimap_kind=None), which crops without a trimap")


def add_trimap(example: Mapping[str, Any], kind: str = "random",
               rng: np.random.Generator | int | None = None) -> dict[str, Any]:
    """Add a trimap (0/128/255, uint8) and an ``unknown`` mask (trimap == 128, bool).

    From ``alpha``: ``trimap`` and ``unknown`` (a stored ``trimap`` field is replaced: use
    the stored one by not applying this). From ``instance_alphas`` (K, H, W) or a clip's
    (T, K, H, W): ``instance_trimaps`` and ``instance_unknown`` of the same shape. A
    mask-only example (``overlay-depth``: ``mask``, no alpha) gets ``trimap`` and ``unknown``
    from its mask, the matte of that config (``trimap_sources``).
    ``kind`` is a ``mattehub.synthesis.trimap`` kind; ``"random"`` draws one band width per example
    (``draw_trimap_seed(rng)``), shared by its instances and frames so a clip's band does
    not flicker. The trimaps are ``mattehub.synthesis.trimap.trimap``'s, not a re-implementation.
    """
    if kind == "random" and rng is None:
        raise ValueError("trimap kind 'random' needs rng (a seed or np.random.Generator)")
    present = trimap_sources(example)
    seed = draw_trimap_seed(rng) if kind == "random" else None
    out = dict(example)
    for name in present:
        trimap_name, unknown_name = TRIMAP_SOURCES.get(name, TRIMAP_SOURCES["alpha"])
        out[trimap_name] = _trimaps(example[name], kind, seed)
        out[unknown_name] = out[trimap_name] == UNKNOWN
    return out


_REGION_SOURCES: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("unknown", "instance_unknown"), lambda a: np.asarray(a, bool)),
    (("trimap", "instance_trimaps"), lambda a: np.asarray(a) == UNKNOWN),
    (("alpha", "instance_alphas", MASK_MATTE), lambda a: (np.asarray(a) > 0) & (np.asarray(a) < 255)),
)
"""Where the transition region comes from, first group present wins: the ``unknown`` masks
of ``add_trimap``, else a stored trimap's 128s, else the soft pixels of the mattes (or mask)."""


def transition_region(example: Mapping[str, Any]) -> np.ndarray:
    """(H, W) bool: pixels in the transition (unknown) region of any instance or frame.

    Uses the first group of ``_REGION_SOURCES`` the example has, as the union over its
    fields and over every leading axis (frames, instances). All False if there is none.
    """
    height, width = spatial_size(example)
    region = np.zeros((height, width), bool)
    for names, predicate in _REGION_SOURCES:
        present = [name for name in names if name in example]
        for name in present:
            mask = predicate(example[name])
            region |= mask.reshape(-1, height, width).any(axis=0)
        if present:
            break
    return region


def choose_crop(region: np.ndarray, size: tuple[int, int], rng: np.random.Generator | int) -> tuple[int, int]:
    """Top-left (y, x) of a ``size`` crop: centred on a random ``region`` pixel, else uniform.

    As GCA-Matting's ``RandomCrop`` does (it samples an unknown pixel of the trimap and
    centres the crop on it), but over all unknown pixels at full resolution, and with the
    box shifted back inside the image at the borders, which keeps the chosen pixel inside
    the crop. Without a region (or with an empty one) the box is uniform over the image.
    When the image is smaller than ``size`` along an axis, that axis starts at 0 (the crop
    is padded afterwards).
    """
    rng = as_rng(rng)
    (height, width), (crop_h, crop_w) = region.shape, size
    max_y, max_x = max(height - crop_h, 0), max(width - crop_w, 0)
    ys, xs = np.nonzero(region)
    if ys.size:
        pick = int(rng.integers(ys.size))
        top = int(np.clip(ys[pick] - crop_h // 2, 0, max_y))
        return top, int(np.clip(xs[pick] - crop_w // 2, 0, max_x))
    return int(rng.integers(max_y + 1)), int(rng.integers(max_x + 1))


def crop_field(array: np.ndarray, colour: bool, top_left: tuple[int, int],
               size: tuple[int, int]) -> np.ndarray:
    """The ``size`` window at ``top_left`` of a (..., H, W[, 3]) array, zero-padded past the edge.

    Returns a copy: a view would keep the whole decoded frame (or clip) alive in the batch.
    """
    h_axis = array.ndim - (3 if colour else 2)
    index = [slice(None)] * array.ndim
    index[h_axis] = slice(top_left[0], top_left[0] + size[0])
    index[h_axis + 1] = slice(top_left[1], top_left[1] + size[1])
    window = array[tuple(index)]
    pad = [(0, 0)] * array.ndim
    pad[h_axis] = (0, size[0] - window.shape[h_axis])
    pad[h_axis + 1] = (0, size[1] - window.shape[h_axis + 1])
    return np.pad(window, pad) if any(after for _, after in pad) else window.copy()


def random_crop(example: Mapping[str, Any], size: int | tuple[int, int],
                rng: np.random.Generator | int) -> dict[str, Any]:
    """Crop every per-pixel field of ``example`` (every frame of a clip) with one box.

    The box is ``choose_crop(transition_region(example), ...)``: matting losses live in
    the transition region, so crops are centred on it (GCA-Matting / MaGGIe practice).
    Images smaller than ``size`` are padded with zeros at the bottom and right. Adds
    ``pixel_mask`` (S_h, S_w) bool, True on real pixels (an incoming ``pixel_mask`` is
    cropped like the rest), and ``crop_box`` int64 ``[y0, x0, y1, x1]`` in source pixels.
    """
    crop = (size, size) if isinstance(size, int) else tuple(size)
    out = dict(example)
    if "pixel_mask" not in out:
        out["pixel_mask"] = np.ones(spatial_size(example), bool)
    top_left = choose_crop(transition_region(out), crop, rng)
    for name in spatial_fields(out):
        out[name] = crop_field(np.asarray(out[name]), is_colour(name), top_left, crop)
    y0, x0 = top_left
    out["crop_box"] = np.array([y0, x0, y0 + crop[0], x0 + crop[1]], np.int64)
    return out


def augment_rng(seed: int, key: str, epoch: int = 0) -> np.random.Generator:
    """The generator of ``TrainTransform``'s augmentations for sample ``key``: a stream apart from
    ``example_rng``'s, so turning augmentations on leaves the trimap and crop draws as they were."""
    return np.random.default_rng([_AUGMENT_STREAM, int(seed), int(epoch), config_salt(str(key))])


@dataclass(frozen=True)
class TrainTransform:
    """Augment, ``add_trimap``, ``random_crop``, seeded per sample: the usual matting training view.

    A picklable callable (DataLoader workers), deterministic per (``seed``, ``epoch``,
    ``__key__``). Build a new one per epoch (``dataclasses.replace(t, epoch=e)``) for new
    crops each epoch. The trimap is computed before cropping, at full resolution.
    ``trimap_kind=None`` adds no trimap (the crop then centres on the soft pixels of the
    mattes, if any). ``augment`` (``mattehub.training.augment.AugmentOptions``): rescale and
    flip before the trimap, colour jitter and guidance-mask perturbations after the crop,
    each one draw for every field and frame; None (the default) augments nothing.
    """

    crop_size: int | tuple[int, int] = 512
    trimap_kind: str | None = "random"
    seed: int = 0
    epoch: int = 0
    augment: AugmentOptions | None = None

    def __call__(self, example: Mapping[str, Any]) -> dict[str, Any]:
        """Transform one decoded example."""
        if "__key__" not in example:
            raise ValueError(f"TrainTransform seeds each sample from its '__key__', which this example lacks "
                             f"(keys: {sorted(example)}); pass rows of as_arrays / from_webdataset, or call "
                             "add_trimap and random_crop with a generator of your own")
        key = example["__key__"]
        rng = example_rng(self.seed, key, self.epoch)
        extra = augment_rng(self.seed, key, self.epoch) if self.augment is not None else None
        out = augment_full(example, self.augment, extra) if extra is not None else dict(example)
        if self.trimap_kind is not None:
            out = add_trimap(out, self.trimap_kind, rng)
        out = random_crop(out, self.crop_size, rng)
        return augment_crop(out, self.augment, extra) if extra is not None else out

"""Training on mattehub shards: uint8 arrays for images and clips, matting transforms, padded batches.

- ``to_arrays`` / ``from_webdataset``: a ``datasets`` row or a ``webdataset`` sample as one
  example dict of uint8 arrays (clips: frames (T, H, W, 3), mattes (T, K, H, W));
- ``as_arrays(ds, format, transform)``: a ``datasets`` Dataset / IterableDataset yielding
  those, as numpy or torch, without the int64 cast and the clip failure of ``with_format``;
- ``add_trimap``, ``random_crop``, ``TrainTransform``: trimaps (``mattehub.synthesis.trimap``),
  unknown masks and transition-centred crops, deterministic given a seed;
- ``AugmentOptions`` (``hflip``, ``random_rescale``, ``colour_jitter``, ``perturb_guidance``):
  augmentations drawn once per example and applied to every field and frame;
- ``pad_collate``: a DataLoader ``collate_fn`` for ragged K / H x W / T, with masks.

docs/training.md explains the route and has a training loop that runs as written.
"""
from __future__ import annotations

from mattehub.training.arrays import COLOUR_FIELDS, GREY_FIELDS, decode_image, from_webdataset, spatial_size, to_arrays
from mattehub.training.augment import AugmentOptions, colour_jitter, hflip, random_rescale, resize_field
from mattehub.training.collate import pad_collate, pad_stack
from mattehub.training.formatting import as_arrays, to_torch
from mattehub.training.guidance import GuidanceOptions, perturb_guidance
from mattehub.training.transforms import (TrainTransform, add_trimap, as_rng, augment_rng, choose_crop, crop_field,
                                          draw_trimap_seed, example_rng, random_crop, transition_region,
                                          trimap_sources)

__all__ = [
    "COLOUR_FIELDS", "GREY_FIELDS", "decode_image", "from_webdataset", "spatial_size", "to_arrays",
    "pad_collate", "pad_stack", "as_arrays", "to_torch",
    "TrainTransform", "add_trimap", "as_rng", "choose_crop", "crop_field", "draw_trimap_seed",
    "example_rng", "random_crop", "transition_region", "trimap_sources", "augment_rng",
    "AugmentOptions", "GuidanceOptions", "colour_jitter", "hflip", "perturb_guidance", "random_rescale",
    "resize_field",
]

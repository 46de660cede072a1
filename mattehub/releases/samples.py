"""Turning grouped release files into encoded samples (bytes passed through, never re-encoded).

Image samples: the image and instance mattes are the release's own bytes; ``alpha`` is the
union matte, min(255, sum of instance mattes) (the instance mattes of these releases are
occlusion-applied, so the sum is the union); a mask missing for an instance is an all-zero
PNG, flagged in ``meta.mask_present``. Clip samples: frames and per-frame mattes as stored.
"""
from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from .. import codecs
from ..sample import EncodedSample
from .layouts import natural_key


def sample_key(split: str, name: str, start: int | None = None) -> str:
    """A WebDataset-safe key (no dots or slashes) unique within the config."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", f"{split}_{name}")
    return key if start is None else f"{key}_f{start:05d}"


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _union(mattes: list[bytes], where: list[str]) -> bytes:
    total = None
    for data, name in zip(mattes, where):
        matte = codecs.decode_matte(data, name).astype(np.uint16)
        total = matte if total is None else total + matte
    return codecs.encode_png(np.minimum(total, 255).astype(np.uint8))


def _zero_png(size: tuple[int, int]) -> bytes:
    return codecs.encode_png(np.zeros((size[1], size[0]), np.uint8))


def image_plan(entry: dict, with_masks: bool) -> list[str]:
    """Member names one image sample needs, in a fixed order."""
    ks = sorted(entry["alphas"])
    names = [entry["image"]] + [entry["alphas"][k] for k in ks]
    return names + ([entry["masks"][k] for k in ks if k in entry["masks"]] if with_masks else [])


def image_sample(index: int, key: tuple[str, str], entry: dict, blobs: list[bytes],
                 with_masks: bool, meta_extra: dict) -> EncodedSample:
    """Assemble an image HIM sample from the bytes of ``image_plan`` (same order)."""
    ks = sorted(entry["alphas"])
    image, mattes, masks = blobs[0], blobs[1:1 + len(ks)], iter(blobs[1 + len(ks):])
    width, height = _size(image)
    fields = {"image": image, "alpha": _union(mattes, [entry["alphas"][k] for k in ks]),
              "instance_alphas": mattes}
    present = [k in entry["masks"] for k in ks]
    if with_masks:
        fields["instance_masks"] = [next(masks) if p else _zero_png((width, height)) for p in present]
    fields["meta"] = dict(meta_extra, split=key[0], name=key[1], image_source=entry["image"],
                          alpha_sources=[entry["alphas"][k] for k in ks], width=width,
                          height=height, num_instances=len(ks),
                          mask_present=present if with_masks else [])
    return EncodedSample(index, sample_key(*key), fields)


def clip_frames(entry: dict, start: int, length: int | None) -> list[str]:
    """Frame stems of a clip window, in natural order."""
    stems = sorted(entry["frames"], key=natural_key)
    return stems[start:start + length] if length else stems


def clip_plan(entry: dict, stems: list[str], with_masks: bool) -> list[str]:
    """Member names one clip sample needs: frames, then mattes (and masks) frame by frame."""
    names = [entry["frames"][s] for s in stems]
    for s in stems:
        names += [entry["alphas"][s][k] for k in sorted(entry["alphas"][s])]
    if with_masks:
        for s in stems:
            masks = entry["masks"].get(s, {})
            names += [masks[k] for k in sorted(entry["alphas"][s]) if k in masks]
    return names


def clip_sample(index: int, key: tuple[str, str], entry: dict, stems: list[str], start: int,
                blobs: list[bytes], with_masks: bool, meta_extra: dict,
                windowed: bool) -> EncodedSample:
    """Assemble a clip sample from the bytes of ``clip_plan`` (same order)."""
    count = len(entry["alphas"][stems[0]])
    frames, rest = blobs[:len(stems)], blobs[len(stems):]
    mattes = [rest[i * count:(i + 1) * count] for i in range(len(stems))]
    width, height = _size(frames[0])
    fields = {"frames": frames, "instance_alphas": mattes}
    if with_masks:
        stored, zero = iter(rest[len(stems) * count:]), _zero_png((width, height))
        fields["instance_masks"] = [[next(stored) if k in entry["masks"].get(s, {}) else zero
                                     for k in sorted(entry["alphas"][s])] for s in stems]
    fields["meta"] = dict(meta_extra, split=key[0], video=key[1], start_frame=start,
                          frame_names=stems, num_frames=len(stems), num_instances=count,
                          width=width, height=height)
    return EncodedSample(index, sample_key(*key, start if windowed else None), fields)

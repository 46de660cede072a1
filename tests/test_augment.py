"""mattehub.training augmentations: one draw for every field and frame, seeded per (key, epoch);
trimaps for mask-only configs and the messages of a missing matte or key."""
from __future__ import annotations

import dataclasses
import pickle

import cv2
import numpy as np
import pytest

import mattehub
from mattehub.training import (AugmentOptions, GuidanceOptions, TrainTransform, add_trimap, colour_jitter,
                               hflip, perturb_guidance, random_rescale, spatial_size)

GREY = ("alpha", "instance_alphas", "instance_masks", "mask", "depth", "segmentation", "trimap")
RGB = ("image", "frames", "fg", "bg")


def disc(height: int, width: int, centre: tuple[int, int], radius: float) -> np.ndarray:
    """A soft-edged disc, 0..255 (a matte with a transition band)."""
    y, x = np.mgrid[:height, :width]
    distance = np.hypot(y - centre[0], x - centre[1])
    return np.clip((radius - distance) * 40 + 128, 0, 255).astype(np.uint8)


def full_example(height: int = 90, width: int = 120, frames: int = 0) -> dict:
    """Every per-pixel field kind at once (RGB, soft mattes, 0/255 masks, 16-bit depth, labels),
    left-right asymmetric so that a flip shows; a clip (``frames`` > 0) varies per frame."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[:height, :width]
    image = np.dstack([y * 2, x * 2, np.full_like(y, 40)]).astype(np.uint8)
    mattes = np.stack([disc(height, width, (45, 40), 25), disc(height, width, (40, 85), 18)])
    example = {
        "__key__": "00000007", "meta": {"n": 2},
        "instance_alphas": mattes, "instance_masks": np.where(mattes > 127, 255, 0).astype(np.uint8),
        "fg": np.stack([image, image[::-1]]), "bg": rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
        "alpha": mattes.max(0), "mask": np.where(x < width // 3, 255, 0).astype(np.uint8),
        "depth": (x * 37 + y * 5 + 1000).astype(np.uint16), "segmentation": ((x // 10) % 25).astype(np.uint8),
        "image": image,
    }
    if frames:
        del example["image"], example["alpha"], example["fg"], example["bg"], example["mask"]
        del example["depth"], example["segmentation"]
        example["frames"] = np.stack([np.roll(image, 3 * t, axis=1) for t in range(frames)])
        example["instance_alphas"] = np.stack([np.roll(mattes, 3 * t, axis=-1) for t in range(frames)])
        example["instance_masks"] = np.stack([np.roll(example["instance_masks"], 3 * t, axis=-1)
                                              for t in range(frames)])
    return example


def per_pixel(example: dict) -> list[str]:
    return [n for n in (*RGB, *GREY) if n in example]


def mirrored(array: np.ndarray, name: str) -> np.ndarray:
    return array[..., ::-1, :] if name in RGB else array[..., ::-1]


def frames_of(array: np.ndarray, name: str, clip: bool) -> list[np.ndarray]:
    return list(array) if clip else [array]


# ---------------------------------------------------------------- flip

@pytest.mark.parametrize("frames", [0, 3])
def test_flip_flips_every_field_and_frame_or_none(frames):
    example = full_example(frames=frames)
    outcomes = set()
    for seed in range(12):
        out = hflip(example, np.random.default_rng(seed), p=0.5)
        flipped = {(name, t): np.array_equal(got, mirrored(want, name))
                   for name in per_pixel(example)
                   for t, (got, want) in enumerate(zip(frames_of(out[name], name, frames),
                                                       frames_of(example[name], name, frames)))}
        kept = {(name, t): np.array_equal(got, want)
                for name in per_pixel(example)
                for t, (got, want) in enumerate(zip(frames_of(out[name], name, frames),
                                                    frames_of(example[name], name, frames)))}
        assert all(flipped.values()) or all(kept.values()), (seed, flipped)
        outcomes.add(all(flipped.values()))
        assert all(out[name].flags.c_contiguous for name in per_pixel(example))  # torch.from_numpy takes it
        assert out["meta"] is example["meta"]
    assert outcomes == {True, False}


# ---------------------------------------------------------------- rescale

@pytest.mark.parametrize("frames", [0, 3])
def test_rescale_gives_every_field_and_frame_one_new_size(frames):
    example = add_trimap(full_example(frames=frames), "him-eval")
    sizes = set()
    for seed in range(6):
        out = random_rescale(example, np.random.default_rng(seed), (0.5, 1.6))
        size = spatial_size(out)  # raises if two fields differ
        sizes.add(size)
        for name in per_pixel(example) + ["unknown", "instance_trimaps", "instance_unknown"]:
            if name not in example:
                continue
            assert out[name].dtype == example[name].dtype, name
            lead = example[name].shape[:-3] if name in RGB else example[name].shape[:-2]
            assert out[name].shape[:len(lead)] == lead, name  # every frame and instance kept
        for name in ("instance_masks", "depth", "segmentation", "trimap", "mask"):  # nearest: no new values
            if name in example:
                assert set(np.unique(out[name])) <= set(np.unique(example[name])), name
        smooth = cv2.INTER_AREA if size[0] < example["instance_alphas"].shape[-2] else cv2.INTER_LINEAR
        want = cv2.resize(example["instance_alphas"].reshape(-1, *example["instance_alphas"].shape[-2:])[0],
                          size[::-1], interpolation=smooth)
        assert np.array_equal(out["instance_alphas"].reshape(-1, *size)[0], want)
    assert len(sizes) > 3


# ---------------------------------------------------------------- colour jitter

@pytest.mark.parametrize("frames", [0, 3])
def test_jitter_is_one_colour_map_for_rgb_fields_and_leaves_the_rest(frames):
    example = full_example(frames=frames)
    if frames:
        example["frames"] = np.stack([example["frames"][0]] * frames)  # equal frames stay equal
    else:
        example["bg"] = example["image"].copy()  # equal fields stay equal: one map for all
        example["fg"] = np.stack([example["image"]] * 2)
    out = colour_jitter(example, np.random.default_rng(4), 0.4, 0.4, 0.4, 0.1)
    for name in per_pixel(example):
        if name in RGB:
            assert not np.array_equal(out[name], example[name]) and out[name].dtype == np.uint8, name
        else:
            assert out[name] is example[name], name  # mattes, masks, depth untouched
    reference = out["frames"] if frames else out["image"]
    same = list(reference) if frames else [out["bg"], *out["fg"]]
    assert all(np.array_equal(other, reference[0] if frames else reference) for other in same)


def test_jitter_keeps_the_compositing_equation():
    """One affine map for image, fg and bg: image = alpha fg + (1 - alpha) bg still holds."""
    rng = np.random.default_rng(9)
    fg, bg = (rng.integers(80, 170, (40, 50, 3)).astype(np.uint8) for _ in range(2))
    alpha = rng.random((40, 50, 1))
    image = np.rint(alpha * fg + (1 - alpha) * bg).astype(np.uint8)
    for seed in range(5):
        out = colour_jitter({"image": image, "fg": fg, "bg": bg}, np.random.default_rng(seed), 0.2, 0.2, 0.2, 0.05)
        again = alpha * out["fg"] + (1 - alpha) * out["bg"]
        assert np.abs(out["image"] - again).max() <= 2.0


# ---------------------------------------------------------------- guidance masks (MaGGIe)

ONLY = {  # one perturbation at a time (max_kernel=2: a 1x1 kernel, the identity)
    "erode/dilate": GuidanceOptions(down_up_p=0, cut_p=0, dropout_p=0),
    "down-up": GuidanceOptions(max_kernel=2, down_up_p=1, cut_p=0, dropout_p=0, down_up_ratio=0.1),
    "cut-out": GuidanceOptions(max_kernel=2, down_up_p=0, cut_p=1, dropout_p=0),
    "dropout": GuidanceOptions(max_kernel=2, down_up_p=0, cut_p=0, dropout_p=1),
}


@pytest.mark.parametrize("name", list(ONLY))
def test_each_guidance_perturbation_is_one_draw_for_every_frame(name):
    clip = full_example(frames=4)
    clip["instance_masks"] = np.stack([clip["instance_masks"][0]] * 4)  # identical frames
    changed = 0
    for seed in range(8):
        out = perturb_guidance(clip, np.random.default_rng(seed), ONLY[name])
        masks = out["instance_masks"]
        assert masks.shape == clip["instance_masks"].shape and masks.dtype == np.uint8
        assert set(np.unique(masks)) <= {0, 255}
        assert all(np.array_equal(masks[t], masks[0]) for t in range(4)), seed  # no flicker
        assert out["instance_alphas"] is clip["instance_alphas"] and out["frames"] is clip["frames"]
        changed += not np.array_equal(masks, clip["instance_masks"])
    assert changed >= 3, name


def test_guidance_from_alphas_and_configs_without_masks():
    example = full_example()
    del example["instance_masks"]
    assert "instance_masks" not in perturb_guidance(example, np.random.default_rng(0))
    made = perturb_guidance(example, np.random.default_rng(0), GuidanceOptions(from_alphas=True))
    assert made["instance_masks"].shape == example["instance_alphas"].shape
    assert set(np.unique(made["instance_masks"])) <= {0, 255}
    empty = {**example, "instance_masks": np.zeros((0, 90, 120), np.uint8)}  # `[]`: no masks
    assert perturb_guidance(empty, np.random.default_rng(0))["instance_masks"].shape == (0, 90, 120)


# ---------------------------------------------------------------- TrainTransform

def test_train_transform_augmentations_are_seeded_by_key_and_epoch():
    example = full_example(frames=3)
    transform = TrainTransform(crop_size=48, seed=5, augment=AugmentOptions())
    first, again = transform(example), transform(dict(example))
    arrays = [k for k in first if isinstance(first[k], np.ndarray)]
    assert all(np.array_equal(first[k], again[k]) for k in arrays)
    views = {dataclasses.replace(transform, epoch=e)(example)["frames"].tobytes() for e in range(4)}
    assert len(views) == 4
    other = transform({**example, "__key__": "00000008"})
    assert not np.array_equal(other["frames"], first["frames"])
    assert first["frames"].shape == (3, 48, 48, 3) and first["instance_masks"].shape == (3, 2, 48, 48)
    assert pickle.loads(pickle.dumps(transform)) == transform  # DataLoader workers get copies


def test_train_transform_without_augment_is_unchanged_by_augment_rng():
    """The augmentations draw from their own stream: switching them off gives the crops of before."""
    example = full_example()
    plain = TrainTransform(crop_size=40, seed=2)(example)
    neutral = AugmentOptions(flip_p=0, scale=(1.0, 1.0), brightness=0, contrast=0, saturation=0, hue=0,
                             guidance=None)
    same = TrainTransform(crop_size=40, seed=2, augment=neutral)(example)
    assert all(np.array_equal(plain[k], same[k]) for k in plain if isinstance(plain[k], np.ndarray))


def test_mask_only_configs_get_a_trimap_from_the_mask():
    """overlay-depth has image, mask, depth, bg: the mask is the matte."""
    example = {k: v for k, v in full_example().items() if k in ("__key__", "image", "mask", "depth", "bg")}
    out = add_trimap(example, "him-eval")
    assert np.array_equal(out["trimap"], mattehub.trimap(example["mask"], "him-eval"))
    assert np.array_equal(out["unknown"], out["trimap"] == 128)
    cropped = TrainTransform(crop_size=32, seed=0, augment=AugmentOptions())(example)
    assert cropped["unknown"].any() and cropped["depth"].dtype == np.uint16


def test_missing_matte_or_key_says_what_is_there_and_what_to_pass():
    image_only = {"__key__": "1", "image": np.zeros((8, 8, 3), np.uint8), "meta": {}}
    with pytest.raises(ValueError, match=r"'alpha', 'instance_alphas' or.*'mask'.*\['image'\].*trimap_kind=None"):
        TrainTransform(crop_size=4)(image_only)
    assert TrainTransform(crop_size=4, trimap_kind=None)(image_only)["image"].shape == (4, 4, 3)
    with pytest.raises(ValueError, match=r"'__key__'.*\['image', 'meta'\]"):
        TrainTransform(crop_size=4)({"image": image_only["image"], "meta": {}})


@pytest.mark.parametrize("bad", [dict(flip_p=2), dict(scale=(1.5, 1.0)), dict(brightness=1.0), dict(hue=0.7)])
def test_augment_options_are_checked(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        AugmentOptions(**bad)

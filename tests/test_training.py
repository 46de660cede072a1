"""mattehub.training: uint8 clip arrays through datasets and webdataset, transforms, padded batches."""
from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from pathlib import Path

import cv2
import datasets
import numpy as np
import PIL.Image
import pyarrow.parquet as pq
import pytest
import torch
import webdataset as wds
from torch.utils.data import DataLoader, default_collate

import mattehub
from mattehub.build.run import BuildOptions, build
from mattehub.families.video_him.standin import make_video_sources
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.build.sequence import ShardLimits
from mattehub.training import (TrainTransform, add_trimap, as_arrays, choose_crop, draw_trimap_seed,
                               from_webdataset, pad_collate, random_crop, to_arrays, transition_region)

pytestmark = pytest.mark.usefixtures("fork_safe_opencv")  # DataLoader workers fork (conftest)

DOC = Path(__file__).resolve().parents[1] / "docs" / "training.md"


# ---------------------------------------------------------------- shards and direct decoding

@pytest.fixture(scope="module")
def v_him(hhm, tmp_path_factory) -> Path:
    """A v-him build: 4 clips of 4 frames (480x360, 2 instances) in 2 Parquet + 2 tar shards."""
    root = make_video_sources(tmp_path_factory.mktemp("video"), hhm)
    out = tmp_path_factory.mktemp("v-him-out")
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(root), max_frames=4), seed=0)
    build(recipe, BuildOptions(out=out, num_samples=4, progress=False, limits=ShardLimits(max_samples=2)))
    return out


def parquet_files(out: Path, config: str) -> list[str]:
    return sorted(str(p) for p in (out / config).glob("train-*.parquet"))


def tar_files(out: Path, config: str) -> list[str]:
    return sorted(str(p) for p in (out / "wds" / config).glob("train-*.tar"))


def decode_direct(data: bytes) -> np.ndarray:
    """Independent reference: PNG with OpenCV (lossless, so any decoder agrees), JPEG with Pillow
    (the decoder of datasets and webdataset; JPEG decoders may differ by a level)."""
    if data.startswith(b"\x89PNG"):
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return np.asarray(PIL.Image.open(io.BytesIO(data)).convert("RGB"))


def raw_rows(out: Path, config: str) -> dict[str, dict]:
    """The Parquet rows as stored ({"bytes", "path"} structs), by key, read with pyarrow only."""
    rows = [row for f in parquet_files(out, config) for row in pq.read_table(f).to_pylist()]
    return {row["__key__"]: row for row in rows}


def direct_clip(row: dict) -> tuple[np.ndarray, np.ndarray]:
    frames = np.stack([decode_direct(f["bytes"]) for f in row["frames"]])
    mattes = np.stack([np.stack([decode_direct(m["bytes"]) for m in frame])
                       for frame in row["instance_alphas"]])
    return frames, mattes


def as_numpy(value) -> np.ndarray:
    return value.numpy() if isinstance(value, torch.Tensor) else value


def assert_clip_equals_direct(example: dict, raw: dict[str, dict]) -> None:
    frames, mattes = direct_clip(raw[example["__key__"]])
    got_frames, got_mattes = as_numpy(example["frames"]), as_numpy(example["instance_alphas"])
    t, k = len(raw[example["__key__"]]["frames"]), example["meta"]["num_instances"]
    assert got_frames.dtype == np.uint8 and got_frames.shape == (t, 360, 480, 3)
    assert got_mattes.dtype == np.uint8 and got_mattes.shape == (t, k, 360, 480)
    assert np.array_equal(got_frames, frames) and np.array_equal(got_mattes, mattes)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    """A private datasets cache: map-style loading copies the shards to Arrow files."""
    return str(tmp_path_factory.mktemp("hf-cache"))


def parquet_ds(out: Path, config: str, cache: str) -> datasets.Dataset:
    return datasets.load_dataset("parquet", data_files=parquet_files(out, config), split="train",
                                 cache_dir=cache)


# ---------------------------------------------------------------- what datasets 5.2 does by itself

@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_datasets_formats_fail_on_clips(v_him, fmt, cache):
    """The reason for as_arrays: with_format cannot decode List(List(Image())) (datasets 5.2);
    mattehub's format guard keeps datasets' error and names the route (the torch format also
    warns that the default collate cannot batch the rows)."""
    from mattehub.streaming.format_guard import MattehubFormatWarning

    def warns():
        return pytest.warns(MattehubFormatWarning) if fmt == "torch" else contextlib.nullcontext()

    with pytest.raises(ValueError, match="broadcast"), warns():
        parquet_ds(v_him, "v-him", cache).with_format(fmt)[0]
    with pytest.raises(ValueError, match="broadcast"), warns():
        next(iter(mattehub.stream("v-him", str(v_him)).with_format(fmt)))


def test_datasets_formats_cast_mapped_uint8_to_int64(v_him):
    """Arrays returned by .map come back int64 under with_format: 8x the bytes of uint8."""
    mapped = mattehub.stream("v-him", str(v_him)).map(to_arrays)
    plain = next(iter(mapped))["frames"]
    assert plain.dtype == np.uint8
    cast = next(iter(mapped.with_format("numpy")))["frames"]
    assert cast.dtype == np.int64 and cast.nbytes == 8 * plain.nbytes
    assert next(iter(mapped.with_format("torch")))["frames"].dtype == torch.int64


# ---------------------------------------------------------------- 1. clips as uint8 arrays

@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_as_arrays_dataset_clips_are_exact_uint8(v_him, fmt, cache):
    raw = raw_rows(v_him, "v-him")
    ds = as_arrays(parquet_ds(v_him, "v-him", cache), fmt)
    examples = [ds[i] for i in range(len(ds))]
    assert len(examples) == 4
    for example in examples:
        kind = torch.Tensor if fmt == "torch" else np.ndarray
        assert isinstance(example["frames"], kind) and isinstance(example["meta"], dict)
        assert_clip_equals_direct(example, raw)
    batch = ds[:2]  # batched access: lists of arrays, sizes may differ between rows
    assert [as_numpy(f).dtype for f in batch["frames"]] == [np.uint8, np.uint8]


@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_as_arrays_streaming_clips_are_exact_uint8(v_him, fmt):
    raw = raw_rows(v_him, "v-him")
    examples = list(as_arrays(mattehub.stream("v-him", str(v_him)), fmt))
    assert [e["__key__"] for e in examples] == sorted(raw)
    for example in examples:
        assert_clip_equals_direct(example, raw)


def test_as_arrays_keeps_a_format_set_before(v_him):
    """A streaming dataset someone already set to numpy still decodes (the format is reset)."""
    example = next(iter(as_arrays(mattehub.stream("v-him", str(v_him)).with_format("numpy"))))
    assert example["frames"].dtype == np.uint8


def test_clip_memory_matches_docs(v_him):
    """The bytes per clip quoted in docs/training.md, measured on this build's clip."""
    example = next(iter(as_arrays(mattehub.stream("v-him", str(v_him)))))
    frames, mattes = example["frames"], example["instance_alphas"]
    assert frames.nbytes == 4 * 360 * 480 * 3 and mattes.nbytes == 4 * 2 * 360 * 480
    doc = DOC.read_text()
    for nbytes in (frames.nbytes, mattes.nbytes, frames.nbytes + mattes.nbytes,
                   8 * (frames.nbytes + mattes.nbytes)):
        assert f"{nbytes:,}" in doc


def test_image_config_arrays(built, cache):
    raw = raw_rows(built, "i-him")
    ds = as_arrays(parquet_ds(built, "i-him", cache))
    counts = set()
    for example in (ds[i] for i in range(len(ds))):
        row, k = raw[example["__key__"]], example["meta"]["num_instances"]
        counts.add(k)
        assert example["image"].shape == (360, 480, 3) and example["alpha"].shape == (360, 480)
        assert example["instance_alphas"].shape == (k, 360, 480) and example["fg"].shape == (k, 360, 480, 3)
        assert np.array_equal(example["alpha"], decode_direct(row["alpha"]["bytes"]))
        want = np.stack([decode_direct(m["bytes"]) for m in row["instance_alphas"]])
        assert example["instance_alphas"].dtype == np.uint8
        assert np.array_equal(example["instance_alphas"], want)
    assert len(counts) > 1  # the build has samples with different K, used by the collate tests


def test_empty_instance_lists_keep_their_rank():
    image, clip = np.zeros((5, 6, 3), np.uint8), np.zeros((3, 5, 6, 3), np.uint8)
    assert to_arrays({"image": image, "instance_masks": []})["instance_masks"].shape == (0, 5, 6)
    assert to_arrays({"frames": list(clip), "instance_masks": []})["instance_masks"].shape == (3, 0, 5, 6)
    no_masks = to_arrays({"frames": list(clip), "instance_masks": [[], [], []]})["instance_masks"]
    assert no_masks.shape == (3, 0, 5, 6)


def test_grey_fields_refuse_colour():
    rgb = np.dstack([np.zeros((4, 4), np.uint8), np.ones((4, 4), np.uint8), np.zeros((4, 4), np.uint8)])
    with pytest.raises(ValueError, match="alpha: a single-channel field decoded with 3 different channels"):
        to_arrays({"alpha": rgb})
    with pytest.raises(ValueError, match="image: expected uint8 \\(H, W, 3\\)"):
        to_arrays({"image": np.zeros((4, 4), np.uint8)})


# ---------------------------------------------------------------- webdataset library

@pytest.mark.parametrize("decode", [None, "rgb8"])
@pytest.mark.parametrize("config", ["i-him", "v-him"])
def test_from_webdataset_equals_parquet_route(built, v_him, config, decode, cache):
    out = built if config == "i-him" else v_him
    parquet = as_arrays(parquet_ds(out, config, cache))
    by_key = {parquet[i]["__key__"]: parquet[i] for i in range(len(parquet))}
    pipeline = wds.WebDataset(tar_files(out, config), shardshuffle=False)
    pipeline = (pipeline.decode(decode) if decode else pipeline).map(from_webdataset)
    seen = 0
    for sample in pipeline:
        want = by_key[sample["__key__"]]
        assert set(want) <= set(sample) and sample["meta"] == want["meta"]
        for name, value in want.items():
            if isinstance(value, np.ndarray):
                assert sample[name].dtype == value.dtype and np.array_equal(sample[name], value), name
        seen += 1
    assert seen == len(by_key)


def test_from_webdataset_reads_datasets_wds_rows(v_him):
    """The -wds config of datasets names columns like tar members: the adapter maps them too."""
    raw = raw_rows(v_him, "v-him")
    rows = datasets.load_dataset(str(v_him / "wds"), "v-him-wds", split="train", streaming=True)
    for row in rows:
        assert_clip_equals_direct(from_webdataset(row), raw)


# ---------------------------------------------------------------- 2. trimap transform

def soft_disc(height: int = 90, width: int = 120, centre=(45, 60), radius: float = 20) -> np.ndarray:
    y, x = np.mgrid[:height, :width]
    distance = np.hypot(y - centre[0], x - centre[1])
    return np.clip((radius - distance) * 40 + 128, 0, 255).astype(np.uint8)


def test_add_trimap_is_mattehub_trimap():
    alpha = soft_disc()
    example = {"alpha": alpha, "instance_alphas": np.stack([alpha, soft_disc(centre=(30, 30))])}
    fixed = add_trimap(example, "him-eval")
    assert np.array_equal(fixed["trimap"], mattehub.trimap(alpha, "him-eval"))
    assert np.array_equal(fixed["unknown"], fixed["trimap"] == 128) and fixed["unknown"].dtype == bool
    for rng in (0, 1, 2):
        seed = draw_trimap_seed(rng)
        out = add_trimap(example, "random", rng=rng)
        assert np.array_equal(out["trimap"], mattehub.trimap(alpha, "random", seed=seed))
        for k in range(2):
            want = mattehub.trimap(example["instance_alphas"][k], "random", seed=seed)
            assert np.array_equal(out["instance_trimaps"][k], want)
            assert np.array_equal(out["instance_unknown"][k], want == 128)


def test_random_band_width_varies_and_is_seeded():
    alpha = soft_disc()
    widths = {int(add_trimap({"alpha": alpha}, "random", rng=seed)["unknown"].sum()) for seed in range(8)}
    assert len(widths) > 2
    first, again = (add_trimap({"alpha": alpha}, "random", rng=np.random.default_rng(5)) for _ in range(2))
    assert np.array_equal(first["trimap"], again["trimap"])
    with pytest.raises(ValueError, match="needs rng"):
        add_trimap({"alpha": alpha}, "random")


def test_add_trimap_on_clip_is_per_frame_and_instance(v_him):
    clip = next(iter(as_arrays(mattehub.stream("v-him", str(v_him)))))
    out = add_trimap(clip, "random", rng=3)
    seed = draw_trimap_seed(3)
    assert out["instance_trimaps"].shape == clip["instance_alphas"].shape == (4, 2, 360, 480)
    for t in range(4):
        for k in range(2):
            want = mattehub.trimap(clip["instance_alphas"][t, k], "random", seed=seed)
            assert np.array_equal(out["instance_trimaps"][t, k], want)


# ---------------------------------------------------------------- crop

def coded_example(height: int = 120, width: int = 160, frames: int = 0) -> dict:
    """Fields whose pixels encode their own coordinates, so a crop's source window is checkable."""
    y, x = np.mgrid[:height, :width]
    image = np.dstack([y, x, np.full_like(y, 7)]).astype(np.uint8)
    grey = ((y * 3 + x) % 256).astype(np.uint8)
    example = {"__key__": "00000001", "alpha": soft_disc(height, width, (height // 2, width // 2), 25),
               "instance_alphas": np.stack([grey, 255 - grey]), "bg": image[::-1].copy(), "meta": {"n": 1}}
    if frames:
        example["frames"] = np.stack([image + t for t in range(frames)])
        example["instance_alphas"] = np.stack([example["instance_alphas"] + t for t in range(frames)])
        del example["alpha"], example["bg"]
    else:
        example["image"] = image
    return example


def source_window(array: np.ndarray, colour: bool, box) -> np.ndarray:
    y0, x0, y1, x1 = box
    return array[..., y0:y1, x0:x1, :] if colour else array[..., y0:y1, x0:x1]


@pytest.mark.parametrize("frames", [0, 3])
def test_crop_uses_one_box_for_every_field_and_frame(frames):
    example = add_trimap(coded_example(frames=frames), "him-eval")
    out = random_crop(example, 64, rng=11)
    box = out["crop_box"]
    assert box[2] - box[0] == 64 and box[3] - box[1] == 64
    colour = {"image", "frames", "bg"}
    for name in ("image", "frames", "bg", "alpha", "trimap", "unknown", "instance_alphas",
                 "instance_trimaps", "instance_unknown"):
        if name in example:
            assert np.array_equal(out[name], source_window(example[name], name in colour, box)), name
    if frames:
        for t in range(frames):  # frame t is image + t: same window in every frame
            assert out["frames"][t, 0, 0, 0] == box[0] + t and out["frames"][t, 0, 0, 1] == box[1] + t
    assert out["pixel_mask"].all() and out["meta"] == {"n": 1}


def test_crop_is_centred_on_a_transition_pixel():
    example = coded_example()
    example["unknown"] = np.zeros((120, 160), bool)
    example["unknown"][60, 80] = True  # the only transition pixel
    for seed in range(5):
        assert list(random_crop(example, 64, rng=seed)["crop_box"]) == [28, 48, 92, 112]
    example["unknown"][:] = False
    example["unknown"][110, 150] = True  # near the corner: shifted inside, still contains it
    y0, x0, y1, x1 = random_crop(example, 64, rng=0)["crop_box"]
    assert (y0, x0, y1, x1) == (56, 96, 120, 160) and y0 <= 110 < y1 and x0 <= 150 < x1


def test_crop_contains_the_chosen_unknown_pixel_for_real_trimaps():
    example = add_trimap(coded_example(), "random", rng=4)
    region = transition_region(example)
    assert region.any()
    for seed in range(20):
        y0, x0, y1, x1 = random_crop(example, 48, rng=seed)["crop_box"]
        assert region[y0:y1, x0:x1].any()
        centre = (y0 + 24, x0 + 24)
        assert region[centre] or _clamped(y0, x0, 120, 160, 48)


def _clamped(y0: int, x0: int, height: int, width: int, size: int) -> bool:
    return y0 in (0, height - size) or x0 in (0, width - size)


def test_crop_is_deterministic_and_random_without_region():
    example = coded_example()
    example["unknown"] = np.zeros((120, 160), bool)
    boxes = [tuple(random_crop(example, 32, rng=seed)["crop_box"]) for seed in range(10)]
    assert len(set(boxes)) > 3  # uniform when nothing is unknown
    assert boxes == [tuple(random_crop(example, 32, rng=seed)["crop_box"]) for seed in range(10)]
    generator = np.random.default_rng(9)
    draws = [choose_crop(example["unknown"], (32, 32), generator) for _ in range(2)]
    assert draws[0] != draws[1]  # a Generator argument is advanced, not reseeded


def test_crop_pads_small_images():
    example = coded_example(height=40, width=50)
    out = random_crop(add_trimap(example, "him-eval"), 64, rng=0)
    assert out["image"].shape == (64, 64, 3) and out["instance_alphas"].shape == (2, 64, 64)
    assert np.array_equal(out["image"][:40, :50], example["image"]) and not out["image"][40:].any()
    mask = out["pixel_mask"]
    assert mask[:40, :50].all() and not mask[40:].any() and not mask[:, 50:].any()
    assert list(out["crop_box"]) == [0, 0, 64, 64]


def test_train_transform_is_seeded_by_key_and_epoch():
    example = coded_example()
    transform = TrainTransform(crop_size=48, seed=3)
    first, again = transform(example), transform(dict(example))
    assert all(np.array_equal(first[k], again[k]) for k in first if isinstance(first[k], np.ndarray))
    boxes = {tuple(dataclasses.replace(transform, epoch=e)(example)["crop_box"]) for e in range(6)}
    assert len(boxes) > 1


# ---------------------------------------------------------------- collate

def ragged_batch() -> list[dict]:
    rng = np.random.default_rng(0)
    a = {"__key__": "a", "image": rng.integers(1, 256, (30, 40, 3), dtype=np.uint8),
         "instance_alphas": rng.integers(1, 256, (3, 30, 40), dtype=np.uint8), "meta": {"k": 3}}
    b = {"__key__": "b", "image": rng.integers(1, 256, (20, 50, 3), dtype=np.uint8),
         "instance_alphas": rng.integers(1, 256, (2, 20, 50), dtype=np.uint8), "meta": {"k": 2}}
    return [a, b]


def test_default_collate_fails_where_pad_collate_pads():
    batch = ragged_batch()
    with pytest.raises(RuntimeError):
        default_collate(batch)
    out = pad_collate(batch)
    assert out["image"].shape == (2, 30, 50, 3) and out["image"].dtype == torch.uint8
    assert out["instance_alphas"].shape == (2, 3, 30, 50) and out["instance_alphas"].dtype == torch.uint8
    assert out["instance_mask"].tolist() == [[True, True, True], [True, True, False]]
    assert out["sizes"].tolist() == [[30, 40], [20, 50]]
    for i, (h, w) in enumerate([(30, 40), (20, 50)]):
        assert out["pixel_mask"][i, :h, :w].all() and out["pixel_mask"][i].sum() == h * w
        assert np.array_equal(out["image"][i, :h, :w].numpy(), batch[i]["image"])
        k = batch[i]["instance_alphas"].shape[0]
        assert np.array_equal(out["instance_alphas"][i, :k, :h, :w].numpy(), batch[i]["instance_alphas"])
    # padding is zeros exactly where the masks say so (the inputs have no zero)
    assert ((out["image"] > 0).all(-1) == out["pixel_mask"]).all()
    real = out["instance_mask"][:, :, None, None] & out["pixel_mask"][:, None]
    assert ((out["instance_alphas"] > 0) == real).all()
    assert out["__key__"] == ["a", "b"] and out["meta"] == [{"k": 3}, {"k": 2}]


def test_pad_collate_clips_and_numpy_output():
    clips = [{"frames": np.ones((t, 8, 9, 3), np.uint8), "instance_alphas": np.ones((t, k, 8, 9), np.uint8)}
             for t, k in ((3, 1), (2, 2))]
    out = pad_collate(clips, as_tensors=False)
    assert out["frames"].shape == (2, 3, 8, 9, 3) and out["instance_alphas"].shape == (2, 3, 2, 8, 9)
    assert out["frame_mask"].tolist() == [[True, True, True], [True, True, False]]
    assert out["instance_mask"].tolist() == [[True, False], [True, True]]
    assert isinstance(out["frames"], np.ndarray) and out["frames"].dtype == np.uint8


# ---------------------------------------------------------------- end to end through a DataLoader

def test_dataloader_over_datasets_and_webdataset_agree(built, cache):
    transform = TrainTransform(crop_size=128, seed=7)
    ds = as_arrays(parquet_ds(built, "i-him", cache), "numpy", transform)
    pipeline = wds.WebDataset(tar_files(built, "i-him"), shardshuffle=False)
    pipeline = pipeline.map(from_webdataset).map(transform)
    from_datasets = list(DataLoader(ds, batch_size=4, collate_fn=pad_collate, num_workers=0))
    from_wds = list(DataLoader(pipeline, batch_size=4, collate_fn=pad_collate, num_workers=0))
    assert len(from_datasets) == len(from_wds) == 5
    ragged = False
    for one, two in zip(from_datasets, from_wds):
        assert one["__key__"] == two["__key__"]
        counts = [m["num_instances"] for m in one["meta"]]
        assert one["instance_mask"].sum(1).tolist() == counts
        ragged |= len(set(counts)) > 1
        assert one["image"].shape == (4, 128, 128, 3) and one["image"].dtype == torch.uint8
        assert one["instance_alphas"].shape == (4, max(counts), 128, 128)
        for name in ("image", "alpha", "trimap", "unknown", "instance_alphas", "instance_trimaps",
                     "crop_box"):
            assert torch.equal(one[name], two[name]), name  # same crops: seeded by key, not by order
        region = one["unknown"]
        assert region.flatten(1).any(1).all()  # every crop holds transition pixels
    assert ragged


def test_dataloader_over_streamed_clips(v_him):
    ds = as_arrays(mattehub.stream("v-him", str(v_him)), "torch", TrainTransform(crop_size=96, seed=1))
    batches = list(DataLoader(ds, batch_size=3, collate_fn=pad_collate, num_workers=0))
    assert [len(b["__key__"]) for b in batches] == [3, 1]
    first = batches[0]
    assert first["frames"].shape == (3, 4, 96, 96, 3) and first["frames"].dtype == torch.uint8
    assert first["instance_alphas"].shape == (3, 4, 2, 96, 96) and first["frame_mask"].all()
    assert first["instance_unknown"].flatten(1).any(1).all()


# ---------------------------------------------------------------- 3. the documented training loop runs

def doc_snippets() -> list[str]:
    """Every ```python block of docs/training.md that follows a '<!-- runs in tests -->' line."""
    return re.findall(r"<!-- runs in tests -->\s*```python\n(.*?)```", DOC.read_text(), re.S)


@pytest.mark.parametrize("index", [0, 1])
def test_doc_snippets_run_as_written(built, v_him, index):
    snippets = doc_snippets()
    assert len(snippets) == 2
    code = snippets[index]
    assert re.search(r'^OUT = "shards"', code, re.M)  # the only line the test changes
    out = built if "i-him" in code else v_him
    code = re.sub(r'^OUT = "shards".*$', f"OUT = {str(out)!r}", code, flags=re.M)
    scope: dict = {}
    exec(compile(code, str(DOC), "exec"), scope)
    assert scope["steps"] > 0

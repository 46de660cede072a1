"""as_arrays' fast route (mattehub.training.stored): the stored bytes decoded without Pillow
give Pillow's arrays exactly, for every field of every demo config, and datasets decodes nothing."""
from __future__ import annotations

import glob
import io
import struct
from collections import Counter
from pathlib import Path

import cv2
import datasets
import numpy as np
import PIL.Image
import pyarrow.parquet as pq
import pytest
import torch

import mattehub
from mattehub.cli.demo import run_demo
from mattehub.contract import png
from mattehub.training import as_arrays, decode_image, to_arrays
from mattehub.training import arrays, stored
from mattehub.training.arrays import spatial_fields


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo output folder: every config, built once for this module."""
    out = tmp_path_factory.mktemp("stored") / "mattehub-demo"
    run_demo(out, workers=1, progress=False)
    return out


def demo_configs(demo: Path) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for path in sorted(glob.glob(str(demo / "*" / "*.parquet"))):
        files.setdefault(Path(path).parent.name, []).append(path)
    return files


def kind_of(data: bytes) -> str:
    if data[:8] == png.SIGNATURE:
        depth, colour_type = struct.unpack(">BB", data[24:26])
        return f"png{depth}-{'rgb' if colour_type == 2 else 'grey'}"
    return "jpeg"


def leaves(value) -> list[bytes]:
    if isinstance(value, dict):
        return [value["bytes"]]
    return [data for item in value for data in leaves(item)] if isinstance(value, list) else []


def test_every_demo_field_equals_the_pillow_route(demo, tmp_path, monkeypatch):
    """Per config: rows decoded by datasets (PIL images, today's route) through to_arrays equal
    as_arrays' rows, decoded from the stored bytes with Pillow refused; the stored kinds cover
    8/16-bit grey PNG, RGB PNG and JPEG as one image, a list and a clip (list of lists)."""
    seen = Counter()
    for config, files in demo_configs(demo).items():
        ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path))
        expected = [to_arrays(row) for row in ds]
        with monkeypatch.context() as patch:
            refuse_pillow(patch)
            got = list(as_arrays(ds, "numpy"))
        assert len(got) == len(expected) > 0
        stored_rows = [row for path in files for row in pq.read_table(path).to_pylist()]
        for want, have, row in zip(expected, got, stored_rows):
            for name in spatial_fields(want):
                assert have[name].dtype == want[name].dtype and have[name].shape == want[name].shape, (config, name)
                assert np.array_equal(have[name], want[name]), (config, name)
                value = row[name]
                nesting = ("one" if not isinstance(value, list) else
                           "clip" if value and isinstance(value[0], list) else "list")
                seen.update((kind_of(data), nesting) for data in leaves(value))
    assert {kind for kind, _ in seen} == {"png8-grey", "png16-grey", "png8-rgb", "jpeg"}
    assert {("jpeg", "one"), ("jpeg", "list"), ("png8-grey", "list"), ("png8-grey", "clip")} <= set(seen)


def refuse_pillow(patch) -> None:
    """Fail if a stored image is decoded with Pillow, by datasets or by to_arrays (sources
    read by a made-on-the-fly stream still use it)."""
    def refuse(*args, **kwargs):
        raise AssertionError("Pillow was asked to decode a stored image")

    patch.setattr(datasets.Image, "decode_example", refuse)
    patch.setattr(arrays, "_open", refuse)


def test_streams_skip_pillow(demo, hhm, tmp_path, monkeypatch):
    """Shard folder streamed (Parquet and a -wds config) and a made-on-the-fly stream, as
    IterableDatasets: the same arrays as the Dataset route, and no Pillow."""
    files = demo_configs(demo)["v-him"]
    want = {row["__key__"]: row for row in as_arrays(
        datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path)))}
    refuse_pillow(monkeypatch)
    parquet = list(as_arrays(mattehub.stream("v-him", str(demo))))
    tars = list(as_arrays(datasets.load_dataset(str(demo / "wds"), "v-him-wds", split="train", streaming=True)))
    assert len(parquet) == len(tars) == len(want)
    for example in parquet + tars:
        for name in ("frames", "instance_alphas"):
            assert np.array_equal(example[name], want[example["__key__"]][name]), name
    made = mattehub.stream("i-him", str(hhm.image_root), bg_root=str(hhm.bg_root),
                           invalid_names=str(hhm.invalid_names), num_samples=2)
    examples = list(as_arrays(made, "torch"))
    assert len(examples) == 2 and examples[0]["instance_alphas"].dtype == torch.uint8


def test_dataset_route_shares_the_table(built, tmp_path):
    """The Dataset keeps its Arrow table: no cache file is written to switch decoding off."""
    files = sorted(str(p) for p in (built / "i-him").glob("train-*.parquet"))
    ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path))
    before = sorted(p.name for p in tmp_path.rglob("*.arrow"))
    out = as_arrays(ds)
    assert out.data.table is ds.data.table
    assert not out.features["image"].decode and not out.features["instance_alphas"].feature.decode
    assert sorted(p.name for p in tmp_path.rglob("*.arrow")) == before
    assert isinstance(ds[0]["image"], PIL.Image.Image)  # the input is unchanged
    assert out[0]["image"].dtype == np.uint8


def pillow(data: bytes, colour: bool) -> np.ndarray:
    image = PIL.Image.open(io.BytesIO(data))
    return np.array(image.convert("RGB") if colour else image)


@pytest.mark.parametrize("array,kind", [
    (np.random.default_rng(0).integers(0, 256, (37, 53), np.uint8), png.FILTER_NONE),
    (np.random.default_rng(1).integers(0, 256, (37, 53), np.uint8), png.FILTER_UP),
    (np.random.default_rng(2).integers(0, 256, (37, 53), np.uint8), png.FILTER_SUB),
    (np.random.default_rng(3).integers(0, 65536, (37, 53), np.uint16), png.FILTER_UP),
    (np.random.default_rng(4).integers(0, 65536, (37, 53), np.uint16), png.FILTER_NONE),
    (np.random.default_rng(5).integers(0, 65536, (37, 53), np.uint16), png.FILTER_SUB),
    (np.random.default_rng(6).integers(0, 256, (37, 53, 3), np.uint8), png.FILTER_SUB),
    (np.random.default_rng(7).integers(0, 256, (37, 53, 3), np.uint8), png.FILTER_UP),
])
def test_own_png_route_equals_pillow(array, kind):
    data = png.encode(array, kind)
    colour = array.ndim == 3
    found = stored.header(data, colour)
    assert found is not None and found.route.__name__ == "_own_png"
    decoded = stored.decode(data, found)
    assert decoded.dtype == array.dtype and np.array_equal(decoded, array)
    assert np.array_equal(decoded, pillow(data, colour))


def test_libpng_files_take_the_opencv_route():
    """Adaptive filters (Paeth, Average) from libpng: decoded by libpng, equal to Pillow."""
    rng = np.random.default_rng(0)
    smooth = cv2.GaussianBlur(rng.integers(0, 256, (40, 60), np.uint8), (9, 9), 3)
    for array in (smooth, np.dstack([smooth, smooth[::-1], 255 - smooth])):
        data = cv2.imencode(".png", array)[1].tobytes()
        colour = array.ndim == 3
        decoded = stored.decode(data, stored.header(data, colour))
        assert decoded is not None and np.array_equal(decoded, pillow(data, colour))


def jpeg_with_exif(rgb: np.ndarray) -> bytes:
    image = PIL.Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_pillow_only_cases_are_left_to_pillow():
    """EXIF rotation, palettes, grey+alpha, 16-bit RGB: Pillow's arrays as before."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (24, 40, 3), np.uint8)
    rotated = jpeg_with_exif(rgb)
    assert stored.header(rotated, True) is None
    assert decode_image(rotated, True).shape == (40, 24, 3)
    cases = {"P": PIL.Image.fromarray(rgb).convert("P"), "LA": PIL.Image.fromarray(rgb).convert("LA")}
    for mode, image in cases.items():
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        assert stored.header(buffer.getvalue(), True) is None, mode
        assert np.array_equal(decode_image(buffer.getvalue(), True), np.array(image.convert("RGB")))
    wide = cv2.imencode(".png", rgb.astype(np.uint16) * 257)[1].tobytes()
    assert stored.header(wide, True) is None
    assert np.array_equal(decode_image(wide, True), pillow(wide, True))


def test_grey_jpeg_and_colour_checks_match_pillow():
    grey = np.random.default_rng(0).integers(0, 256, (30, 20), np.uint8)
    data = cv2.imencode(".jpg", grey)[1].tobytes()
    assert np.array_equal(decode_image(data, True), pillow(data, True))
    assert np.array_equal(decode_image(data, False), pillow(data, False))
    colour = cv2.imencode(".jpg", np.dstack([grey] * 3) + 1)[1].tobytes()
    with pytest.raises(ValueError, match="single-channel"):
        decode_image(colour, False, "alpha")


def test_damaged_png_fails_as_before():
    data = bytearray(png.encode(np.zeros((8, 8), np.uint8), png.FILTER_NONE))
    data[40] ^= 0xFF  # inside IDAT: the CRC no longer matches
    assert stored.decode(bytes(data), stored.header(bytes(data), False)) is None
    with pytest.raises(Exception):
        decode_image(bytes(data), False)


def test_lists_decode_into_one_array_and_refuse_mixed_sizes():
    frames = [png.encode(np.full((6, 5), k, np.uint8), png.FILTER_NONE) for k in range(6)]
    rgb = cv2.imencode(".png", np.full((6, 5, 3), 9, np.uint8))[1].tobytes()
    clip = to_arrays({"frames": [rgb, rgb], "instance_alphas": [frames[:3], frames[3:]]})
    assert clip["frames"].shape == (2, 6, 5, 3)
    assert clip["instance_alphas"].shape == (2, 3, 6, 5)
    assert clip["instance_alphas"][1, 2, 0, 0] == 5
    other = png.encode(np.zeros((7, 5), np.uint8), png.FILTER_NONE)
    with pytest.raises(ValueError, match="different shapes"):
        to_arrays({"alpha": frames[0], "instance_alphas": [frames[0], other]})

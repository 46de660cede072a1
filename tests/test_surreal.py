"""surreal-alpha on a SURREAL tree written independently of the demo (tests/surreal_tree.py).

Every field of every built sample is decoded from the Parquet shards (the WebDataset
members must hold the same bytes) and checked against the source files read back with
scipy and PyAV: labels exact, alpha binary from the labels, depth in millimetres with the
invalid rule, the composite, fg masked, pose/joints of the right frame. Also: the id ->
(clip, frame, background) mapping, identical bytes for 1 and 2 workers, --frame-stride,
--split, the four --data-dir levels, background choice, no BGR swap, decode counts, resume.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.io
from PIL import Image

from mattehub.cli.main import main
from mattehub.output.layout import OutputLayout
from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
from mattehub.families.surreal_alpha import sources as surreal
from surreal_tree import (RED, RED_LABEL, SPECIAL_DEPTHS, decoded_frames, expected_millimetres,
                          mat_frames)

CONFIG = "surreal-alpha"
IMAGE_FIELDS = ("image", "alpha", "fg", "bg", "depth", "segmentation")


# Running builds and reading them back ----------------------------------------------------

def cli(*argv) -> tuple[int, str, str]:
    """``mattehub ARGV`` in process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@dataclass
class Built:
    out: Path
    split: str
    stdout: str
    decodes: dict
    """surreal.DECODES increments during the build (this process only)."""
    num_bgs: int
    stride: int

    def rows(self) -> list[dict]:
        return parquet_rows(self.out, self.split)

    def record(self) -> dict:
        return json.loads(OutputLayout(self.out).build_record(CONFIG, self.split).read_text())

    def summary(self) -> dict:
        return json.loads(OutputLayout(self.out).split_summary(CONFIG, self.split).read_text())


def build_args(data_dir, bg_root, out, *extra) -> list:
    return ["build", CONFIG, "--out", out, "--data-dir", data_dir, "--bg-root", bg_root,
            "--max-samples-per-shard", "8", "--no-progress", *extra]


def run_build(tree, out: Path, *extra, split: str = "train", num_bgs: int = 1,
              stride: int = 1) -> Built:
    before = dict(surreal.DECODES)
    args = build_args(tree.root, tree.bg_root, out, "--split", split, "--num-bgs", num_bgs,
                      "--frame-stride", stride, *extra)
    code, stdout, stderr = cli(*args)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    decodes = {k: v - before.get(k, 0) for k, v in surreal.DECODES.items()}
    return Built(out, split, stdout, decodes, num_bgs, stride)


def parquet_rows(out: Path, split: str = "train") -> list[dict]:
    rows = []
    for path in sorted((out / CONFIG).glob(f"{split}-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def wds_members(out: Path, split: str = "train") -> dict[str, dict[str, bytes]]:
    """key -> {member suffix (``image.jpg``...): bytes} of every tar of the split."""
    samples: dict[str, dict[str, bytes]] = {}
    for path in sorted((out / "wds" / CONFIG).glob(f"{split}-*.tar")):
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                key, suffix = member.name.split(".", 1)
                samples.setdefault(key, {})[suffix] = tar.extractfile(member).read()
    return samples


def shard_hashes(out: Path) -> dict[str, str]:
    files = sorted(list(out.rglob("*.parquet")) + list(out.rglob("*.tar")))
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def decode(data: bytes, mode: str) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == mode, f"{image.mode} stored where {mode} is expected"
        return np.asarray(image)


def fields(row: dict) -> dict[str, np.ndarray]:
    fmt = row["meta"]["image_format"]
    out = {name: decode(row[name]["bytes"], "RGB") for name in ("image", "fg", "bg")}
    out["alpha"] = decode(row["alpha"]["bytes"], "L")
    out["segmentation"] = decode(row["segmentation"]["bytes"], "L")
    depth = row["depth"]["bytes"]
    assert depth[:8] == b"\x89PNG\r\n\x1a\n" and depth[24] == 16 and depth[25] == 0, \
        "depth must be a 16-bit greyscale PNG"
    out["depth"] = decode(depth, "I;16")
    assert out["depth"].dtype == np.uint16
    for name in ("image", "fg", "bg"):
        magic = row[name]["bytes"][:3] == b"\xff\xd8\xff" if fmt == "jpg" else \
            row[name]["bytes"][:4] == b"\x89PNG"
        assert magic, f"{name} is not {fmt}"
    return out


# Ground truth from the source files ------------------------------------------------------

@functools.lru_cache(maxsize=None)
def source(base: str) -> dict:
    """Decoded frames, labels, depth and info of one clip, read with PyAV and scipy."""
    base_path = Path(base)
    path = lambda suffix: base_path.with_name(base_path.name + suffix)  # noqa: E731
    return {"rgb": decoded_frames(path(".mp4")), "labels": mat_frames(path("_segm.mat"), "segm"),
            "depth": mat_frames(path("_depth.mat"), "depth") if path("_depth.mat").exists() else None,
            "info": scipy.io.loadmat(str(path("_info.mat"))) if path("_info.mat").exists() else None}


def clip_source(tree, name: str) -> dict:
    return source(str(tree.clips[name].base))


def nearest(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize to (width, height), pixel centres mapped exactly."""
    height, width = array.shape[:2]
    ys = np.minimum(((np.arange(size[1]) + 0.5) * height / size[1]).astype(int), height - 1)
    xs = np.minimum(((np.arange(size[0]) + 0.5) * width / size[0]).astype(int), width - 1)
    return array[ys][:, xs]


def on_canvas(array: np.ndarray, box, canvas: tuple[int, int]) -> np.ndarray:
    """``array`` nearest-resized into ``box`` (x, y, w, h) of a zero canvas (width, height)."""
    x, y, w, h = box
    out = np.zeros((canvas[1], canvas[0]) + array.shape[2:], array.dtype)
    out[y:y + h, x:x + w] = nearest(array, (w, h))
    return out


def expected_geometry(layout: str, bg_size: tuple[int, int], dim_size: int = 640):
    """(canvas, frame box, background scale, scaled background size, crop) per docs/format.md
    and docs/sources.md, 'SURREAL': native = the 320x240 frame, background scaled to cover and centre-cropped;
    dim = background shorter side ``dim_size`` is the canvas, frame longer side 640 centred."""
    w, h = bg_size
    if layout == "native":
        scale = max(320 / w, 240 / h)
        scaled = (max(320, round(w * scale)), max(240, round(h * scale)))
        return (320, 240), (0, 0, 320, 240), scale, scaled, ((scaled[0] - 320) // 2,
                                                             (scaled[1] - 240) // 2)
    scale = dim_size / min(w, h)
    canvas = (max(dim_size, round(w * scale)), max(dim_size, round(h * scale)))
    box = ((canvas[0] - 640) // 2, (canvas[1] - 480) // 2, 640, 480)
    return canvas, box, scale, canvas, (0, 0)


def expected_background(tree, rel: str, scaled: tuple[int, int], crop, canvas) -> np.ndarray:
    """The background file resized (PIL, area or bicubic) and cropped: a loose reference."""
    with Image.open(tree.bg_root / rel) as image:
        image = image.convert("RGB")
        shrink = scaled[0] * scaled[1] < image.size[0] * image.size[1]
        image = image.resize(scaled, Image.BOX if shrink else Image.BICUBIC)
        array = np.asarray(image)
    return array[crop[1]:crop[1] + canvas[1], crop[0]:crop[0] + canvas[0]]


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int32) - b.astype(np.int32)).mean())


def interior(mask: np.ndarray, margin: int) -> np.ndarray:
    """``mask`` shrunk by ``margin`` pixels (away from JPEG ringing at edges)."""
    out = mask.copy()
    for axis in (0, 1):
        for shift in range(1, margin + 1):
            out &= np.roll(mask, shift, axis) & np.roll(mask, -shift, axis)
    return out


def check_sample(tree, row: dict, exact: bool) -> None:
    """Every field of one row against the source files; ``exact`` for PNG-encoded colour."""
    meta, got = row["meta"], fields(row)
    key = row["__key__"]
    src = clip_source(tree, meta["clip"])
    t = meta["frame"]
    canvas, box, scale, scaled, crop = expected_geometry(meta["layout"],
                                                         tuple(meta["background_size"]))
    assert (meta["width"], meta["height"]) == canvas and meta["frame_box"] == list(box), key
    assert meta["background_scale"] == pytest.approx(scale) and meta["background_crop"] == list(crop)
    assert meta["frame_scale"] == pytest.approx(box[2] / 320)
    for name, array in got.items():
        assert array.shape[:2] == canvas[::-1], (key, name, array.shape)

    labels = on_canvas(src["labels"][t], box, canvas)
    assert np.array_equal(got["segmentation"], labels), f"{key}: segmentation != segm_{t + 1}"
    assert np.array_equal(got["alpha"], np.where(labels > 0, 255, 0).astype(np.uint8)), key
    if src["depth"] is not None:
        assert meta["depth_available"] is True
        mm = on_canvas(expected_millimetres(src["depth"][t]), box, canvas)
        assert np.array_equal(got["depth"], mm), f"{key}: depth != round(metres x 1000) rule"
    else:
        assert meta["depth_available"] is False and not got["depth"].any()

    person = got["alpha"] == 255
    frame = on_canvas(src["rgb"][t], box, canvas)
    composite = np.where(person[:, :, None], got["fg"], got["bg"])
    reference = np.where(person[:, :, None], frame, got["bg"])
    if exact:
        assert np.array_equal(got["image"], composite), f"{key}: image != alpha*fg + (1-alpha)*bg"
        assert not got["fg"][~person].any(), f"{key}: fg is not 0 where alpha is 0"
        if box[2] == 320:  # unscaled frame: fg is the decoded frame itself
            assert np.array_equal(got["fg"][person], src["rgb"][t][person]), key
    else:
        assert mean_abs(got["image"], composite) < 3, key
        assert got["fg"][~person].mean() < 1.5, f"{key}: fg is not 0 where alpha is 0"
        far = got["fg"][interior(~person, 16)]  # JPEG ringing aside, exactly 0
        assert (far > 0).mean() < 1e-3 and far.max() <= 16, f"{key}: fg is not 0 where alpha is 0"
    assert mean_abs(got["image"], reference) < 3, f"{key}: image is not the frame over bg"
    inside = interior(person, 2)
    assert mean_abs(got["image"][inside], frame[inside]) < 4, f"{key}: person != decoded frame"
    assert mean_abs(got["fg"][inside], frame[inside]) < 4, f"{key}: fg != decoded frame"
    background = expected_background(tree, meta["background"], scaled, crop, canvas)
    assert mean_abs(got["bg"], background) < 12, f"{key}: bg is not {meta['background']}"


# Builds shared by the tests ---------------------------------------------------------------

@pytest.fixture(scope="module")
def native(surreal_tree, tmp_path_factory) -> Built:
    """Default options (native, JPEG), 2 backgrounds per frame: 20 samples in 3 shards."""
    return run_build(surreal_tree, tmp_path_factory.mktemp("native"), num_bgs=2)


@pytest.fixture(scope="module")
def native_png(surreal_tree, tmp_path_factory) -> Built:
    """PNG colour (exact checks), every background for every 2nd frame: 24 samples."""
    return run_build(surreal_tree, tmp_path_factory.mktemp("native_png"), "--image-format", "png",
                     num_bgs=4, stride=2)


@pytest.fixture(scope="module")
def dim_val(surreal_tree, tmp_path_factory) -> Built:
    """The val split in Deep Image Matting's layout, background shorter side 640: 8 samples."""
    return run_build(surreal_tree, tmp_path_factory.mktemp("dim"), "--layout", "dim",
                     "--bg-size", "640", split="val", num_bgs=4)


def expected_listing(tree, built: Built) -> list[tuple[str, int, int]]:
    """(clip, frame, k) of every id: frames 0, stride... of the sorted clips, num_bgs each."""
    pairs = [(clip.name, frame) for clip in tree.split_clips(built.split)
             for frame in range(0, min(clip.frames, clip.video_frames), built.stride)]
    return [pairs[i // built.num_bgs] + (i % built.num_bgs,) for i in range(len(pairs) * built.num_bgs)]


# The checks -------------------------------------------------------------------------------

def test_native_jpeg_samples_match_the_sources(surreal_tree, native):
    rows = native.rows()
    assert len(rows) == 20 and native.record()["sources"]["skipped_inputs"] == []
    for row in rows:
        check_sample(surreal_tree, row, exact=False)
    depths = np.stack([decode(r["depth"]["bytes"], "I;16") for r in rows])
    assert (depths == 65535).any(), "65.535 m is storable and must be kept"


def test_depth_rule_on_the_special_values():
    """70, 500 and 1000 m are beyond 65.535 m (stored 0, not clipped); NaN, <= 0 and the
    1e10 background are 0; 65.535 m is the largest storable depth."""
    from mattehub.families.surreal_alpha.compose import depth_millimetres

    metres = np.array([[value for value, _ in SPECIAL_DEPTHS]], np.float32)
    expected = [mm for _, mm in SPECIAL_DEPTHS]
    assert expected_millimetres(metres).ravel().tolist() == expected
    assert depth_millimetres(metres).ravel().tolist() == expected
    assert depth_millimetres(metres).dtype == np.uint16


def test_webdataset_holds_the_parquet_bytes(native, dim_val):
    for built in (native, dim_val):
        rows, members = built.rows(), wds_members(built.out, built.split)
        assert sorted(members) == [row["__key__"] for row in rows]
        for row in rows:
            sample = members[row["__key__"]]
            fmt = row["meta"]["image_format"]
            for name in IMAGE_FIELDS:
                ext = fmt if name in ("image", "fg", "bg") else "png"
                assert sample[f"{name}.{ext}"] == row[name]["bytes"], (row["__key__"], name)
            assert json.loads(sample["meta.json"]) == row["meta"]


def test_png_samples_are_exact(surreal_tree, native_png):
    rows = native_png.rows()
    assert len(rows) == 24
    for row in rows:
        check_sample(surreal_tree, row, exact=True)


def test_dim_layout_places_the_frame_at_frame_box(surreal_tree, dim_val):
    rows = dim_val.rows()
    assert len(rows) == 8
    sizes = set()
    for row in rows:
        meta = row["meta"]
        assert meta["layout"] == "dim" and meta["frame_scale"] == 2.0
        assert min(meta["width"], meta["height"]) == 640
        sizes.add((meta["width"], meta["height"]))
        check_sample(surreal_tree, row, exact=False)
        seg = decode(row["segmentation"]["bytes"], "L")
        x, y, w, h = meta["frame_box"]
        outside = np.ones(seg.shape, bool)
        outside[y:y + h, x:x + w] = False
        assert not seg[outside].any() and not decode(row["depth"]["bytes"], "I;16")[outside].any()
    assert (640, 1067) in sizes  # the portrait background: a tall canvas
    assert len(sizes) == 3


def test_ids_follow_the_sorted_clip_listing(surreal_tree, native, native_png, dim_val):
    for built in (native, native_png, dim_val):
        rows = built.rows()
        listing = expected_listing(surreal_tree, built)
        assert len(rows) == len(listing) == built.record()["num_samples"]
        assert [r["meta"]["index"] for r in rows] == list(range(len(rows)))
        assert [r["__key__"] for r in rows] == [f"{i:08d}" for i in range(len(rows))]
        got = [(r["meta"]["clip"], r["meta"]["frame"], r["meta"]["background_number"]) for r in rows]
        assert got == listing
        for start in range(0, len(rows), built.num_bgs):  # one frame's backgrounds are distinct
            chosen = [r["meta"]["background"] for r in rows[start:start + built.num_bgs]]
            assert len(set(chosen)) == built.num_bgs
        for row in rows:
            meta = row["meta"]
            assert meta["clip"].startswith(f"cmu/{built.split}/run0/")
            assert meta["background"] in surreal_tree.backgrounds
            with Image.open(surreal_tree.bg_root / meta["background"]) as image:
                assert meta["background_size"] == list(image.size)
            assert meta["seed"] == 0 and meta["attempt"] == 0 and meta["recipe"] == CONFIG


def test_frame_stride_uses_every_nth_frame(native_png):
    frames = {}
    for row in native_png.rows():
        frames.setdefault(row["meta"]["clip"], set()).add(row["meta"]["frame"])
    assert frames == {"cmu/train/run0/01_01/01_01_c0001": {0, 2},
                      "cmu/train/run0/01_01/01_01_c0002": {0, 2},
                      "cmu/train/run0/02_03/02_03_c0001": {0, 2}}


def test_split_val_reads_cmu_val(dim_val):
    assert {row["meta"]["clip"] for row in dim_val.rows()} == {"cmu/val/run0/05_02/05_02_c0001"}
    assert dim_val.record()["sources"]["clips"] == 1


def test_info_values_are_the_frames_own(surreal_tree, native):
    for row in native.rows():
        meta, t = row["meta"], row["meta"]["frame"]
        info = clip_source(surreal_tree, meta["clip"])["info"]
        assert meta["info_available"] is True
        assert meta["gender"] == int(info["gender"].ravel()[t])
        assert meta["camLoc"] == info["camLoc"].ravel().astype(float).tolist()
        assert meta["camDist"] == float(info["camDist"].ravel()[0])
        assert meta["zrot"] == float(info["zrot"][t, 0])
        assert meta["pose"] == info["pose"][:, t].astype(float).tolist()
        assert meta["shape"] == info["shape"][:, t].astype(float).tolist()
        assert meta["joints2D"] == info["joints2D"][:, :, t].T.astype(float).tolist()
        assert meta["joints3D"] == info["joints3D"][:, :, t].T.astype(float).tolist()
        assert len(meta["pose"]) == 72 and len(meta["joints2D"]) == 24


def test_pure_red_stays_red(surreal_tree, native):
    """No BGR/RGB swap anywhere: the pure-red part is red in image and fg."""
    for row in native.rows():
        got = fields(row)
        red = interior(got["segmentation"] == RED_LABEL, 3)
        assert red.sum() > 100
        for name in ("image", "fg"):
            colour = got[name][red].mean(axis=0)
            assert colour[0] > RED[0] - 15 and colour[1] < 15 and colour[2] < 15, (name, colour)


def test_one_and_two_workers_write_identical_bytes(surreal_tree, native, tmp_path):
    two = run_build(surreal_tree, tmp_path / "two", "--workers", "2", num_bgs=2)
    assert shard_hashes(two.out) == shard_hashes(native.out)
    assert len(shard_hashes(native.out)) == 6  # 3 parquet + 3 tar


def test_a_clip_is_decoded_once_per_process(native):
    assert native.decodes.get("video") == 3
    assert native.decodes.get("segm") == 3 and native.decodes.get("depth") == 3
    assert native.decodes.get("info") == 3


def test_prepare_decodes_no_pixels(surreal_tree, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("prepare() decoded pixels")

    before = dict(surreal.DECODES)
    monkeypatch.setattr(surreal, "decode_video", refuse)
    monkeypatch.setattr(surreal, "load_mat", refuse)
    monkeypatch.setattr(scipy.io, "loadmat", refuse)
    monkeypatch.setattr("mattehub.inputs.gate.decode_rgb", refuse)
    options = SurrealAlphaOptions(data_dir=str(surreal_tree.root), bg_root=str(surreal_tree.bg_root),
                                  num_bgs=2)
    report = SurrealAlphaRecipe(options, seed=0).prepare()
    assert dict(surreal.DECODES) == before
    assert report["clips"] == 3 and report["backgrounds"] == 4 and report["samples"] == 20


def test_background_choice_is_seeded_and_covers_the_pool(surreal_tree, native, native_png):
    options = SurrealAlphaOptions(data_dir=str(surreal_tree.root), bg_root=str(surreal_tree.bg_root))
    recipe = SurrealAlphaRecipe(options, seed=0)
    recipe.prepare()
    counts = np.bincount([recipe.pick_background(i)[0] for i in range(800)], minlength=4)
    assert counts.min() > 140, counts  # uniform: 200 each; the last background is not starved
    again = SurrealAlphaRecipe(options, seed=0)
    again.prepare()
    assert [again.pick_background(i) for i in range(50)] == [recipe.pick_background(i) for i in range(50)]
    other = SurrealAlphaRecipe(options, seed=1)
    other.prepare()
    assert [other.pick_background(i) for i in range(50)] != [recipe.pick_background(i) for i in range(50)]
    # in the built samples: every background is used; with num_bgs = pool size, all per frame
    assert {r["meta"]["background"] for r in native.rows()} == set(surreal_tree.backgrounds)
    rows = native_png.rows()
    for start in range(0, len(rows), 4):
        assert sorted(r["meta"]["background"] for r in rows[start:start + 4]) == surreal_tree.backgrounds


def test_unscaled_jpeg_background_is_passed_through(surreal_tree, native):
    exact = (surreal_tree.bg_root / "exact.jpg").read_bytes()
    rows = [r for r in native.rows() if r["meta"]["background"] == "exact.jpg"]
    assert rows and all(r["bg"]["bytes"] == exact for r in rows)


@pytest.mark.parametrize("level", ["root", "cmu", "run", "sequence"])
def test_data_dir_levels(surreal_tree, tmp_path, level):
    folder = {"root": surreal_tree.root, "cmu": surreal_tree.cmu,
              "run": surreal_tree.cmu / "train" / "run0",
              "sequence": surreal_tree.cmu / "train" / "run0" / "01_01"}[level]
    code, _, err = cli(*build_args(folder, surreal_tree.bg_root, tmp_path / "out",
                                   "--num-samples", "4", "--frame-stride", "2",
                                   "--format", "parquet"))
    assert code == 0, err
    rows = parquet_rows(tmp_path / "out")
    assert [(r["meta"]["clip"], r["meta"]["frame"]) for r in rows] == [
        ("cmu/train/run0/01_01/01_01_c0001", f) for f in (0, 2)] + [
        ("cmu/train/run0/01_01/01_01_c0002", f) for f in (0, 2)]
    expected = 2 if level == "sequence" else 3
    record = json.loads(OutputLayout(tmp_path / "out").build_record(CONFIG, "train").read_text())
    assert record["sources"]["clips"] == expected
    assert str(surreal_tree.root) not in json.dumps(record)  # no local path in the record


def test_rerun_keeps_the_shards(surreal_tree, native, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(native.out, out)
    before = shard_hashes(out)
    again = run_build(surreal_tree, out, num_bgs=2)
    assert "in 3 shards (3 kept from an earlier run" in again.stdout
    assert shard_hashes(out) == before
    assert again.decodes.get("video", 0) == 0

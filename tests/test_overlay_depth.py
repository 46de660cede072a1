"""overlay-depth synthesis on inputs written independently of mattehub (tests/overlay_tree.py).

Every expectation is computed here from the input files with numpy/cv2 (never by calling
the code under test): the id -> (bg, fg, flip, scale, position) mapping of the spec
(docs/format.md, 'Synthesis: which id is which'), masks exactly binary and placed, the composite (background outside
the box, foreground colour where it is opaque, no green bleeding from under alpha 0, no
BGR/RGB swap), ``exact`` depth (nearest-resized map, foot point under the mask), the
``none`` schema, a depth model's 8-bit maps, identical bytes for 1 and 2 workers, and
streaming a built folder through ``load_dataset("mattehub", ...)``. The original layout
(tests/test_overlay_original.py), the depth model itself (tests/test_depth_model.py) and
bad inputs (tests/bad_input/overlay_cases.py) are tested elsewhere.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mattehub.build.run import BuildOptions, build
from mattehub.cli.main import main
from mattehub.output.layout import OutputLayout
from mattehub.families.overlay_depth.options import OverlayDepthOptions
from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe
from mattehub.build.sequence import ShardLimits
from overlay_tree import (DEFAULT_BACKGROUNDS, DEFAULT_FOREGROUNDS, GREEN_HIDDEN, RED,
                          canvas_resize, make_overlay_tree, nearest, read_bgr, read_unchanged)

CONFIG = "overlay-depth"
SIZE = 64
SCALES = (1.0, 0.8, 0.6, 0.4)
PNG = b"\x89PNG\r\n\x1a\n"


# Running builds and reading them back ----------------------------------------------------

def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def run_build(out: Path, tree, *extra, masks: bool = True, depth: bool = False,
              size: int | None = SIZE) -> Path:
    args = ["build", CONFIG, "--out", out, *tree.args(masks=masks, depth=depth),
            "--max-samples-per-shard", "100", "--no-progress", *extra]
    if size is not None:
        args += ["--size", size]
    code, _, err = cli(*args)
    assert code == 0, err
    assert "Traceback" not in err
    return out


def parquet_rows(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / CONFIG).glob("train-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def build_record(out: Path) -> dict:
    return json.loads(OutputLayout(out).build_record(CONFIG, "train").read_text())


def shard_hashes(out: Path) -> dict[str, str]:
    files = sorted(list(out.rglob("*.parquet")) + list(out.rglob("*.tar")))
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def decode(data: bytes, mode: str) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == mode, f"{image.mode} stored where {mode} is expected"
        return np.asarray(image)


def decode_png16(data: bytes) -> np.ndarray:
    assert data[:8] == PNG and data[24] == 16 and data[25] == 0, "not a 16-bit grey PNG"
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert array.dtype == np.uint16 and array.ndim == 2
    return array


def rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1])


# Ground truth from the input files -------------------------------------------------------

def placement(tree, index: int, per_pair: int = 40, scales=SCALES, positions: int = 5,
              flips: int = 2) -> dict:
    """The spec's id mapping, with the box size from the written foreground's size."""
    pair, k = divmod(index, per_pair)
    bg, fg = divmod(pair, len(tree.foregrounds))
    flip, rest = divmod(k, len(scales) * positions)
    scale = scales[rest // positions]
    width, height = tree.fg_sizes[tree.foregrounds[fg]]
    return {"bg": tree.backgrounds[bg], "fg": tree.foregrounds[fg], "k": k, "B": bg + 1,
            "F": fg + 1, "flipped": bool(flip) if flips == 2 else False, "scale": scale,
            "box_size": [round(width * scale), round(height * scale)]}


def box(meta: dict) -> tuple[int, int, int, int]:
    (x, y), (w, h) = meta["position"], meta["box_size"]
    return x, y, w, h


def inside(meta: dict, size: int) -> np.ndarray:
    x, y, w, h = box(meta)
    out = np.zeros((size, size), bool)
    out[y:y + h, x:x + w] = True
    return out


def expected_background(tree, meta: dict, size: int) -> np.ndarray:
    """RGB: the background file (cv2) resized to size x size, area / cubic."""
    return rgb(canvas_resize(read_bgr(tree.bg_root / meta["bg"]), (size, size)))


def fg_layer(tree, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8, alpha uint8) of the foreground file, flipped as meta says."""
    bgra = read_unchanged(tree.fg_root / meta["fg"])
    assert bgra.shape[2] == 4
    colour, alpha = rgb(bgra[:, :, :3]), bgra[:, :, 3]
    if meta["flipped"]:
        colour, alpha = colour[:, ::-1], alpha[:, ::-1]
    return np.ascontiguousarray(colour), np.ascontiguousarray(alpha)


def expected_mask(tree, meta: dict, size: int, mask_files: bool = True) -> np.ndarray:
    """The mask file binarised at 128 (else, or without ``mask_files``, alpha > 0), flipped,
    nearest-resized to the box (INTER_NEAREST_EXACT) and pasted at the position on black."""
    fg = meta["fg"]
    if mask_files and fg in tree.masks:
        source = read_unchanged(tree.mask_root / tree.masks[fg])
        assert source.ndim == 2
        binary = np.where(source >= 128, 255, 0).astype(np.uint8)
    else:
        binary = np.where(read_unchanged(tree.fg_root / fg)[:, :, 3] > 0, 255, 0).astype(np.uint8)
    if meta["flipped"]:
        binary = np.ascontiguousarray(binary[:, ::-1])
    x, y, w, h = box(meta)
    out = np.zeros((size, size), np.uint8)
    out[y:y + h, x:x + w] = cv2.resize(binary, (w, h), interpolation=cv2.INTER_NEAREST_EXACT)
    return out


def scaled_alpha(tree, meta: dict) -> np.ndarray:
    """The flipped alpha resized to the box as a float 0..1 weight (area / cubic)."""
    _, alpha = fg_layer(tree, meta)
    return np.clip(canvas_resize(alpha.astype(np.float32) / 255.0, tuple(meta["box_size"])), 0, 1)


# Fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exact_png(overlay_tree, tmp_path_factory):
    """The small tree (3 bgs x 3 fgs) at --size 64, PNG images, exact depth, seed 3."""
    out = run_build(tmp_path_factory.mktemp("exact-png"), overlay_tree, "--image-format", "png",
                    "--seed", "3", depth=True)
    return out, parquet_rows(out)


@pytest.fixture(scope="module")
def none_jpg(overlay_tree, tmp_path_factory):
    """The small tree without depth and without --mask-root (every mask from alpha > 0),
    default JPEG, 2 positions of scale 1.0, no flip."""
    out = run_build(tmp_path_factory.mktemp("none-jpg"), overlay_tree, "--no-flip", "--scales",
                    "1.0", "--positions", "2", masks=False)
    return out, parquet_rows(out)


# Counts and the id mapping ---------------------------------------------------------------

def test_forty_samples_per_pair_and_the_id_mapping(overlay_tree, exact_png):
    out, rows = exact_png
    n_bg, n_fg = len(overlay_tree.backgrounds), len(overlay_tree.foregrounds)
    assert (n_bg, n_fg) == (3, 3)
    assert len(rows) == n_bg * n_fg * 40 == 360
    record = build_record(out)["sources"]
    assert record["backgrounds"] == 3 and record["foregrounds"] == 3
    assert record["samples"] == 360 and record["skipped_inputs"] == []
    for index, row in enumerate(rows):
        meta, want = row["meta"], placement(overlay_tree, index)
        assert meta["index"] == index and meta["source"] == "synthesised"
        assert (meta["bg"], meta["fg"]) == (want["bg"], want["fg"]), index
        assert meta["flipped"] is (want["k"] >= 20), index
        assert meta["scale"] == pytest.approx(want["scale"]), index
        assert meta["box_size"] == want["box_size"], index
        x, y, w, h = box(meta)
        assert 0 <= x and 0 <= y and x + w <= SIZE and y + h <= SIZE, (index, meta["position"])
        assert meta["size"] == SIZE and meta["seed"] == 3 and meta["image_format"] == "png"
        assert meta["csv_line"] is None
        pair = f"Dataset/bg{want['B']}/fg_{want['F']}"
        assert meta["paths"] == {"bg": f"Dataset/bg/bg{want['B']}.png",
                                 "overlay": f"{pair}/overlay/{want['k'] + 1}.png",
                                 "mask": f"{pair}/mask/{want['k'] + 1}.png",
                                 "depth": f"{pair}/depth/{want['k'] + 1}.png"}
    # positions are drawn: the 5 of a (pair, flip, scale) group are not all one place
    groups: dict[tuple, set] = {}
    for row in rows:
        m = row["meta"]
        groups.setdefault((m["bg"], m["fg"], m["flipped"], m["scale"]), set()).add(tuple(m["position"]))
    assert len(groups) == 9 * 8 and sum(len(p) > 1 for p in groups.values()) >= 0.9 * len(groups)
    # and they spread over the canvas (both ends of the range of x are reached somewhere)
    lefts = [r["meta"]["position"][0] for r in rows]
    rights = [r["meta"]["position"][0] + r["meta"]["box_size"][0] for r in rows]
    assert min(lefts) == 0 and max(rights) == SIZE


@pytest.mark.parametrize("extra, per_pair", [
    (("--no-flip",), 20), (("--scales", "1.0,0.5"), 20), (("--positions", "2"), 16),
    (("--no-flip", "--scales", "0.7", "--positions", "3"), 3)])
def test_options_change_the_count(overlay_tree, tmp_path, extra, per_pair):
    code, _, err = cli("build", CONFIG, "--out", tmp_path / "out", *overlay_tree.args(),
                       "--size", SIZE, "--num-samples", "1", "--no-progress", *extra)
    assert code == 0, err
    assert build_record(tmp_path / "out")["sources"]["samples_per_pair"] == per_pair
    assert build_record(tmp_path / "out")["sources"]["samples"] == 9 * per_pair


def test_scales_in_the_order_given_and_no_flip(overlay_tree, tmp_path):
    out = run_build(tmp_path, overlay_tree, "--no-flip", "--scales", "0.5,1.0", "--positions", "2")
    rows = parquet_rows(out)
    assert len(rows) == 9 * 4
    for index, row in enumerate(rows):
        meta = row["meta"]
        want = placement(overlay_tree, index, per_pair=4, scales=(0.5, 1.0), positions=2, flips=1)
        assert meta["flipped"] is False and meta["scale"] == pytest.approx(want["scale"])
        assert (meta["bg"], meta["fg"], meta["box_size"]) == (want["bg"], want["fg"], want["box_size"])


def _recipe(tree, seed: int, **options) -> OverlayDepthRecipe:
    opts = OverlayDepthOptions(bg_root=str(tree.bg_root), fg_root=str(tree.fg_root),
                               mask_root=str(tree.mask_root), size=SIZE, **options)
    return OverlayDepthRecipe(opts, seed=seed)


def _build(tree, out: Path, seed: int, workers: int, num_samples: int | None = None,
           max_samples: int = 50, **options) -> Path:
    build(_recipe(tree, seed, **options),
          BuildOptions(out=out, num_samples=num_samples, workers=workers, progress=False,
                       limits=ShardLimits(max_samples=max_samples)))
    return out


def test_same_seed_same_bytes_with_one_and_two_workers(overlay_tree, tmp_path):
    depth = dict(depth="exact", bg_depth_root=str(overlay_tree.depth_root))
    one = _build(overlay_tree, tmp_path / "one", 7, 1, **depth)
    two = _build(overlay_tree, tmp_path / "two", 7, 2, **depth)
    hashes = shard_hashes(one)
    assert len(hashes) == 2 * 8  # 360 samples in shards of 50, Parquet and tar
    assert hashes == shard_hashes(two)


def test_another_seed_draws_other_positions(overlay_tree, exact_png, tmp_path):
    _, rows = exact_png  # seed 3
    other = parquet_rows(_build(overlay_tree, tmp_path / "other", 4, 1, num_samples=40,
                                image_format="png"))
    assert len(other) == 40
    assert [r["meta"]["box_size"] for r in other] == [r["meta"]["box_size"] for r in rows[:40]]
    moved = sum(a["meta"]["position"] != b["meta"]["position"] for a, b in zip(rows, other))
    assert moved >= 30, moved
    # the same seed again: the same positions (rng(config, seed, id) only)
    again = parquet_rows(_build(overlay_tree, tmp_path / "again", 3, 1, num_samples=40,
                                image_format="png"))
    assert [r["meta"]["position"] for r in again] == [r["meta"]["position"] for r in rows[:40]]


# Masks -------------------------------------------------------------------------------------

def test_masks_are_lossless_binary_and_placed(overlay_tree, exact_png):
    _, rows = exact_png
    seen = {"file": 0, "alpha": 0}
    for row in rows:
        meta, data = row["meta"], row["mask"]["bytes"]
        assert data[:8] == PNG
        mask = decode(data, "L")
        assert mask.shape == (SIZE, SIZE)
        assert set(np.unique(mask).tolist()) <= {0, 255}
        want = expected_mask(overlay_tree, meta, SIZE)
        assert int((mask == 255).sum()) == int((want == 255).sum()), meta["index"]
        assert np.array_equal(mask, want), meta["index"]
        assert not mask[~inside(meta, SIZE)].any()
        seen["file" if meta["fg"] in overlay_tree.masks else "alpha"] += 1
    assert seen == {"file": 120, "alpha": 240}


def test_mask_file_not_alpha_when_both_exist(overlay_tree, exact_png):
    """tall.png has an alpha channel and a mask file of another shape: the file wins."""
    source = read_unchanged(overlay_tree.mask_root / overlay_tree.masks["sub/tall.png"])
    assert (source == 128).any() and (source == 127).any()  # the threshold is exercised
    _, rows = exact_png
    row = next(r for r in rows if r["meta"]["fg"] == "sub/tall.png" and r["meta"]["scale"] == 1)
    meta, mask = row["meta"], decode(row["mask"]["bytes"], "L")
    x, y, w, h = box(meta)
    _, alpha = fg_layer(overlay_tree, meta)
    from_alpha = np.where(alpha > 0, 255, 0)
    assert not np.array_equal(mask[y:y + h, x:x + w], from_alpha)
    assert (mask[y:y + h, x:x + w] == 255).sum() != (from_alpha == 255).sum()


def test_flipped_masks_are_mirror_images(overlay_tree, exact_png):
    """A flipped sample's mask at scale 1.0 is the unflipped one mirrored inside its box."""
    _, rows = exact_png
    for fg in overlay_tree.foregrounds:
        plain = next(r for r in rows if r["meta"]["fg"] == fg and r["meta"]["scale"] == 1
                     and not r["meta"]["flipped"])
        flipped = next(r for r in rows if r["meta"]["fg"] == fg and r["meta"]["scale"] == 1
                       and r["meta"]["flipped"])
        crops = []
        for row in (plain, flipped):
            x, y, w, h = box(row["meta"])
            crops.append(decode(row["mask"]["bytes"], "L")[y:y + h, x:x + w])
        assert np.array_equal(crops[0][:, ::-1], crops[1])
        assert not np.array_equal(crops[0], crops[1])  # the shapes are asymmetric


# The composite ----------------------------------------------------------------------------

def test_background_outside_the_box_and_the_bg_field(overlay_tree, exact_png):
    _, rows = exact_png
    for row in rows:
        meta = row["meta"]
        image, bg = decode(row["image"]["bytes"], "RGB"), decode(row["bg"]["bytes"], "RGB")
        assert row["image"]["bytes"][:8] == PNG and row["bg"]["bytes"][:8] == PNG
        want = expected_background(overlay_tree, meta, SIZE)
        assert image.shape == bg.shape == (SIZE, SIZE, 3)
        assert np.array_equal(bg, want), meta["bg"]
        outside = ~inside(meta, SIZE)
        assert np.array_equal(image[outside], want[outside]), meta["index"]


def test_opaque_foreground_colour_inside_the_box(overlay_tree, exact_png):
    _, rows = exact_png
    checked = 0
    for row in rows:
        meta = row["meta"]
        image = decode(row["image"]["bytes"], "RGB")
        x, y, w, h = box(meta)
        crop = image[y:y + h, x:x + w].astype(int)
        colour, _ = fg_layer(overlay_tree, meta)
        want = canvas_resize(colour.astype(np.float32), (w, h))
        opaque = scaled_alpha(overlay_tree, meta) >= 254.5 / 255
        assert opaque.sum() > 0.1 * w * h, meta["index"]
        diff = np.abs(crop[opaque] - want[opaque])
        assert diff.max() <= 2, (meta["index"], diff.max())
        checked += int(opaque.sum())
    assert checked > 10_000


def test_transparent_parts_of_the_box_show_the_background(overlay_tree, exact_png):
    """Box pixels 1+ px away from any alpha > 0 of the scaled layer are the background,
    exactly: the cut-out is composited inside its box only, with its own alpha."""
    _, rows = exact_png
    checked = 0
    for row in rows:
        meta = row["meta"]
        image = decode(row["image"]["bytes"], "RGB")
        x, y, w, h = box(meta)
        covered = cv2.dilate((scaled_alpha(overlay_tree, meta) > 0).astype(np.uint8),
                             np.ones((3, 3), np.uint8)) > 0
        clear = ~covered
        want = expected_background(overlay_tree, meta, SIZE)[y:y + h, x:x + w]
        assert np.array_equal(image[y:y + h, x:x + w][clear], want[clear]), meta["index"]
        checked += int(clear.sum())
    assert checked > 5_000


def test_soft_edges_blend_and_hidden_green_never_bleeds(overlay_tree, exact_png):
    """On the red cut-out's soft edge a pixel is a blend of red and the background: R can
    only rise, G and B only fall (green hidden under alpha 0 would raise G); somewhere the
    blend is strictly between the two."""
    _, rows = exact_png
    blends = 0
    for row in (r for r in rows if r["meta"]["fg"] == "red.png"):
        meta = row["meta"]
        image = decode(row["image"]["bytes"], "RGB").astype(int)
        x, y, w, h = box(meta)
        crop = image[y:y + h, x:x + w]
        bg = expected_background(overlay_tree, meta, SIZE)[y:y + h, x:x + w].astype(int)
        weight = scaled_alpha(overlay_tree, meta)
        edge = (weight > 0.02) & (weight < 0.98)
        assert edge.any()
        assert (crop[edge][:, 0] >= bg[edge][:, 0] - 1).all(), meta["index"]
        assert (crop[edge][:, 1:] <= bg[edge][:, 1:] + 1).all(), meta["index"]
        middle = (weight > 0.3) & (weight < 0.7)
        between = (crop[middle][:, 1] < bg[middle][:, 1] - 5) & (crop[middle][:, 1] > 5)
        blends += int(between.sum())
    assert blends > 50
    for row in rows:  # backgrounds are 30..225 per channel: only the hidden green is this green
        image = decode(row["image"]["bytes"], "RGB").astype(int)
        greenish = (image[..., 1] >= 235) & (np.abs(image - np.array(GREEN_HIDDEN)).max(-1) <= 25)
        assert not greenish.any(), row["meta"]["index"]


def test_pure_red_stays_red(overlay_tree, exact_png):
    _, rows = exact_png
    for row in (r for r in rows if r["meta"]["fg"] == "red.png"):
        meta = row["meta"]
        image = decode(row["image"]["bytes"], "RGB")
        x, y, w, h = box(meta)
        opaque = scaled_alpha(overlay_tree, meta) >= 254.5 / 255
        pixels = image[y:y + h, x:x + w][opaque].astype(int)
        assert np.abs(pixels - np.array(RED)).max() <= 1, meta["index"]


# Depth ------------------------------------------------------------------------------------

def test_exact_depth_is_the_background_map_and_the_foot_point(overlay_tree, exact_png):
    _, rows = exact_png
    maps = {rel: nearest(read_unchanged(overlay_tree.depth_root / Path(rel).with_suffix(".png")),
                         (SIZE, SIZE)) for rel in overlay_tree.backgrounds}
    for depth_map in maps.values():
        assert depth_map.dtype == np.uint16
    for row in rows:
        meta = row["meta"]
        depth = decode_png16(row["depth"]["bytes"])
        mask = expected_mask(overlay_tree, meta, SIZE)
        want = maps[meta["bg"]]
        assert depth.shape == (SIZE, SIZE)
        assert np.array_equal(depth[mask == 0], want[mask == 0]), meta["index"]
        x, y, w, h = box(meta)
        foot = want[y + h - 1, x + w // 2]
        assert (depth[mask == 255] == foot).all(), (meta["index"], foot)
        assert meta["depth_mode"] == "exact" and meta["depth_model"] is None
        assert "millimetres" in meta["depth_units"] and meta["depth_polarity"] == "larger = farther"


def test_none_depth_has_no_field(overlay_tree, none_jpg):
    out, rows = none_jpg
    assert len(rows) == 9 * 2
    for path in (out / CONFIG).glob("*.parquet"):
        schema = pq.read_schema(path)
        assert "depth" not in schema.names
        features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
        assert "depth" not in features and {"image", "mask", "bg", "meta"} <= set(features)
    summary = json.loads(OutputLayout(out).split_summary(CONFIG, "train").read_text())
    assert "depth" not in summary["features"]["parquet"]
    for row in rows:
        assert "depth" not in row
        meta = row["meta"]
        assert (meta["depth_mode"], meta["depth_units"], meta["depth_polarity"]) == ("none", "", "")
        assert meta["depth_model"] is None and meta["paths"]["depth"] == ""
        assert meta["image_format"] == "jpg" and meta["jpeg_quality"] == 95
        assert row["image"]["bytes"][:3] == b"\xff\xd8\xff" and row["bg"]["bytes"][:3] == b"\xff\xd8\xff"
        assert row["mask"]["bytes"][:8] == PNG
        mask = decode(row["mask"]["bytes"], "L")
        assert np.array_equal(mask, expected_mask(overlay_tree, meta, SIZE, mask_files=False))
    members = set()
    for path in (out / "wds" / CONFIG).glob("*.tar"):
        with tarfile.open(path) as tar:
            members |= {m.name.split(".", 1)[1] for m in tar.getmembers()}
    assert members == {"image.jpg", "mask.png", "bg.jpg", "meta.json"}


@pytest.fixture(scope="module")
def model_builds(overlay_tree, tmp_path_factory):
    """--depth MODEL (a tiny random DPT saved by tests/tiny_depth.py) with --depth-batch 3,
    built with 1 worker in shards of 5 and 2 workers in shards of 4 (neither a multiple of
    the batch)."""
    pytest.importorskip("torch")
    from tiny_depth import save_tiny_depth_model

    folder = save_tiny_depth_model(tmp_path_factory.mktemp("model") / "tiny-dpt", "dpt")
    tmp = tmp_path_factory.mktemp("model-builds")
    options = dict(depth=str(folder), device="cpu", depth_batch=3, flip=False, scales=(1.0,),
                   positions=2, image_format="png")
    one = _build(overlay_tree, tmp / "one", 0, 1, max_samples=5, **options)
    two = _build(overlay_tree, tmp / "two", 0, 2, max_samples=4, **options)
    return one, two, folder


def test_depth_model_gives_8_bit_maps_batched_the_same_for_any_worker_count(model_builds):
    """--depth MODEL through the recipe (the model itself: tests/test_depth_model.py):
    8-bit PNG at the canvas size spanning 0..255, meta names the model by its folder name;
    blocks of --depth-batch ids are computed whole, so any worker count and shard size agree."""
    one, two, folder = model_builds
    rows = parquet_rows(one)
    assert rows == parquet_rows(two)
    assert len(rows) == 9 * 2
    maps = []
    for row in rows:
        data = row["depth"]["bytes"]
        assert data[:8] == PNG and data[24] == 8 and data[25] == 0, "not an 8-bit grey PNG"
        depth = decode(data, "L")
        assert depth.shape == (SIZE, SIZE) and depth.min() == 0 and depth.max() == 255
        maps.append(depth)
        meta = row["meta"]
        assert meta["depth_mode"] == "model" and meta["depth_model"] == folder.name
        assert str(folder.parent) not in json.dumps(meta)
        assert meta["paths"]["depth"].endswith(".png") and meta["depth_units"]
    assert not all(np.array_equal(maps[0], m) for m in maps[1:])  # depends on the image
    record = build_record(one)["sources"]
    assert record["depth"] == "model" and record["depth_model"] == folder.name


def test_depth_polarity_wording_is_the_specs_in_every_mode(model_builds, exact_png):
    """The spec's meta: depth_polarity is "larger = farther" in all modes ("" for none)."""
    one, _, _ = model_builds
    polarities = {r["meta"]["depth_polarity"] for r in parquet_rows(one)}
    polarities |= {r["meta"]["depth_polarity"] for r in exact_png[1]}
    assert polarities == {"larger = farther"}


# Streaming a built folder --------------------------------------------------------------------

def test_streaming_the_shard_folder_equals_the_built_rows(exact_png):
    from datasets import load_dataset

    out, rows = exact_png
    streamed = load_dataset("mattehub", CONFIG, data_dir=str(out), split="train", streaming=True)
    got = list(streamed)
    assert len(got) == len(rows)
    for a, b in zip(got, rows):
        assert a["__key__"] == b["__key__"] and a["meta"] == b["meta"]
        assert set(a) == set(b)
        for name in ("image", "bg"):
            assert np.array_equal(np.asarray(a[name].convert("RGB")), decode(b[name]["bytes"], "RGB"))
        assert np.array_equal(np.asarray(a["mask"]), decode(b["mask"]["bytes"], "L"))
        assert np.array_equal(np.asarray(a["depth"]).astype(np.uint16), decode_png16(b["depth"]["bytes"]))


# The default canvas -------------------------------------------------------------------------

def test_default_224_canvas(tmp_path_factory):
    """Defaults (--size 224, 4 scales, 5 positions, flips, JPEG q95, no depth) with a
    150 px foreground: 40 samples per pair, masks exact, red stays red through JPEG."""
    tree = make_overlay_tree(tmp_path_factory.mktemp("tree224"), DEFAULT_BACKGROUNDS,
                             DEFAULT_FOREGROUNDS)
    out = run_build(tmp_path_factory.mktemp("build224"), tree, size=None)
    rows = parquet_rows(out)
    assert len(rows) == 2 * 1 * 40
    for index, row in enumerate(rows):
        meta, want = row["meta"], placement(tree, index)
        assert meta["size"] == 224 and meta["box_size"] == want["box_size"]
        assert meta["bg"] == want["bg"] and meta["flipped"] is want["flipped"]
        x, y, w, h = box(meta)
        assert x + w <= 224 and y + h <= 224
        image = decode(row["image"]["bytes"], "RGB")
        assert image.shape == (224, 224, 3) and row["image"]["bytes"][:3] == b"\xff\xd8\xff"
        mask = decode(row["mask"]["bytes"], "L")
        assert np.array_equal(mask, expected_mask(tree, meta, 224)), index
        bg = expected_background(tree, meta, 224).astype(int)
        outside = ~inside(meta, 224)
        assert np.abs(image[outside].astype(int) - bg[outside]).mean() < 6
        # JPEG blocks clear of the box decode like the bg field's (the same pixels encoded)
        far = cv2.dilate(inside(meta, 224).astype(np.uint8), np.ones((35, 35), np.uint8)) == 0
        stored_bg = decode(row["bg"]["bytes"], "RGB").astype(int)
        assert np.abs(image[far].astype(int) - stored_bg[far]).max() <= 2, index
        opaque = cv2.erode((scaled_alpha(tree, meta) >= 254.5 / 255).astype(np.uint8),
                           np.ones((5, 5), np.uint8)) > 0
        red = image[y:y + h, x:x + w][opaque].astype(int)
        assert red[:, 0].min() >= 235 and red[:, 1:].max() <= 20, index

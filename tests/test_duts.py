"""``duts`` end to end on stand-in DUTS trees written without mattehub (tests/duts_tree.py):
built with ``mattehub build duts`` and streamed with ``load_dataset("mattehub", "duts")``
from the extracted folders, from the zips and from a split zip, locally and over HTTP. The
image bytes pass through, alpha equals the mask file exactly, the trimap equals the DUTS
definition computed here with OpenCV, and builds are identical whatever the source form or
the worker count."""
from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from conftest import shard_bytes
from duts_tree import DEFAULT_SETS, TOPS, make_duts_tree, zip_tree
from mattehub.cli.main import main

SPLITS = ("train", "test")


def duts_trimap(mask: np.ndarray) -> np.ndarray:
    """The DUTS ground-truth trimap, written out here: the mask binarised at 128 (0/1), a
    kernel of ones of (H // 40, W // 40) (rows, columns; at least 1), (erode + dilate) / 2 in
    {0, 0.5, 1}, stored as 0, 128, 255."""
    height, width = mask.shape
    binary = (mask >= 128).astype(np.float32)
    kernel = np.ones((max(1, height // 40), max(1, width // 40)), np.uint8)
    level = (cv2.erode(binary, kernel) + cv2.dilate(binary, kernel)) / 2
    return np.select([level == 0, level == 0.5, level == 1], [0, 128, 255], -1).astype(np.uint8)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def parquet_rows(out: Path, split: str) -> list[dict]:
    rows = []
    for shard in sorted((out / "duts").glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(data_dir, out: Path, split: str, *extra: str) -> None:
    assert main(["build", "duts", "--data-dir", str(data_dir), "--split", split, "--out", str(out),
                 "--no-progress", "--max-samples-per-shard", "3", *extra]) == 0


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """(tree, folder holding DUTS-TR.zip and DUTS-TE.zip, folder holding split zips)."""
    root = tmp_path_factory.mktemp("duts")
    tree = make_duts_tree(root / "extracted")
    zipped = zip_tree(tree, root / "zips")
    split = zip_tree(tree, root / "split-zips", split_size="64k")
    assert list(split.glob("DUTS-TR.z01")), "the train zip should be split"
    return tree, zipped, split


@pytest.fixture(scope="module")
def folder_build(trees, tmp_path_factory):
    """Both splits built from the extracted folders."""
    tree, _, _ = trees
    out = tmp_path_factory.mktemp("from-folders")
    for split in SPLITS:
        build(tree.root, out, split)
    return out


def check_rows(tree, split: str, rows: list[dict], image_bytes: bool) -> None:
    """``rows`` (Parquet rows with bytes, or decoded streamed rows) are the pairs of
    ``split`` in name order with exact alpha, the DUTS trimap and the meta."""
    pairs = tree.pairs(split)
    assert [r["meta"]["name"] for r in rows] == [name for name, _, _ in pairs]
    sizes = {name: (w, h) for name, w, h in DEFAULT_SETS[TOPS[split]]}
    for index, (row, (name, image_path, mask_path)) in enumerate(zip(rows, pairs)):
        mask = pixels(tree.files[mask_path])
        if image_bytes:
            assert row["image"]["bytes"] == tree.files[image_path], name  # passed through
            assert row["alpha"]["bytes"] == tree.files[mask_path], name   # grey PNG: kept
            alpha, trimap = pixels(row["alpha"]["bytes"]), pixels(row["trimap"]["bytes"])
            image = pixels(row["image"]["bytes"])
        else:
            alpha, trimap, image = (np.asarray(row[k]) for k in ("alpha", "trimap", "image"))
        assert np.array_equal(image, pixels(tree.files[image_path])), name
        assert alpha.dtype == np.uint8 and np.array_equal(alpha, mask), name
        assert trimap.dtype == np.uint8 and np.array_equal(trimap, duts_trimap(mask)), name
        width, height = sizes[name]
        assert row["meta"] == {"recipe": "duts", "name": name, "split": split, "width": width,
                               "height": height, "paths": {"image": image_path, "mask": mask_path},
                               "trimap_kind": "duts", "index": index}


def test_built_from_folders_exact(trees, folder_build):
    tree = trees[0]
    for split in SPLITS:
        rows = parquet_rows(folder_build, split)
        check_rows(tree, split, rows, image_bytes=True)
        values = np.concatenate([pixels(r["trimap"]["bytes"]).ravel() for r in rows])
        assert set(np.unique(values)) == {0, 128, 255}
        record = json.loads((folder_build / "_stats" / "duts" / f"{split}.build.json").read_text())
        assert record["sources"]["skipped_inputs"] == []
        assert record["sources"]["location"] == TOPS[split]
        assert str(tree.root) not in json.dumps(record)


def test_the_small_image_has_no_unknown_band(trees):
    """36 x 30 pixels: the kernel is 1 x 1, erode = dilate = the mask, no 128 at all."""
    tree = trees[0]
    mask = pixels(tree.files["DUTS-TR/DUTS-TR-Mask/sun_tiny_0001.png"])
    assert 128 not in duts_trimap(mask) and set(np.unique(duts_trimap(mask))) == {0, 255}


def test_built_from_zips_and_split_zips_equals_the_folder_build(trees, folder_build, tmp_path):
    tree, zipped, split_zips = trees
    for source, name in ((zipped, "zips"), (split_zips, "split")):
        out = tmp_path / name
        for split in SPLITS:
            build(source, out, split)
            record = json.loads((out / "_stats" / "duts" / f"{split}.build.json").read_text())
            assert record["sources"]["location"] == f"{TOPS[split]}.zip"
        assert shard_bytes(out) == shard_bytes(folder_build), name


@pytest.mark.parametrize("source", ["folders", "zips", "split-zips"])
def test_streamed_in_place_every_split_exact(trees, source):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    tree, zipped, split_zips = trees
    data_dir = {"folders": tree.root, "zips": zipped, "split-zips": split_zips}[source]
    ds = load_dataset("mattehub", "duts", data_dir=str(data_dir), streaming=True)
    assert sorted(ds) == sorted(SPLITS)
    for split in SPLITS:
        check_rows(tree, split, list(ds[split]), image_bytes=False)


def test_streamed_over_http_from_the_zips(trees, http_root):
    import mattehub  # noqa: F401
    from datasets import load_dataset

    tree, zipped, _ = trees
    url = http_root(zipped)
    ds = load_dataset("mattehub", "duts", data_dir=url, split="test", streaming=True)
    check_rows(tree, "test", list(ds), image_bytes=False)


def test_only_present_splits_are_listed(trees, tmp_path):
    from mattehub.families.duts.recipe import DutsRecipe

    _, zipped, _ = trees
    (tmp_path / "DUTS-TE.zip").write_bytes((zipped / "DUTS-TE.zip").read_bytes())
    assert DutsRecipe.source_splits(str(tmp_path)) == ["test"]
    assert DutsRecipe.source_splits(str(zipped)) == ["train", "test"]


def test_workers_1_and_2_write_identical_shards(trees, folder_build, tmp_path):
    tree = trees[0]
    for split in SPLITS:
        build(tree.root, tmp_path / "w2", split, "--workers", "2")
    assert shard_bytes(tmp_path / "w2") == shard_bytes(folder_build)


def test_trimap_of_a_loaded_sample_is_the_stored_one(folder_build):
    """``mattehub.synthesis.trimap.trimap(alpha, "duts")`` on a loaded alpha gives the stored trimap."""
    from mattehub.synthesis.trimap import trimap

    for row in parquet_rows(folder_build, "train"):
        alpha = pixels(row["alpha"]["bytes"])
        assert np.array_equal(trimap(alpha, "duts"), pixels(row["trimap"]["bytes"]))

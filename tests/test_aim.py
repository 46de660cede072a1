"""``aim`` end to end on a tree written without mattehub (tests/aim_tree.py): the training
composites follow Deep Image Matting's rule (recomputed here with OpenCV), alphas are exact,
the test split passes its bytes through, and streaming gives the built rows."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from aim_tree import dim_composite, make_aim_tree
from conftest import shard_bytes
from mattehub.cli.main import main
from mattehub.families.configs import options_for

NUM_BGS = 3


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_aim_tree(tmp_path_factory.mktemp("aim"))


def _build(tree, out: Path, *extra: str) -> None:
    assert main(["build", "aim", "--out", str(out), "--no-progress", "--num-bgs", str(NUM_BGS),
                 *tree.args(), *extra]) == 0


def _rows(out: Path, split: str = "train") -> list[dict]:
    rows = []
    config = "composition-1k" if split == "test" else "aim"
    for shard in sorted((out / config).glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def _pixels(data: bytes, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), flags)


def _read(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    return cv2.imread(str(path), flags)


@pytest.fixture(scope="module")
def png_build(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("png")
    _build(tree, out, "--image-format", "png")
    return _rows(out)


def test_train_composites_follow_the_dim_rule_exactly(tree, png_build):
    rows = png_build
    assert len(rows) == len(tree.foregrounds) * NUM_BGS
    scales = set()
    for index, row in enumerate(rows):
        meta = row["meta"]
        fg_name = tree.foregrounds[index // NUM_BGS]
        assert (meta["fg"], meta["background_number"], meta["index"]) == (fg_name, index % NUM_BGS, index)
        assert meta["split"] == "train" and meta["fg_reestimate"] == "none"
        alpha = _read(tree.alpha_path(fg_name))
        fg = _read(tree.fg_path(fg_name), cv2.IMREAD_COLOR)
        bg_file = _read(tree.bg_root / meta["bg"], cv2.IMREAD_COLOR)
        image, bg, scale = dim_composite(fg, alpha, bg_file)
        assert np.array_equal(_pixels(row["alpha"]["bytes"]), alpha)
        assert np.array_equal(_pixels(row["fg"]["bytes"]), fg)
        assert np.array_equal(_pixels(row["bg"]["bytes"]), bg)
        assert np.array_equal(_pixels(row["image"]["bytes"]), image), (index, meta["bg"])
        assert meta["bg_scale"] == pytest.approx(scale)
        assert meta["bg_size"] == [bg_file.shape[1], bg_file.shape[0]]
        assert (meta["width"], meta["height"]) == (alpha.shape[1], alpha.shape[0])
        scales.add(scale > 1)
    assert scales == {True, False}, "the tree should exercise scaled and unscaled backgrounds"


def test_each_foreground_gets_distinct_backgrounds(tree, png_build):
    for number in range(len(tree.foregrounds)):
        chosen = [r["meta"]["bg"] for r in png_build[number * NUM_BGS:(number + 1) * NUM_BGS]]
        assert len(set(chosen)) == NUM_BGS and set(chosen) <= set(tree.backgrounds)
    draws = {tuple(r["meta"]["bg"] for r in png_build[n * NUM_BGS:(n + 1) * NUM_BGS])
             for n in range(len(tree.foregrounds))}
    assert len(draws) > 1, "foregrounds draw their own backgrounds"


def test_one_and_two_workers_write_identical_shards(tree, tmp_path):
    _build(tree, tmp_path / "one", "--max-samples-per-shard", "4")
    _build(tree, tmp_path / "two", "--max-samples-per-shard", "4", "--workers", "2")
    one, two = shard_bytes(tmp_path / "one"), shard_bytes(tmp_path / "two")
    assert len(one) > 2 and one == two


def test_a_jpeg_foreground_keeps_its_bytes_in_jpg_builds(tree, tmp_path):
    _build(tree, tmp_path / "s")
    rows = [r for r in _rows(tmp_path / "s") if r["meta"]["fg"] == "d.jpg"]
    assert rows and all(r["fg"]["bytes"] == tree.fg_path("d.jpg").read_bytes() for r in rows)
    assert all(r["meta"]["image_format"] == "jpg" and r["meta"]["jpeg_quality"] == 95 for r in rows)


def test_fg_reestimate_lsa_stores_the_foreground_it_composites(tree, tmp_path, png_build):
    from mattehub.synthesis.foreground import estimate_foreground

    _build(tree, tmp_path / "s", "--image-format", "png", "--fg-reestimate", "lsa")
    rows = _rows(tmp_path / "s")
    assert [r["meta"]["bg"] for r in rows] == [r["meta"]["bg"] for r in png_build]
    changed = 0
    for row in rows:
        fg_name = row["meta"]["fg"]
        assert row["meta"]["fg_reestimate"] == "lsa"
        raw = _read(tree.fg_path(fg_name), cv2.IMREAD_COLOR)
        alpha = _pixels(row["alpha"]["bytes"])
        stored = _pixels(row["fg"]["bytes"])
        assert np.array_equal(stored, estimate_foreground(raw, alpha, "lsa"))
        changed += not np.array_equal(stored, raw)
        bg = _pixels(row["bg"]["bytes"])
        a = alpha.astype(np.float64)[:, :, None] / 255
        expected = np.rint(a * stored + (1 - a) * bg).astype(np.uint8)
        assert np.array_equal(_pixels(row["image"]["bytes"]), expected)
    assert changed == len(rows)


def test_test_split_passes_bytes_through_in_natural_order(tree, tmp_path):
    assert main(["build", "composition-1k", "--out", str(tmp_path / "s"), "--no-progress",
                 "--data-dir", str(tree.data_dir)]) == 0
    rows = _rows(tmp_path / "s", "test")
    assert [r["meta"]["file"] for r in rows] == [f"test/merged/{stem}.png" for stem in tree.tests]
    for row, stem in zip(rows, tree.tests):
        assert row["image"]["bytes"] == tree.test_path("merged", stem).read_bytes()
        assert row["alpha"]["bytes"] == tree.test_path("alpha_copy", stem).read_bytes()
        assert row["trimap"]["bytes"] == tree.test_path("trimaps", stem).read_bytes()
        fg, number = stem.rsplit("_", 1)
        assert (row["meta"]["fg"], row["meta"]["background_number"]) == (fg, int(number))
        assert row["meta"]["split"] == "test" and row["meta"]["bg"] is None
    record = json.loads((tmp_path / "s" / "_stats" / "composition-1k" / "test.build.json").read_text())
    assert record["recipe"]["options"] == {"data_dir": "data", "split": "test"}
    assert str(tmp_path) not in json.dumps(record)


def _stream(data_dir: Path, split: str, **knobs) -> list[dict]:
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    config = "composition-1k" if split == "test" else "aim"
    return list(load_dataset("mattehub", config, data_dir=str(data_dir), split=split, streaming=True,
                             **knobs))


def test_streaming_gives_the_built_rows(tree, png_build, tmp_path):
    """Streamed from a tree holding the train split only (same files as ``tree``'s)."""
    train_only = make_aim_tree(tmp_path / "train", test=False)
    rows = _stream(train_only.data_dir, "train", bg_root=str(train_only.bg_root), num_bgs=NUM_BGS,
                   image_format="png")
    assert len(rows) == len(png_build)
    for row, built in zip(rows, png_build):
        assert row["meta"] == built["meta"]
        for field in ("image", "alpha", "fg", "bg"):
            want = _pixels(built[field]["bytes"])
            want = want if field == "alpha" else cv2.cvtColor(want, cv2.COLOR_BGR2RGB)
            assert np.array_equal(np.asarray(row[field]), want), field


def test_fg_reestimate_is_a_load_dataset_option(tmp_path):
    from mattehub.synthesis.foreground import estimate_foreground

    train_only = make_aim_tree(tmp_path / "train", test=False)
    rows = _stream(train_only.data_dir, "train", bg_root=str(train_only.bg_root), num_bgs=NUM_BGS,
                   image_format="png", fg_reestimate="lsa", num_samples=1)
    raw = _read(train_only.fg_path(train_only.foregrounds[0]), cv2.IMREAD_COLOR)
    alpha = _read(train_only.alpha_path(train_only.foregrounds[0]))
    want = cv2.cvtColor(estimate_foreground(raw, alpha, "lsa"), cv2.COLOR_BGR2RGB)
    assert len(rows) == 1 and rows[0]["meta"]["fg_reestimate"] == "lsa"
    assert np.array_equal(np.asarray(rows[0]["fg"]), want)


def test_the_test_split_streams_in_place(tmp_path):
    test_only = make_aim_tree(tmp_path / "test", train=False)
    rows = _stream(test_only.data_dir, "test")
    assert [r["meta"]["fg"] for r in rows] == ["t1", "t1", "t1", "t2"]
    for row, stem in zip(rows, test_only.tests):
        assert set(row) == {"__key__", "image", "alpha", "trimap", "meta"}
        for field, folder in (("image", "merged"), ("alpha", "alpha_copy"), ("trimap", "trimaps")):
            want = _read(test_only.test_path(folder, stem))
            want = cv2.cvtColor(want, cv2.COLOR_BGR2RGB) if want.ndim == 3 else want
            assert np.array_equal(np.asarray(row[field]), want), (stem, field)


def test_both_configs_stream_from_a_tree_holding_train_and_test(tree):
    """aim (train: fg, bg) and composition-1k (test: trimap) are two configs because their
    fields differ; on one tree each streams its own split."""
    rows = _stream(tree.data_dir, "train", bg_root=str(tree.bg_root), num_bgs=NUM_BGS)
    assert len(rows) == len(tree.foregrounds) * NUM_BGS
    assert len(_stream(tree.data_dir, "test")) == len(tree.tests)


def test_source_splits_follow_the_folders(tmp_path):
    from mattehub.families.aim.composition_1k import Composition1kRecipe
    from mattehub.families.aim.recipe import AimRecipe

    both = str(make_aim_tree(tmp_path / "both").data_dir)
    assert AimRecipe.source_splits(both) == ["train"]
    assert Composition1kRecipe.source_splits(both) == ["test"]
    assert AimRecipe.source_splits(str(make_aim_tree(tmp_path / "te", train=False).data_dir)) == []
    assert Composition1kRecipe.source_splits(str(make_aim_tree(tmp_path / "tr", test=False).data_dir)) == []


def test_num_bgs_defaults_to_100_and_is_honoured_when_given():
    def num_bgs(**values) -> int:
        return options_for("aim", dict(data_dir="/d", bg_root="/b", **values), "train").num_bgs

    assert num_bgs() == 100
    assert num_bgs(num_bgs=1) == 1 and num_bgs(num_bgs=7) == 7

    surreal = options_for("surreal-alpha", {"data_dir": "/d", "bg_root": "/b"}, "train")
    assert surreal.num_bgs == 1  # surreal-alpha's own default


def test_sample_ids_map_to_foreground_and_k(tree):
    from mattehub.families.aim.options import AimOptions
    from mattehub.families.aim.recipe import AimRecipe

    recipe = AimRecipe(AimOptions(data_dir=str(tree.data_dir), bg_root=str(tree.bg_root), num_bgs=4), seed=5)
    recipe.prepare()
    assert recipe.available() == 4 * len(tree.foregrounds)
    assert recipe.locate(9) == (2, 1)
    tasks = list(recipe.task_ranges(2, 13))
    assert [list(t) for t in tasks] == [[2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12]]
    assert sorted(recipe.draw(0)) == sorted(set(recipe.draw(0)))


def test_the_test_split_reads_a_zip_of_the_tree(tree, tmp_path):
    import zipfile

    archive = tmp_path / "aim.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted((tree.data_dir / "test").rglob("*.png")):
            handle.write(path, "Combined/" + path.relative_to(tree.data_dir).as_posix())
    assert main(["build", "composition-1k", "--out", str(tmp_path / "s"), "--no-progress",
                 "--data-dir", str(archive)]) == 0
    rows = _rows(tmp_path / "s", "test")
    assert [r["meta"]["file"] for r in rows] == [f"test/merged/{stem}.png" for stem in tree.tests]
    assert [r["image"]["bytes"] for r in rows] == \
        [tree.test_path("merged", stem).read_bytes() for stem in tree.tests]


def test_composite_rounds_exactly_for_every_value_triple():
    """``aim_compose.composite`` (OpenCV blendLinear) equals round(a/255*fg + (1-a/255)*bg) in
    float64 for every (fg, bg, a) in 0..255."""
    from mattehub.families.aim.compose import composite

    values = np.arange(256, dtype=np.uint8)
    for first in range(0, 256, 32):
        alphas = values[first:first + 32]
        a = np.repeat(alphas, 256)[:, None].repeat(256, axis=1)           # rows: (a, fg)
        fg = np.tile(values, len(alphas))[:, None].repeat(256, axis=1)
        bg = np.broadcast_to(values[None, :], a.shape)                     # columns: bg
        fg3, bg3 = np.dstack([fg] * 3), np.ascontiguousarray(np.dstack([bg] * 3))
        weight = a.astype(np.float64)[:, :, None] / 255
        want = np.rint(weight * fg3 + (1 - weight) * bg3).astype(np.uint8)
        assert np.array_equal(composite(fg3, bg3, a), want), first

"""overlay-depth with ``--depth MODEL``: a tiny random transformers model saved with
``save_pretrained`` and loaded by path through the same code users run."""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from mattehub.cli.main import main
from tiny_depth import save_tiny_depth_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_tiny_depth_model(tmp_path_factory.mktemp("models") / "tiny-dpt", "dpt")


def _build(tree, model_dir: Path, out: Path, *extra: str) -> None:
    args = ["build", "overlay-depth", "--out", str(out), "--no-progress", "--size", "64",
            "--positions", "2", "--scales", "1.0,0.5", "--depth", str(model_dir),
            "--depth-batch", "6", "--image-format", "png", *tree.args(masks=True), *extra]
    assert main(args) == 0


def _rows(out: Path) -> list[dict]:
    rows = []
    for shard in sorted((out / "overlay-depth").glob("train-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def _digest(rows: list[dict]) -> str:
    return hashlib.sha256(b"".join(r["depth"]["bytes"] + r["image"]["bytes"] for r in rows)).hexdigest()


def test_model_depth_is_8_bit_bright_far_min_max_and_named(overlay_tree, model_dir, tmp_path):
    _build(overlay_tree, model_dir, tmp_path / "out", "--num-samples", "12")
    rows = _rows(tmp_path / "out")
    assert len(rows) == 12
    for row in rows:
        depth = cv2.imdecode(np.frombuffer(row["depth"]["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
        assert depth.dtype == np.uint8 and depth.shape == (64, 64)
        assert depth.min() == 0 and depth.max() == 255  # per-image min-max
        meta = row["meta"]
        assert meta["depth_mode"] == "model" and meta["depth_model"] == "tiny-dpt"
        assert meta["depth_polarity"] == "larger = farther"
    assert str(tmp_path) not in (tmp_path / "out" / "README.md").read_text()


def test_model_depth_bytes_do_not_depend_on_workers_or_shards(overlay_tree, model_dir, tmp_path):
    """Batches are aligned to absolute ids (6 here), so a worker asked for ids 4..9 still
    computes the batches 0..5 and 6..11 whole: 1 worker with shards of 100, 2 workers with
    shards of 4, and ids asked one at a time give the same bytes."""
    _build(overlay_tree, model_dir, tmp_path / "a", "--num-samples", "14")
    _build(overlay_tree, model_dir, tmp_path / "b", "--num-samples", "14", "--workers", "2",
           "--max-samples-per-shard", "4")
    first, second = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert [r["__key__"] for r in first] == [r["__key__"] for r in second]
    assert _digest(first) == _digest(second)


def test_a_sample_alone_equals_it_in_a_build(overlay_tree, model_dir, tmp_path):
    from mattehub.families.configs import recipe_for
    from mattehub.options.run import RunOptions

    _build(overlay_tree, model_dir, tmp_path / "out", "--num-samples", "10")
    built = _rows(tmp_path / "out")
    values = dict(size=64, positions=2, scales=(1.0, 0.5), depth=str(model_dir), depth_batch=6,
                  image_format="png", bg_root=str(overlay_tree.bg_root),
                  fg_root=str(overlay_tree.fg_root), mask_root=str(overlay_tree.mask_root))
    recipe = recipe_for("overlay-depth", values, "train", RunOptions())
    recipe.prepare()
    alone = recipe.make(7).sample.fields
    assert alone["depth"] == built[7]["depth"]["bytes"]
    assert alone["image"] == built[7]["image"]["bytes"]


def test_an_unloadable_model_stops_before_any_sample(overlay_tree, tmp_path, capsys):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    (not_a_model / "config.json").write_text("{}")
    args = ["build", "overlay-depth", "--out", str(tmp_path / "out"), "--no-progress",
            "--depth", str(not_a_model), *overlay_tree.args()]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not-a-model" in err and "Traceback" not in err
    assert not list((tmp_path / "out").glob("overlay-depth/*.parquet"))


def test_model_depth_equals_a_direct_transformers_run(overlay_tree, model_dir, tmp_path):
    """The stored depth of each sample = the model run directly on its batch of stored
    overlays (PNG, so exactly the composites), computed here with transformers and torch
    alone: bilinear resize to the canvas, flipped (DPT predicts inverse depth), per-image
    min-max, rounded."""
    import torch
    from transformers import AutoImageProcessor, AutoModelForDepthEstimation

    _build(overlay_tree, model_dir, tmp_path / "out", "--num-samples", "6")  # one batch of 6
    rows = _rows(tmp_path / "out")
    overlays = [cv2.cvtColor(cv2.imdecode(np.frombuffer(r["image"]["bytes"], np.uint8),
                                          cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for r in rows]
    processor = AutoImageProcessor.from_pretrained(model_dir)
    model = AutoModelForDepthEstimation.from_pretrained(model_dir).eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            raw = model(**processor(images=overlays, return_tensors="pt")).predicted_depth
    finally:
        torch.set_num_threads(threads)
    maps = torch.nn.functional.interpolate(raw[:, None].float(), size=(64, 64), mode="bilinear",
                                           align_corners=False)[:, 0].numpy()
    for row, disparity in zip(rows, maps):
        far = -disparity.astype(np.float64)
        expected = np.rint((far - far.min()) / (far.max() - far.min()) * 255).astype(np.uint8)
        stored = cv2.imdecode(np.frombuffer(row["depth"]["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(stored, expected)

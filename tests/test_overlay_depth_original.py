"""overlay-depth from the original dataset, end to end through the recipe: streamed in place
from a split Dataset.zip, converted with ``mattehub build --data-dir``, exported back, and
re-read with the same bytes (the tree is written by tests/overlay_original_tree.py, without
mattehub)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mattehub.cli.main import main
from overlay_original_tree import make_original_tree, zip_dataset

MISSING = ("Dataset/bg1/fg_2/overlay/7.jpg",)
EMPTY_DEPTH = ("Dataset/bg2/fg_2/overlay/40.jpg",)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A messy original tree (malformed lines, a missing file, an empty depth field) and
    its split Dataset.zip (Info-ZIP ``zip -s``), csv beside it."""
    root = tmp_path_factory.mktemp("original")
    tree = make_original_tree(root / "data", malformed=True, missing=MISSING,
                              empty_depth=EMPTY_DEPTH, size=48)
    zip_dataset(tree, root / "zipped", csv="beside", split="64k")
    assert list((root / "zipped").glob("Dataset.z0*")), "the zip should be split"
    return tree, root / "zipped"


def _usable(tree) -> list[tuple[int, str, str, str, str]]:
    """Rows a reader keeps: every listed file present, and a depth file (others have one)."""
    return [row for row in tree.rows if row[4]]


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def _parquet_rows(out: Path) -> list[dict]:
    rows = []
    for shard in sorted((out / "overlay-depth").glob("train-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def test_streamed_in_place_from_a_split_zip_every_row_decoded_exactly(original):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    tree, zipped = original
    ds = load_dataset("mattehub", "overlay-depth", data_dir=str(zipped), split="train", streaming=True)
    rows = list(ds)
    expected = _usable(tree)
    assert [r["meta"]["csv_line"] for r in rows] == [line for line, *_ in expected]
    for row, (line, bg, overlay, mask, depth) in zip(rows, expected):
        assert row["meta"]["source"] == "original" and row["meta"]["depth_mode"] == "original"
        for field, path in (("image", overlay), ("mask", mask), ("depth", depth), ("bg", bg)):
            assert np.array_equal(np.asarray(row[field]), _pixels(tree.files[path])), (line, field)
        assert row["meta"]["paths"] == {"bg": bg, "overlay": overlay, "mask": mask, "depth": depth}


def test_build_passes_bytes_through_and_names_skipped_lines(original, tmp_path):
    tree, zipped = original
    assert main(["build", "overlay-depth", "--data-dir", str(zipped), "--out", str(tmp_path / "s"),
                 "--no-progress", "--max-samples-per-shard", "5"]) == 0
    rows = _parquet_rows(tmp_path / "s")
    expected = _usable(tree)
    assert len(rows) == len(expected)
    for row, (_, bg, overlay, mask, depth) in zip(rows, expected):
        assert row["image"]["bytes"] == tree.files[overlay]
        assert row["mask"]["bytes"] == tree.files[mask]  # the q50 JPEG, untouched
        assert row["depth"]["bytes"] == tree.files[depth]
        assert row["bg"]["bytes"] == tree.files[bg]
    record = json.loads((tmp_path / "s" / "_stats" / "overlay-depth" / "train.build.json").read_text())
    skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
    for line in tree.skipped:
        assert f"label_data.csv:{line}" in skipped, line
    empty = next(line for line, *paths in tree.rows if not paths[3])
    assert "no depth file" in skipped[f"label_data.csv:{empty}"]
    assert str(tmp_path) not in json.dumps(record)


def test_export_then_reread_gives_the_same_bytes(original, tmp_path):
    _, zipped = original
    assert main(["build", "overlay-depth", "--data-dir", str(zipped), "--out", str(tmp_path / "s"),
                 "--no-progress"]) == 0
    assert main(["export", "overlay-depth", str(tmp_path / "s"), "--out", str(tmp_path / "e"),
                 "--no-progress"]) == 0
    assert main(["build", "overlay-depth", "--data-dir", str(tmp_path / "e"), "--out",
                 str(tmp_path / "s2"), "--no-progress"]) == 0
    first, second = _parquet_rows(tmp_path / "s"), _parquet_rows(tmp_path / "s2")
    assert len(first) == len(second) > 0
    for a, b in zip(first, second):
        for field in ("image", "mask", "depth", "bg"):
            assert a[field]["bytes"] == b[field]["bytes"]
        assert a["meta"]["paths"] == b["meta"]["paths"]


def test_synthesised_export_reads_back_with_the_same_bytes(overlay_tree, tmp_path):
    common = ["--no-progress", "--size", "64", "--positions", "2", "--scales", "1.0,0.5"]
    assert main(["build", "overlay-depth", "--out", str(tmp_path / "s"), *common,
                 *overlay_tree.args(depth=True)]) == 0
    assert main(["export", "overlay-depth", str(tmp_path / "s"), "--out", str(tmp_path / "e"),
                 "--no-progress"]) == 0
    csv_rows = (tmp_path / "e" / "label_data.csv").read_text().splitlines()
    built = _parquet_rows(tmp_path / "s")
    assert len(csv_rows) == len(built)
    assert csv_rows[0] == ";".join(f'"{built[0]["meta"]["paths"][k]}"'
                                   for k in ("bg", "overlay", "mask", "depth"))
    assert main(["build", "overlay-depth", "--data-dir", str(tmp_path / "e"), "--out",
                 str(tmp_path / "s2"), "--no-progress"]) == 0
    reread = _parquet_rows(tmp_path / "s2")
    for a, b in zip(built, reread, strict=True):
        for field in ("image", "mask", "depth", "bg"):
            assert a[field]["bytes"] == b[field]["bytes"], field


def test_an_export_carries_its_meta_back(overlay_tree, tmp_path):
    """Built with other scales and exact depth: read back from the export, the sample's meta
    is the build's (from the export's mattehub_meta.jsonl), not guessed from file numbers."""
    assert main(["build", "overlay-depth", "--out", str(tmp_path / "s"), "--no-progress",
                 "--size", "64", "--positions", "2", "--scales", "0.5,1.0", "--no-flip",
                 *overlay_tree.args(depth=True)]) == 0
    assert main(["export", "overlay-depth", str(tmp_path / "s"), "--out", str(tmp_path / "e"),
                 "--no-progress"]) == 0
    assert main(["build", "overlay-depth", "--data-dir", str(tmp_path / "e"), "--out",
                 str(tmp_path / "s2"), "--no-progress"]) == 0
    keys = ("source", "fg", "flipped", "scale", "position", "box_size", "depth_mode",
            "depth_units", "depth_polarity", "size")
    built, reread = _parquet_rows(tmp_path / "s"), _parquet_rows(tmp_path / "s2")
    assert {r["meta"]["scale"] for r in built} == {0.5, 1.0}
    for a, b in zip(built, reread, strict=True):
        assert {k: a["meta"][k] for k in keys} == {k: b["meta"][k] for k in keys}
        assert b["meta"]["csv_line"] == a["meta"]["index"] + 1


def test_colour_stored_masks_pass_through_untouched(tmp_path):
    """A mask published as a 3-channel JPEG keeps its bytes (nothing is re-encoded); its
    colour is bright (luma >= 128), since a mask with no foreground pixel is refused."""
    tree = make_original_tree(tmp_path / "data", num_bgs=1, num_fgs=1, ks=(1, 2), size=32)
    mask = tree.rows[0][3]
    buffer = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), (250, 200, 10), np.uint8)).save(buffer, "JPEG", quality=50)
    (tree.root / mask).write_bytes(buffer.getvalue())
    assert main(["build", "overlay-depth", "--data-dir", str(tree.root), "--out",
                 str(tmp_path / "s"), "--no-progress"]) == 0
    rows = _parquet_rows(tmp_path / "s")
    assert rows[0]["mask"]["bytes"] == buffer.getvalue()


def test_csv_zipped_inside_dataset_folder_with_root_relative_paths(tmp_path):
    """Dataset.zip holding Dataset/label_data.csv whose paths still say Dataset/...: the
    paths are resolved from the zip's root, not doubled to Dataset/Dataset/..."""
    import shutil
    import subprocess

    tree = make_original_tree(tmp_path / "data", num_bgs=1, num_fgs=1, ks=(1, 2, 3), size=32)
    shutil.copyfile(tree.csv, tree.root / "Dataset" / "label_data.csv")
    (tmp_path / "z").mkdir()
    subprocess.run(["zip", "-r", "-q", str(tmp_path / "z" / "Dataset.zip"), "Dataset"],
                   cwd=tree.root, check=True)
    assert main(["build", "overlay-depth", "--data-dir", str(tmp_path / "z"), "--out",
                 str(tmp_path / "s"), "--no-progress"]) == 0
    rows = _parquet_rows(tmp_path / "s")
    assert [r["image"]["bytes"] for r in rows] == [tree.files[row[2]] for row in tree.rows]

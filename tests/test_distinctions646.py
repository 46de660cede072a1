"""``distinctions-646`` on trees written without mattehub (tests/d646_tree.py, the extracted
release's layout): both splits composited over ``--num-bgs`` distinct backgrounds each (the
release's 100 / 20 by default), the composite checked against the DIM rule computed here,
alpha exactly the GT file, a damaged or unpaired file a counted skip naming it; export back to
``Train/{FG,GT}`` reads back to the same samples; ``mattehub evaluate`` scores the test split."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from d646_tree import write_tree
from mattehub.cli.main import main

CONFIG = "distinctions-646"


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def rows_of(out: Path, split: str) -> list[dict]:
    rows = []
    for shard in sorted((out / CONFIG).glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(data: Path, bg: Path, out: Path, split: str, *extra: str) -> list[dict]:
    assert main(["build", CONFIG, "--data-dir", str(data), "--bg-root", str(bg), "--split", split,
                 "--out", str(out), "--no-progress", *extra]) == 0
    return rows_of(out, split)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("d646"))


def dim_bg(path: Path, width: int, height: int) -> np.ndarray:
    """The DIM rule written out: scale by max(fg/bg) only when > 1 (ceil, bicubic), crop."""
    bg = cv2.imread(str(path), cv2.IMREAD_COLOR)
    ratio = max(width / bg.shape[1], height / bg.shape[0])
    if ratio > 1:
        bg = cv2.resize(bg, (math.ceil(bg.shape[1] * ratio), math.ceil(bg.shape[0] * ratio)),
                        interpolation=cv2.INTER_CUBIC)
    return bg[:height, :width]


def test_train_composites_follow_the_dim_rule(tree, tmp_path):
    data, bg = tree
    rows = build(data, bg, tmp_path, "train", "--num-bgs", "3", "--image-format", "png")
    assert len(rows) == 6
    for row in rows:
        meta = row["meta"]
        fg_file = data / "Distinctions-646" / "Train" / "FG" / meta["fg"]
        gt_file = fg_file.parent.parent / "GT" / meta["fg"]
        assert row["alpha"]["bytes"] == gt_file.read_bytes()
        fg = cv2.imread(str(fg_file), cv2.IMREAD_UNCHANGED)[..., :3]
        assert np.array_equal(pixels(row["fg"]["bytes"]), fg[..., ::-1])
        expected_bg = dim_bg(bg / meta["bg"], meta["width"], meta["height"])
        assert np.array_equal(pixels(row["bg"]["bytes"]), expected_bg[..., ::-1])
        a = pixels(row["alpha"]["bytes"]).astype(np.float64)[..., None] / 255
        want = np.rint(a * fg + (1 - a) * expected_bg).astype(np.uint8)
        assert np.array_equal(pixels(row["image"]["bytes"]), want[..., ::-1])
    by_fg = {}
    for row in rows:
        by_fg.setdefault(row["meta"]["fg"], set()).add(row["meta"]["bg"])
    assert sorted(by_fg) == ["a(1).png", "b.png"] and all(len(b) == 3 for b in by_fg.values())


def test_test_split_defaults_to_the_release_count_and_evaluates(tree, tmp_path):
    from mattehub.contract.sample import sample_key
    from mattehub.evaluation import write_predictions

    data, bg = tree
    rows = build(data, bg, tmp_path / "out", "test")
    assert len(rows) == 20 and {r["meta"]["split"] for r in rows} == {"test"}
    for k, row in enumerate(rows):
        guess = pixels(row["alpha"]["bytes"]) if k else np.zeros_like(pixels(row["alpha"]["bytes"]))
        write_predictions(tmp_path / "pred", sample_key(k), guess)
    assert main(["evaluate", CONFIG, "--data-dir", str(tmp_path / "out"), "--split", "test",
                 "--pred", str(tmp_path / "pred"), "--json", str(tmp_path / "e.json"), "--no-progress"]) == 0
    sads = [s["whole"]["sad"] for s in json.loads((tmp_path / "e.json").read_text())["samples"]]
    assert sads[0] > 0 and not any(sads[1:])


def test_unpaired_and_damaged_files_are_counted_skips(tmp_path):
    data, bg = write_tree(tmp_path, train=(("a.png", 64, 48), ("b.png", 40, 56), ("c.png", 30, 30)))
    train = data / "Distinctions-646" / "Train"
    (train / "GT" / "c.png").unlink()
    gt = (train / "GT" / "b.png").read_bytes()
    (train / "GT" / "b.png").write_bytes(gt[: len(gt) // 2])
    out = tmp_path / "out"
    rows = build(data, bg, out, "train", "--num-bgs", "2")
    assert {r["meta"]["fg"] for r in rows} == {"a.png"}
    record = json.loads((out / "_stats" / CONFIG / "train.build.json").read_text())
    skipped = {s["path"] for s in record["sources"]["skipped_inputs"]}
    assert "Train/FG/c.png" in skipped
    events = json.loads(next((out / "_stats" / CONFIG).glob("train-0*.json")).read_text())["events"]
    bad = {e["path"] for e in events if e["kind"] == "bad_input"}
    assert bad == {"Train/GT/b.png"}


def test_export_reads_back_as_the_same_samples(tree, tmp_path):
    data, bg = tree
    first = build(data, bg, tmp_path / "a", "train", "--num-bgs", "2", "--image-format", "png")
    assert main(["export", CONFIG, str(tmp_path / "a"), "--split", "train", "--out",
                 str(tmp_path / "exp"), "--no-progress"]) == 0
    assert (tmp_path / "exp" / "Train" / "GT" / "b.png").read_bytes() == \
        (data / "Distinctions-646" / "Train" / "GT" / "b.png").read_bytes()
    again = build(tmp_path / "exp", bg, tmp_path / "b", "train", "--num-bgs", "2", "--image-format", "png")
    for one, two in zip(first, again):
        assert all(one[f] == two[f] for f in ("image", "alpha", "fg", "bg"))


def test_splits_are_listed_and_a_missing_split_is_a_clear_error(tree, tmp_path):
    from mattehub.core.errors import SourceError
    from mattehub.families.distinctions646.sources import scan, source_splits

    data, _ = tree
    assert source_splits(str(data)) == ["train", "test"]
    (tmp_path / "Train" / "FG").mkdir(parents=True)
    with pytest.raises(SourceError, match=r"has no Test/FG folder for split 'test' \(it holds Train\)"):
        scan(str(tmp_path), "test")

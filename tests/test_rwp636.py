"""``rwp-636`` on trees written without mattehub (tests/rwp_tree.py, the published layout):
built from the folder and from a zip, streamed over HTTP, image bytes and alpha bytes exactly
the files; unpaired files are counted skips naming them; export reads back; ``mattehub
evaluate`` scores the test split."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import mattehub
from mattehub.cli.main import main
from rwp_tree import ITEMS, alpha_of, write_tree, zip_tree

TOP = "RealWorldPortrait-636"


def rows_of(out: Path) -> list[dict]:
    rows = []
    for shard in sorted((out / "rwp-636").glob("test-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(data_dir, out: Path, *extra: str) -> list[dict]:
    assert main(["build", "rwp-636", "--data-dir", str(data_dir), "--out", str(out),
                 "--no-progress", *extra]) == 0
    return rows_of(out)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("rwp"))


@pytest.mark.parametrize("form", ["folder", "inner folder", "zip"])
def test_bytes_pass_through_from_every_form(tree, tmp_path, form):
    data_dir = {"folder": tree, "inner folder": tree / TOP,
                "zip": zip_tree(tree, tmp_path / "rwp.zip") if form == "zip" else None}[form]
    rows = build(data_dir, tmp_path / "out")
    assert [r["meta"]["name"] for r in rows] == [name for name, _, _ in ITEMS]
    for row, (name, _, _) in zip(rows, ITEMS):
        assert row["image"]["bytes"] == (tree / TOP / "image" / f"{name}.jpg").read_bytes()
        assert row["alpha"]["bytes"] == (tree / TOP / "alpha" / f"{name}.png").read_bytes()
        assert row["meta"]["paths"] == {"image": f"image/{name}.jpg", "alpha": f"alpha/{name}.png"}


def test_stream_over_http(tree, http_root):
    url = http_root(tree / TOP)
    names = [r["meta"]["name"] for r in mattehub.stream("rwp-636", data_dir=url, split="test")]
    assert names == [name for name, _, _ in ITEMS]


def test_unpaired_files_are_counted_skips(tmp_path):
    root = write_tree(tmp_path / "src")
    (root / TOP / "alpha" / "01_0002_input.png").unlink()
    (root / TOP / "image" / "notes.txt").write_text("x")
    out = tmp_path / "out"
    rows = build(root, out)
    assert [r["meta"]["name"] for r in rows] == ["01_0001_input", "03_0100_input"]
    record = json.loads((out / "_stats" / "rwp-636" / "test.build.json").read_text())
    skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
    assert set(skipped) == {"image/01_0002_input.jpg", "image/notes.txt"}


def test_export_reads_back_and_evaluate_scores(tree, tmp_path):
    from mattehub.contract.sample import sample_key
    from mattehub.evaluation import write_predictions

    rows = build(tree, tmp_path / "out")
    assert main(["export", "rwp-636", str(tmp_path / "out"), "--split", "test", "--out",
                 str(tmp_path / "exp"), "--no-progress"]) == 0
    again = build(tmp_path / "exp", tmp_path / "back")
    assert [(r["image"], r["alpha"]) for r in again] == [(r["image"], r["alpha"]) for r in rows]
    for k, (name, width, height) in enumerate(ITEMS):
        guess = alpha_of(width, height, k) if k else np.zeros((height, width), np.uint8)
        write_predictions(tmp_path / "pred", sample_key(k), guess)
    assert main(["evaluate", "rwp-636", "--data-dir", str(tree), "--pred", str(tmp_path / "pred"),
                 "--json", str(tmp_path / "e.json"), "--no-progress"]) == 0
    sads = [s["whole"]["sad"] for s in json.loads((tmp_path / "e.json").read_text())["samples"]]
    assert sads[0] > 0 and sads[1:] == [0, 0]

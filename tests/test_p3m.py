"""``p3m-10k`` (train) and ``p3m-500`` (the validation sets) end to end on stand-in P3M-10k trees written without mattehub
(tests/p3m_tree.py): built with ``mattehub build`` and streamed with ``load_dataset`` from the
extracted folder and from the published zip (Info-ZIP) in place; images and mattes are the
published bytes, trimaps the published files, splits and meta as published; exported back to
the published folders byte for byte; evaluated on a validation split."""
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
from mattehub.cli.main import main
from p3m_tree import PUBLISHED, SETS, make_p3m_tree, zip_tree

SPLITS = tuple(SETS)
CONFIGS = {"train": "p3m-10k", "p3m_500_p": "p3m-500", "p3m_500_np": "p3m-500"}


def rows_of(out: Path, split: str) -> list[dict]:
    rows = []
    for shard in sorted((out / CONFIGS[split]).glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(data_dir, out: Path, split: str, *extra: str) -> int:
    return main(["build", CONFIGS[split], "--data-dir", str(data_dir), "--split", split, "--out",
                 str(out), "--no-progress", "--max-samples-per-shard", "2", *extra])


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """(tree, folder holding P3M-10k.zip)."""
    root = tmp_path_factory.mktemp("p3m")
    tree = make_p3m_tree(root / "extracted")
    return tree, zip_tree(tree, root / "zip")


@pytest.fixture(scope="module")
def folder_build(trees, tmp_path_factory):
    out = tmp_path_factory.mktemp("p3m-from-folder")
    for split in SPLITS:
        assert build(trees[0].root, out, split) == 0
    return out


def check(tree, split: str, rows: list[dict], stored: bool) -> None:
    """``rows`` are the samples of ``split`` in name order: exact bytes (stored) or pixels
    (streamed) of the published files, and the published meta."""
    expected = tree.samples(split)
    assert [row["meta"]["name"] for row in rows] == [s["name"] for s in expected]
    subset, blurred = PUBLISHED[split]
    for index, (row, sample) in enumerate(zip(rows, expected)):
        paths = sample["paths"]
        assert ("trimap" in row) == (split != "train")
        for field in [f for f in ("image", "alpha", "trimap") if paths[f]]:
            published = tree.files[paths[field]]
            if stored:
                assert row[field]["bytes"] == published, (split, field)
            else:
                assert np.array_equal(np.asarray(row[field]), pixels(published)), (split, field)
        assert row["meta"] == {"recipe": CONFIGS[split], "name": sample["name"], "split": split,
                               "width": sample["width"], "height": sample["height"],
                               "paths": paths, "index": index, "subset": subset,
                               "face_blurred": blurred}


def test_built_from_the_folder_exact(trees, folder_build):
    tree = trees[0]
    for split in SPLITS:
        check(tree, split, rows_of(folder_build, split), stored=True)
        record = json.loads((folder_build / "_stats" / CONFIGS[split] / f"{split}.build.json").read_text())
        assert record["sources"]["skipped_inputs"] == [] and str(tree.root) not in json.dumps(record)


def test_built_from_the_zip_in_place_equals_the_folder_build(trees, folder_build, tmp_path):
    for split in SPLITS:
        assert build(trees[1], tmp_path, split) == 0
        record = json.loads((tmp_path / "_stats" / CONFIGS[split] / f"{split}.build.json").read_text())
        assert record["sources"]["location"] == "P3M-10k.zip"
    assert shard_bytes(tmp_path) == shard_bytes(folder_build)


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_streamed_in_place_every_split_exact(trees, source):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    tree, zipped = trees
    data_dir = str(tree.root if source == "folder" else zipped)
    for config in ("p3m-10k", "p3m-500"):
        ds = load_dataset("mattehub", config, data_dir=data_dir, streaming=True)
        assert sorted(ds) == sorted(split for split in SPLITS if CONFIGS[split] == config)
        for split in ds:
            check(tree, split, list(ds[split]), stored=False)


def test_only_present_splits_are_listed(trees, tmp_path):
    from mattehub.families.p3m.recipe import P3m500Recipe, P3mRecipe

    tree = trees[0]
    for relative, data in tree.files.items():
        if relative.startswith("validation/P3M-500-NP/"):
            (tmp_path / "P3M-10k" / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "P3M-10k" / relative).write_bytes(data)
    assert P3m500Recipe.source_splits(str(tmp_path)) == ["p3m_500_np"]
    assert P3m500Recipe.source_splits(str(trees[1])) == ["p3m_500_p", "p3m_500_np"]
    assert P3mRecipe.source_splits(str(trees[1])) == ["train"]


def test_with_trimap_only_where_none_is_published(trees, tmp_path, capsys):
    """train (no trimap published) takes --with trimap; the validation sets have theirs."""
    from mattehub.synthesis.trimap import trimap

    tree = trees[0]
    assert build(tree.root, tmp_path, "train", "--with", "trimap") == 0
    for row in rows_of(tmp_path, "train"):
        assert np.array_equal(pixels(row["trimap"]["bytes"]),
                              trimap(pixels(row["alpha"]["bytes"]), "him-eval"))
    assert build(tree.root, tmp_path, "p3m_500_p", "--with", "trimap") != 0
    assert "already has a trimap field" in capsys.readouterr().err


def test_exported_back_to_the_published_folders_byte_for_byte(trees, folder_build, tmp_path):
    tree = trees[0]
    for split in SPLITS:
        assert main(["export", CONFIGS[split], str(folder_build), "--split", split, "--out",
                     str(tmp_path), "--no-progress", "--overwrite"]) == 0
    written = {p.relative_to(tmp_path / "P3M-10k").as_posix(): p.read_bytes()
               for p in (tmp_path / "P3M-10k").rglob("*") if p.is_file()}
    published = {path: data for path, data in tree.files.items()
                 if "/fg/" not in path and "/facemask/" not in path}
    assert written == published


def test_evaluated_on_a_validation_split_with_the_published_trimap(trees, tmp_path, capsys):
    tree = trees[0]
    samples = tree.samples("p3m_500_np")
    pred = tmp_path / "pred"
    pred.mkdir()
    for index, sample in enumerate(samples):
        cv2.imwrite(str(pred / f"{index:08d}.png"), pixels(tree.files[sample["paths"]["alpha"]]))
    assert main(["evaluate", "p3m-500", "--data-dir", str(trees[1]), "--pred", str(pred),
                 "--split", "p3m_500_np", "--json", str(tmp_path / "e.json"),
                 "--no-progress"]) == 0
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["counts"]["samples"] == len(samples)
    assert all(value == 0 for value in report["means"]["whole"].values())
    assert "stored" in json.dumps(report["trimap"])


def test_as_arrays_gets_the_mattes_the_gate_decoded(trees):
    """Read into arrays, each sample's alpha and trimap are decoded once (by the gate) and
    handed over (``contract.decoded``), with the published pixels."""
    import mattehub
    from mattehub.contract import decoded
    from mattehub.training import as_arrays

    tree, zipped = trees
    try:
        before = decoded.hits
        rows = list(as_arrays(mattehub.stream("p3m-500", str(zipped), split="p3m_500_p"), "numpy"))
        assert decoded.hits - before == 2 * len(rows) == 2 * len(tree.samples("p3m_500_p"))
        for row, sample in zip(rows, tree.samples("p3m_500_p")):
            for field in ("alpha", "trimap"):
                assert np.array_equal(row[field], pixels(tree.files[sample["paths"][field]]))
    finally:
        decoded.forget()

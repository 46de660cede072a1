"""``hub-him2k`` and ``hub-aim500`` on Parquet trees written without mattehub
(tests/hub_mirror_tree.py, the mirrors' published schema): built and streamed in place,
locally and over HTTP; images and masks exact (the stored bytes), the union alpha
min(255, sum), splits from the file names and folders, meta from the mirror's columns;
damaged rows and files are counted skips naming them; export goes back to the published
folders (HIM-2K's reads back as ``him2k``); ``mattehub evaluate`` scores the test split."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import mattehub
from hub_mirror_tree import aim_rows, him_rows, matte, png, write_aim500, write_him2k
from mattehub.cli.main import main
from mattehub.core.errors import SourceError


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def rows_of(out: Path, config: str, split: str) -> list[dict]:
    rows = []
    for shard in sorted((out / config).glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(config: str, data_dir, out: Path, split: str, *extra: str) -> None:
    assert main(["build", config, "--data-dir", str(data_dir), "--split", split, "--out", str(out),
                 "--no-progress", "--max-samples-per-shard", "3", *extra]) == 0


def events(out: Path, config: str, split: str) -> list[dict]:
    found = []
    for path in sorted((out / "_stats" / config).glob(f"{split}-*.json")):
        found += json.loads(path.read_text()).get("events", [])
    return found


@pytest.fixture(scope="module")
def him(tmp_path_factory):
    """Two train files (3 + 2 rows, row groups of 2) and one validation file in a folder."""
    root = tmp_path_factory.mktemp("him")
    rows = him_rows(6)
    write_him2k(root / "data" / "train-00000-of-00002.parquet", rows[:3])
    write_him2k(root / "data" / "train-00001-of-00002.parquet", rows[3:5])
    write_him2k(root / "validation" / "0000.parquet", rows[5:])
    return root, rows


@pytest.fixture(scope="module")
def aim(tmp_path_factory):
    root = tmp_path_factory.mktemp("aim")
    rows = aim_rows(4)
    rows[1]["mask"] = png(np.dstack([pixels(rows[1]["mask"])] * 3), "RGB")  # "mode varies upstream"
    write_aim500(root / "data" / "test-00000-of-00001.parquet", rows)
    return root, rows


def test_him2k_build_is_exact(him, tmp_path):
    root, rows = him
    build("hub-him2k", root, tmp_path, "train")
    built = rows_of(tmp_path, "hub-him2k", "train")
    assert len(built) == 5
    for row, source in zip(built, rows):
        assert row["image"]["bytes"] == source["image"]
        assert [m["bytes"] for m in row["instance_alphas"]] == source["masks"]
        total = np.minimum(255, sum(pixels(m).astype(int) for m in source["masks"]))
        assert np.array_equal(pixels(row["alpha"]["bytes"]), total)
        meta = row["meta"]
        assert (meta["name"], meta["split"], meta["num_instances"]) == (
            source["name"], source["subset"], len(source["masks"]))
        assert meta["width"], meta["height"] == pixels(source["image"]).shape[1::-1]


def test_splits_from_names_and_folders(him):
    root, rows = him
    from mattehub.families.hub_mirrors.sources import source_splits, split_of

    assert source_splits(str(root), "") == ["train", "validation"]
    assert split_of("data/test-00000-of-00001-0123abcd.parquet") == "test"
    assert split_of("default/test/0000.parquet") == "test"
    assert split_of("x.parquet") == "train"
    streamed = list(mattehub.stream("hub-him2k", data_dir=str(root), split="validation"))
    assert [r["meta"]["name"] for r in streamed] == [rows[5]["name"]]


def test_aim500_stream_and_normalised_mask(aim, tmp_path):
    root, rows = aim
    build("hub-aim500", root, tmp_path, "test")
    built = rows_of(tmp_path, "hub-aim500", "test")
    assert [r["meta"]["name"] for r in built] == [r["name"] for r in rows]
    for k, (row, source) in enumerate(zip(built, rows)):
        assert row["image"]["bytes"] == source["image"]
        if k != 1:
            assert row["alpha"]["bytes"] == source["mask"]
        assert np.array_equal(pixels(row["alpha"]["bytes"]), matte(*pixels(source["image"]).shape[1::-1], k))
        assert (row["meta"]["category"], row["meta"]["type"]) == (source["category"], source["type"])
    notes = [e for e in events(tmp_path, "hub-aim500", "test") if e["kind"] == "normalised_input"]
    assert [e["path"] for e in notes] == ["data/test-00000-of-00001.parquet row 1 (mask)"]


def test_stream_equals_build_over_http(aim, http_root, tmp_path):
    root, rows = aim
    url = http_root(root)
    streamed = list(mattehub.stream("hub-aim500", data_dir=url, split="test"))
    assert [r["meta"]["name"] for r in streamed] == [r["name"] for r in rows]
    assert [r["meta"]["source"] for r in streamed][-1] == "data/test-00000-of-00001.parquet row 3"


def test_damaged_rows_and_files_are_counted_skips(tmp_path):
    rows = aim_rows(4)
    rows[1]["image"] = rows[1]["image"][: len(rows[1]["image"]) // 2]  # truncated JPEG
    rows[2]["mask"] = png(matte(10, 10, 0))  # another size than its image
    write_aim500(tmp_path / "src" / "data" / "test-00000-of-00002.parquet", rows)
    (tmp_path / "src" / "data" / "test-00001-of-00002.parquet").write_bytes(b"PAR1 not parquet")
    out = tmp_path / "out"
    build("hub-aim500", tmp_path / "src", out, "test")
    assert [r["meta"]["name"] for r in rows_of(out, "hub-aim500", "test")] == [rows[0]["name"], rows[3]["name"]]
    bad = [e["path"] for e in events(out, "hub-aim500", "test") if e["kind"] == "bad_input"]
    assert bad == ["data/test-00000-of-00002.parquet row 1 (image)",
                   "data/test-00000-of-00002.parquet row 2 (mask)"]
    record = json.loads((out / "_stats" / "hub-aim500" / "test.build.json").read_text())
    assert "data/test-00001-of-00002.parquet" in json.dumps(record)


def test_columns_are_named_or_listed(tmp_path):
    write_him2k(tmp_path / "data" / "train-00000-of-00001.parquet", him_rows(2), mask_column="alphas")
    with pytest.raises(SourceError, match=r"has no column 'mask' \(columns: image .*alphas"):
        list(mattehub.stream("hub-him2k", data_dir=str(tmp_path), split="train"))
    named = list(mattehub.stream("hub-him2k", data_dir=str(tmp_path), split="train", mask_column="alphas"))
    assert [r["meta"]["num_instances"] for r in named] == [1, 2]


def test_a_row_without_bytes_is_a_skip(tmp_path):
    rows = him_rows(2)
    rows[0]["image"] = None
    write_him2k(tmp_path / "data" / "train-00000-of-00001.parquet", rows)
    build("hub-him2k", tmp_path, tmp_path / "out", "train")
    assert len(rows_of(tmp_path / "out", "hub-him2k", "train")) == 1
    bad = [e for e in events(tmp_path / "out", "hub-him2k", "train") if e["kind"] == "bad_input"]
    assert bad[0]["path"] == "data/train-00000-of-00001.parquet row 0 (image)"


def test_export_round_trips(him, aim, tmp_path):
    root, rows = him
    build("hub-him2k", root, tmp_path / "built", "train")
    assert main(["export", "hub-him2k", str(tmp_path / "built"), "--split", "train",
                 "--out", str(tmp_path / "him"), "--no-progress"]) == 0
    assert (tmp_path / "him" / "alphas" / "natural" / rows[4]["name"] / "00.png").read_bytes() == rows[4]["masks"][0]
    build("him2k", tmp_path / "him", tmp_path / "back", "comp")
    back = rows_of(tmp_path / "back", "him2k", "comp")
    assert [[m["bytes"] for m in r["instance_alphas"]] for r in back] == [r["masks"] for r in rows[:3]]
    aim_root, aim_source = aim
    build("hub-aim500", aim_root, tmp_path / "built", "test")
    assert main(["export", "hub-aim500", str(tmp_path / "built"), "--split", "test",
                 "--out", str(tmp_path / "aim"), "--no-progress"]) == 0
    name = aim_source[0]["name"]
    assert (tmp_path / "aim" / "AIM-500" / "original" / f"{name}.jpg").read_bytes() == aim_source[0]["image"]
    assert (tmp_path / "aim" / "AIM-500" / "mask" / f"{name}.png").read_bytes() == aim_source[0]["mask"]


def test_evaluate_scores_the_test_split(aim, tmp_path, capsys):
    from mattehub.evaluation import write_predictions

    root, rows = aim
    for k, row in enumerate(rows):
        width, height = pixels(row["image"]).shape[1::-1]
        guess = matte(width, height, k) if k else np.zeros((height, width), np.uint8)
        write_predictions(tmp_path / "pred", _key(k), guess)
    assert main(["evaluate", "hub-aim500", "--data-dir", str(root), "--split", "test",
                 "--pred", str(tmp_path / "pred"), "--json", str(tmp_path / "e.json"),
                 "--no-progress"]) == 0
    report = json.loads((tmp_path / "e.json").read_text())
    assert len(report["samples"]) == 4
    sads = [s["whole"]["sad"] for s in report["samples"]]
    assert sads[0] > 0 and sads[1:] == [0, 0, 0] and not report["missing"]


def _key(index: int) -> str:
    from mattehub.contract.sample import sample_key

    return sample_key(index)


def test_a_png_image_is_stored_as_jpeg_with_an_event(tmp_path):
    """The image field is JPEG: a PNG image is re-encoded, with an event naming the row."""
    rows = aim_rows(1)
    rows[0]["image"] = png(pixels(rows[0]["image"]), "RGB")
    write_aim500(tmp_path / "data" / "test-00000-of-00001.parquet", rows)
    build("hub-aim500", tmp_path, tmp_path / "out", "test")
    (row,) = rows_of(tmp_path / "out", "hub-aim500", "test")
    assert row["image"]["bytes"][:3] == b"\xff\xd8\xff"
    notes = [e["path"] for e in events(tmp_path / "out", "hub-aim500", "test") if e["kind"] == "normalised_input"]
    assert notes == ["data/test-00000-of-00001.parquet row 0 (image)"]


def test_mattes_decoded_by_the_gate_are_handed_to_an_array_reader(him):
    """With a reader wanting arrays in the process, each matte's pixels (and the union's) are
    remembered for its bytes, so ``as_arrays`` does not decode them again."""
    from mattehub.contract import decoded
    from mattehub.families.hub_mirrors.options import HubHim2kOptions
    from mattehub.families.hub_mirrors.recipe import HubHim2kRecipe

    root, rows = him
    recipe = HubHim2kRecipe(HubHim2kOptions(data_dir=str(root), split="train"), seed=0)
    recipe.prepare()
    decoded.want()
    try:
        fields = recipe.make(2).sample.fields
        assert len(fields["instance_alphas"]) == 3
        for data in fields["instance_alphas"] + [fields["alpha"]]:
            held = decoded.recall(data, pixels(data).shape, np.uint8)
            assert held is not None and np.array_equal(held, pixels(data))
    finally:
        decoded.forget()

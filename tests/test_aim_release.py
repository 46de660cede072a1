"""composition-1k on Adobe's public release (a stand-in in its layout, zipped by Info-ZIP):
read in place from the zip or its extracted folder, the same bytes either way, alphas and
trimaps exactly the release's files, composites the DIM rule over the listed backgrounds,
and a stream equal to the build."""
from __future__ import annotations

import io

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from aim_release import IMAGES, make_adobe_release
from aim_tree import dim_composite
from mattehub.cli.main import main


@pytest.fixture(scope="module")
def adobe(tmp_path_factory):
    return make_adobe_release(tmp_path_factory.mktemp("adobe-release"))


def _build(data_dir, voc, out) -> list[dict]:
    assert main(["build", "composition-1k", "--data-dir", str(data_dir), "--bg-root", str(voc),
                 "--out", str(out), "--no-progress", "--max-samples-per-shard", "16"]) == 0
    return pq.read_table(sorted((out / "composition-1k").glob("*.parquet"))).to_pylist()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module")
def built(adobe, tmp_path_factory):
    out = tmp_path_factory.mktemp("from-zip")
    return out, _build(adobe.archive, adobe.voc, out)


def test_the_release_zip_builds_with_exact_alphas_trimaps_and_dim_composites(adobe, built):
    out, rows = built
    made = adobe.composites()
    assert len(rows) == len(made) == 39  # 2 fgs x 20 backgrounds, the missing one skipped
    for row, (fg, k, bg) in zip(rows, made):
        stem = fg.rsplit(".", 1)[0]
        assert row["meta"]["fg"] == stem and row["meta"]["background_number"] == k and row["meta"]["bg"] == bg
        alpha_file = adobe.member(f"{IMAGES}/alpha/{fg}").read_bytes()
        assert row["alpha"]["bytes"] == alpha_file
        assert row["trimap"]["bytes"] == adobe.member(f"{IMAGES}/trimaps/{stem}_{k}.png").read_bytes()
        fg_bgr = _pixels(adobe.member(f"{IMAGES}/fg/{fg}").read_bytes())[:, :, ::-1]
        bg_bgr = _pixels((adobe.voc / bg).read_bytes())[:, :, ::-1]
        expected, _, scale = dim_composite(fg_bgr, _pixels(alpha_file), bg_bgr)
        assert np.array_equal(_pixels(row["image"]["bytes"]), expected[:, :, ::-1])
        assert row["meta"]["bg_scale"] == scale
    assert any(row["meta"]["bg_scale"] > 1 for row in rows)  # small backgrounds were scaled
    record = (out / "_stats" / "composition-1k" / "test.build.json").read_text()
    assert "--bg-root 2008_000039.jpg" in record  # the missing background, a counted skip


def test_the_extracted_folder_and_its_top_folder_build_the_same_bytes(adobe, built, tmp_path):
    out, rows = built
    for data_dir in (adobe.extracted, adobe.extracted / "Combined_Dataset"):
        again = _build(data_dir, adobe.voc, tmp_path / data_dir.name)
        assert [r["image"]["bytes"] for r in again] == [r["image"]["bytes"] for r in rows]
        assert [r["trimap"]["bytes"] for r in again] == [r["trimap"]["bytes"] for r in rows]


def test_the_release_streams_the_built_rows(adobe, built):
    import mattehub  # noqa: F401  (registers the builder)
    from datasets import load_dataset

    _, rows = built
    ds = load_dataset("mattehub", "composition-1k", data_dir=str(adobe.archive), bg_root=str(adobe.voc),
                      split="test", streaming=True)
    streamed = list(ds)
    assert len(streamed) == len(rows)
    for got, want in zip(streamed, rows):
        assert got["meta"] == want["meta"]
        for name in ("image", "alpha", "trimap"):
            assert np.array_equal(np.asarray(got[name]), _pixels(want[name]["bytes"]))


def test_the_release_without_bg_root_names_the_backgrounds_it_needs(adobe, tmp_path, capsys):
    assert main(["build", "composition-1k", "--data-dir", str(adobe.archive),
                 "--out", str(tmp_path / "s"), "--no-progress"]) != 0
    assert "PASCAL VOC" in capsys.readouterr().err

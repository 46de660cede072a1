"""wids and litdata on a built folder, as the README shows them: the same samples, decoded
to the same arrays, as mattehub's own Parquet rows; the folder left as it was."""
from __future__ import annotations

import pytest

from interop_data import assert_same, build_demo_like, files, readme_block, reference, run_block
from mattehub.training import from_webdataset


@pytest.fixture(scope="module")
def demo_like(hhm, tmp_path_factory):
    root = tmp_path_factory.mktemp("interop")
    out = build_demo_like(hhm, root)
    return root, out, reference(out)


def test_wids_reads_the_tars_through_mattehubs_index(demo_like, monkeypatch):
    root, out, expected = demo_like
    before = files(out)
    monkeypatch.chdir(root)
    scope = run_block(readme_block("wids"), "README wids")
    ds = scope["ds"]
    assert len(ds) == len(expected) == 20
    assert scope["example"]["__key__"] == "00000007"
    for index in (0, 7, 8, 19):  # first, middle, a shard boundary, last
        example = from_webdataset(ds[index])
        assert example["__key__"] == f"{index:08d}"
        assert_same(example, expected[example["__key__"]])
    assert files(out) == before  # read in place: no copy, no lock file left beside the tars


def test_litdata_streams_the_parquet_shards(demo_like, monkeypatch):
    pytest.importorskip("litdata")  # the litdata extra, not the test extra: see pyproject.toml
    root, out, expected = demo_like
    before = files(out)
    monkeypatch.chdir(root)
    scope = run_block(readme_block("litdata"), "README litdata")
    ds = scope["ds"]
    assert len(ds) == 20
    assert_same(scope["example"], expected[scope["example"]["__key__"]])
    from mattehub.training import to_arrays

    seen = [to_arrays(row) for row in ds]
    assert sorted(e["__key__"] for e in seen) == sorted(expected)
    for example in seen:
        assert_same(example, expected[example["__key__"]])
    assert files(out) == before  # litdata's index.json is in the view, not beside the shards

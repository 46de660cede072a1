"""A local folder and an fsspec URL behave alike behind ``OutputTarget``: the same relative
names listed, the same files removed (only those a build of the split writes)."""
from __future__ import annotations

import uuid

import fsspec
import pytest

from mattehub.output.layout import NAMES
from mattehub.output.target import FsspecTarget, LocalTarget, open_target

FILES = ["c/train-000000.parquet", "c/train-000001.parquet", "c/train-000002.parquet.tmp-7",
         "c/train-extra.parquet", "c/test-000001.parquet", "wds/c/train-000001.tar",
         "wds/c/train.index.json", "_stats/c/train-000000.json", "_stats/c/train-000001.json",
         "_stats/c/train.json", "_stats/c/train.build.json", "_stats/index.json"]


def _target(kind: str, tmp_path):
    if kind == "local":
        out = tmp_path / "out"
        for rel in FILES:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text("{}")
        return open_target(out)
    out = f"memory://target-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    for rel in FILES:
        fs.pipe(f"{out}/{rel}", b"{}")
    return open_target(out)


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_open_target_picks_the_back_end(kind, tmp_path):
    target = _target(kind, tmp_path)
    assert isinstance(target, LocalTarget if kind == "local" else FsspecTarget)
    assert target.remote == (kind == "remote")


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_remove_shards_keeps_earlier_shards_and_other_names(kind, tmp_path):
    target = _target(kind, tmp_path)
    target.remove_shards("c", "train", 1)
    kept = {rel for rel in FILES if target.read_json(rel) is not None}
    assert set(FILES) - kept == {"c/train-000001.parquet", "c/train-000002.parquet.tmp-7",
                                 "wds/c/train-000001.tar", "_stats/c/train-000001.json"}


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_remove_split_removes_every_numbered_file_of_the_split(kind, tmp_path):
    target = _target(kind, tmp_path)
    target.remove_split("c", "train")
    kept = {rel for rel in FILES if target.read_json(rel) is not None}
    assert set(FILES) - kept == {rel for rel in FILES if "train-0" in rel}

@pytest.mark.parametrize("kind", ["local", "remote"])
def test_globs_and_json_are_relative_to_the_output(kind, tmp_path):
    target = _target(kind, tmp_path)
    assert target.glob(NAMES.record_pattern()) == ["_stats/c/train.build.json"]
    assert target.read_json("_stats/index.json") == {}
    assert target.read_json("_stats/missing.json") is None

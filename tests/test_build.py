"""Building shards: determinism across workers, shard limits, stats, resume after a kill."""
import json
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from mattehub.core.errors import BuildError
from mattehub.output.layout import OutputLayout
from mattehub.build.sequence import file_digests
from conftest import build_i_him, shard_bytes


def test_layout_and_stats(built):
    layout = OutputLayout(built)
    stats = [json.loads(layout.shard_stats("i-him", "train", n).read_text()) for n in range(3)]
    assert [s["samples"] for s in stats] == [8, 8, 4]
    assert [(s["first_index"], s["end_index"]) for s in stats] == [(0, 8), (8, 16), (16, 20)]
    for s in stats:
        for fmt, info in s["files"].items():
            digests = file_digests(built / info["path"])
            assert digests["sha256"] == info["sha256"] and digests["bytes"] == info["bytes"]
    assert not list(built.rglob("*.tmp-*"))
    summary = json.loads(layout.split_summary("i-him", "train").read_text())
    assert summary["num_examples"] == 20 and summary["shards"] == 3


def test_parquet_has_hf_features_and_small_row_groups(built):
    parquet = pq.ParquetFile(built / "i-him" / "train-000000.parquet")
    metadata = json.loads(parquet.schema_arrow.metadata[b"huggingface"])
    assert metadata["info"]["features"]["instance_alphas"]["_type"] == "List"
    assert parquet.num_row_groups > 1  # 256 KiB row groups in the fixture


def test_one_and_two_workers_give_identical_bytes(hhm, built, tmp_path):
    build_i_him(hhm, tmp_path, workers=2)
    assert shard_bytes(tmp_path) == shard_bytes(built)


def test_byte_limit_cuts_shards_deterministically(hhm, tmp_path):
    build_i_him(hhm, tmp_path / "a", num_samples=10, max_samples=100, max_bytes=300_000)
    build_i_him(hhm, tmp_path / "b", num_samples=10, max_samples=100, max_bytes=300_000, workers=2)
    stats = sorted((tmp_path / "a" / "_stats" / "i-him").glob("train-0*.json"))
    assert len(stats) > 1
    for path in stats:
        shard = json.loads(path.read_text())
        assert shard["samples"] == 1 or shard["payload_bytes"] <= 300_000
    assert shard_bytes(tmp_path / "a") == shard_bytes(tmp_path / "b")


def test_rerun_keeps_complete_shards(hhm, tmp_path):
    build_i_him(hhm, tmp_path)
    before = shard_bytes(tmp_path)
    report = build_i_him(hhm, tmp_path)
    assert report.reused_shards == 3 and shard_bytes(tmp_path) == before


def test_other_options_need_overwrite(hhm, tmp_path):
    build_i_him(hhm, tmp_path)
    with pytest.raises(BuildError, match="train.build.json.*--overwrite"):
        build_i_him(hhm, tmp_path, seed=5)


def test_interrupted_build_resumes_to_identical_bytes(hhm, built, tmp_path, monkeypatch):
    """An exception mid-shard drops the open shard's temp files (finished shards stay);
    the re-run redoes that shard."""
    from mattehub.families.image_him.recipe import ImageHimRecipe

    real_make = ImageHimRecipe.make

    def make_until_12(self, index):
        if index == 12:
            raise KeyboardInterrupt
        return real_make(self, index)

    monkeypatch.setattr(ImageHimRecipe, "make", make_until_12)
    with pytest.raises(KeyboardInterrupt):
        build_i_him(hhm, tmp_path)
    assert not list(tmp_path.rglob("*.tmp-*")) and not (tmp_path / "i-him" / "train-000001.parquet").exists()
    assert (tmp_path / "i-him" / "train-000000.parquet").is_file()
    monkeypatch.setattr(ImageHimRecipe, "make", real_make)
    report = build_i_him(hhm, tmp_path)
    assert report.reused_shards == 1
    assert shard_bytes(tmp_path) == shard_bytes(built)
    assert not list(tmp_path.rglob("*.tmp-*"))


def test_killed_build_resumes_to_identical_bytes(hhm, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "mattehub.cli.main", "build", "i-him", "--out", str(out),
               "--num-samples", "60", "--max-samples-per-shard", "8", "--row-group-bytes",
               str(256 * 1024), "--image-root", str(hhm.image_root), "--bg-root",
               str(hhm.bg_root), "--invalid-names", str(hhm.invalid_names), "--no-progress"]
    process = subprocess.Popen(command)
    first = out / "_stats" / "i-him" / "train-000000.json"
    deadline = time.monotonic() + 60
    while not first.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert first.exists() and not (out / "_stats" / "i-him" / "train.json").exists()
    report = build_i_him(hhm, out, num_samples=60)
    assert report.reused_shards >= 1
    build_i_him(hhm, tmp_path / "whole", num_samples=60)
    assert shard_bytes(out) == shard_bytes(tmp_path / "whole")

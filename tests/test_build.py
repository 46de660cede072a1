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
from conftest import build_i_him, i_him_recipe, shard_bytes


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


@pytest.mark.parametrize("workers,per_shard", [(2, 4), (2, 20), (4, 10)],
                         ids=["5-shards-2-workers", "1-shard-2-makers", "2-shards-2-makers-each"])
def test_worker_layouts_give_the_bytes_of_one_worker(hhm, tmp_path, workers, per_shard):
    """Whole shards per worker (>= 4 shards), or fewer shards than workers (each shard's
    samples made by workers // shards processes): the bytes of ``--workers 1``."""
    build_i_him(hhm, tmp_path / "one", max_samples=per_shard)
    build_i_him(hhm, tmp_path / "many", max_samples=per_shard, workers=workers)
    assert shard_bytes(tmp_path / "many") == shard_bytes(tmp_path / "one")


def test_pool_shape_uses_every_worker():
    from mattehub.build.distributors.local import pool_shape

    assert pool_shape(1, 5) == (0, 1)  # no pool: this process writes
    assert pool_shape(2, 5) == (2, 1)  # 2 processes writing whole shards
    assert pool_shape(2, 1) == (0, 2)  # one shard: this process writes, 2 make its samples
    assert pool_shape(8, 3) == (3, 2)


ORPHAN = """
import os
from mattehub.build.parallel import process_pool

if __name__ == "__main__":
    pool = process_pool(None, 1)
    print(pool.submit(os.getpid).result(), flush=True)  # a worker ready for the next task
    os._exit(0)  # the build process killed
"""


def test_a_worker_whose_parent_was_killed_exits(tmp_path):
    """A killed build process leaves no worker waiting for tasks forever."""
    with open(tmp_path / "pid", "w") as out:  # not a pipe: an orphan would hold it open
        subprocess.run([sys.executable, "-c", ORPHAN], stdout=out, check=True)
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 60
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pid), "the orphaned worker is still running"


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (an orphan's exit is reaped by
    whoever adopted it, which in a container may never happen)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def limit_for(hhm, per_shard: int) -> int:
    """A --max-bytes-per-shard that makes ``per_shard`` ids per shard: per_shard x 1.25 x the
    mean payload of ids 0..7."""
    recipe = i_him_recipe(hhm)
    recipe.prepare()
    payloads = [o.sample.payload_bytes() for o in recipe.make_many(range(8)) if o.sample]
    return -(-per_shard * 5 * sum(payloads) // (4 * len(payloads)))


def test_byte_limit_picks_samples_per_shard_from_the_first_samples(hhm, tmp_path):
    """S = limit / (1.25 x mean payload of the first 8 samples), recorded in the build record
    and the report; shards are ids [n*S, (n+1)*S) for any worker count."""
    limit = limit_for(hhm, 3)
    report = build_i_him(hhm, tmp_path / "a", num_samples=10, max_samples=100, max_bytes=limit)
    assert report.samples_per_shard == 3
    layout = OutputLayout(tmp_path / "a")
    assert json.loads(layout.build_record("i-him", "train").read_text())["samples_per_shard"] == 3
    stats = [json.loads(layout.shard_stats("i-him", "train", n).read_text()) for n in range(4)]
    assert [(s["first_index"], s["end_index"]) for s in stats] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert report.oversized == [s["shard"] for s in stats if s["payload_bytes"] > limit]
    build_i_him(hhm, tmp_path / "b", num_samples=10, max_samples=100, max_bytes=limit, workers=2)
    assert shard_bytes(tmp_path / "a") == shard_bytes(tmp_path / "b")


def test_byte_limit_ranges_and_finalize_follow_the_recorded_shards(hhm, tmp_path):
    """--index-range checks its boundaries against S, and finalize plans the split with the
    recorded S: two ranges give the folder of one build."""
    from mattehub.build.finalize import finalize_folder

    limit = limit_for(hhm, 3)
    with pytest.raises(BuildError, match="--index-range start 4 is not a shard boundary: shards "
                                         "hold 3 ids"):
        build_i_him(hhm, tmp_path / "r", num_samples=10, max_bytes=limit, index_range=(4, None))
    build_i_him(hhm, tmp_path / "r", num_samples=10, max_bytes=limit, index_range=(3, None))
    assert [s.missing for s in finalize_folder(tmp_path / "r")] == [[0]]
    build_i_him(hhm, tmp_path / "r", num_samples=10, max_bytes=limit, index_range=(0, 3))
    assert [s.missing for s in finalize_folder(tmp_path / "r")] == [[]]
    build_i_him(hhm, tmp_path / "whole", num_samples=10, max_bytes=limit)
    assert shard_bytes(tmp_path / "r") == shard_bytes(tmp_path / "whole")
    summary = OutputLayout(tmp_path / "r").split_summary("i-him", "train")
    assert json.loads(summary.read_text())["shards"] == 4


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

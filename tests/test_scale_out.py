"""Builds by ranges of shards: --index-range/--shard-range + finalize, --split all, and Ray.

The promise: shard ``n`` holds ids ``[n*S, (n+1)*S)`` whoever writes it, so ranged builds,
a Ray build and a local build of the same options give byte-identical shards.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import shard_bytes
from mattehub.cli.main import main
from mattehub.build.plan import PlannedShard, plan, select

SHARD = ["--max-samples-per-shard", "4", "--no-progress"]


def i_him_args(hhm, out: Path, *extra: str) -> list[str]:
    return ["build", "i-him", "--out", str(out), "--image-root", str(hhm.image_root),
            "--bg-root", str(hhm.bg_root), "--num-samples", "10", *SHARD, *extra]


def folder_files(out: Path) -> dict[str, bytes]:
    """Every file of an output folder: shards, stats, records, summaries, cards, previews."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def full(hhm, tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "shards"  # the card names the folder
    assert main(i_him_args(hhm, out)) == 0
    return out


def test_plan_and_ranges():
    shards = plan(10, 4)
    assert shards == [PlannedShard(0, 0, 4), PlannedShard(1, 4, 8), PlannedShard(2, 8, 10)]
    assert [s.number for s in select(shards, index_range=(4, None))] == [1, 2]
    assert [s.number for s in select(shards, shard_range=(0, 2))] == [0, 1]
    with pytest.raises(Exception, match=r"--index-range start 3 is not a shard boundary: shards "
                                        r"hold 4 ids"):
        select(shards, index_range=(3, 8))


def test_two_index_ranges_and_finalize_equal_one_full_build(hhm, full, tmp_path, capsys):
    out = tmp_path / "shards"
    assert main(i_him_args(hhm, out, "--index-range", "4:")) == 0
    assert "1 of the split's shards still missing (other ranges)" in capsys.readouterr().out
    assert not (out / "_stats" / "i-him" / "train.json").exists()  # not finalised yet
    assert main(["finalize", str(out)]) == 1
    assert "i-him/train: 1 of 3 shards missing (shards 0; --index-range 0:4)" in capsys.readouterr().out
    assert main(i_him_args(hhm, out, "--shard-range", "0:1")) == 0  # completes the split
    assert folder_files(out) == folder_files(full)
    assert main(["finalize", str(out)]) == 0
    assert "3 shards complete, finalised" in capsys.readouterr().out
    assert folder_files(out) == folder_files(full)


def test_a_range_off_the_shard_boundaries_is_refused(hhm, tmp_path, capsys):
    assert main(i_him_args(hhm, tmp_path / "o", "--index-range", "2:6")) == 2
    assert "--index-range start 2 is not a shard boundary" in capsys.readouterr().err


def test_finalize_on_a_folder_without_builds_says_how(tmp_path, capsys):
    assert main(["finalize", str(tmp_path)]) == 2
    assert "has no build record" in capsys.readouterr().err


def test_skipped_ids_do_not_move_shard_boundaries(full):
    stats = [json.loads(p.read_text()) for p in sorted((full / "_stats" / "i-him").glob("train-*.json"))]
    assert [(s["first_index"], s["end_index"]) for s in stats] == [(0, 4), (4, 8), (8, 10)]


def test_split_all_builds_every_split(release, tmp_path, capsys):
    assert main(["build", "v-him60", "--data-dir", str(release), "--split", "all", "--out",
                 str(tmp_path), "--no-progress"]) == 0
    index = json.loads((tmp_path / "_stats" / "index.json").read_text())
    assert sorted(index["v-him60"]["splits"]) == ["easy", "hard", "medium"]


# -- Ray: a local cluster of 2 CPUs -----------------------------------------------------------

@pytest.fixture(scope="module")
def ray_cluster():
    import ray  # the test extra installs it
    import dies_once
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(dies_once)  # workers need not import tests/
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_ray_build_equals_a_local_build(hhm, full, ray_cluster, tmp_path):
    out = tmp_path / "shards"
    assert main(i_him_args(hhm, out, "--distributor", "ray")) == 0
    assert folder_files(out) == folder_files(full)


def test_ray_v_him_equals_a_local_build(hhm, ray_cluster, tmp_path):
    from mattehub.families.video_him.standin import make_video_sources

    root = make_video_sources(tmp_path / "video", hhm)
    args = ["build", "v-him", "--data-dir", str(root), "--num-samples", "4", "--max-frames", "3",
            "--max-samples-per-shard", "2", "--no-progress", "--out"]
    assert main(args + [str(tmp_path / "local" / "shards")]) == 0
    assert main(args + [str(tmp_path / "ray" / "shards"), "--distributor", "ray"]) == 0
    assert folder_files(tmp_path / "ray" / "shards") == folder_files(tmp_path / "local" / "shards")


def test_a_worker_killed_mid_shard_is_retried_with_identical_bytes(hhm, full, ray_cluster, tmp_path):
    from dies_once import DiesOnce
    from mattehub.build.run import BuildOptions, build
    from mattehub.families.configs import recipe_for
    from mattehub.options.run import RunOptions
    from mattehub.build.sequence import ShardLimits

    marker = tmp_path / "died"
    inner = recipe_for("i-him", {"image_root": str(hhm.image_root), "bg_root": str(hhm.bg_root)},
                       "train", RunOptions())
    recipe = DiesOnce(inner, at=5, marker=marker)
    out = tmp_path / "shards"
    options = BuildOptions(out=out, num_samples=10, progress=False, distributor="ray",
                           limits=ShardLimits(max_samples=4))
    report = build(recipe, options)
    assert marker.exists(), "the worker writing shard 1 died"
    assert report.shards == 3 and not report.missing
    assert shard_bytes(out) == shard_bytes(full)
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]  # the dead worker's temp files


def test_a_shard_that_keeps_failing_is_reported_and_the_rest_written(hhm, ray_cluster, tmp_path):
    from dies_once import FailsAt
    from mattehub.build.run import BuildOptions, build
    from mattehub.families.configs import recipe_for
    from mattehub.options.run import RunOptions
    from mattehub.core.errors import BuildError
    from mattehub.build.sequence import ShardLimits

    inner = recipe_for("i-him", {"image_root": str(hhm.image_root), "bg_root": str(hhm.bg_root)},
                       "train", RunOptions())
    out = tmp_path / "shards"
    options = BuildOptions(out=out, num_samples=10, progress=False, distributor="ray",
                           limits=ShardLimits(max_samples=4))
    with pytest.raises(BuildError, match=r"i-him/train: 1 of 3 shards failed \(shard 1: "
                                         r"RuntimeError: cannot make sample 5 \(test\)\); re-run"):
        build(FailsAt(inner, at=5, marker=tmp_path / "unused"), options)
    assert sorted(p.name for p in (out / "i-him").glob("*.parquet")) == \
        ["train-000000.parquet", "train-000002.parquet"]
    assert not (out / "_stats" / "i-him" / "train.json").exists()  # not finalised


# -- fsspec outputs ----------------------------------------------------------------------------

def remote_files(fs, root: str) -> dict[str, bytes]:
    return {path[len(root) + 1:]: fs.cat_file(path) for path in sorted(fs.find(root))}


def test_memory_url_output_equals_a_local_folder(hhm, tmp_path):
    import fsspec

    fs = fsspec.filesystem("memory")
    local = tmp_path / "shards"
    assert main(i_him_args(hhm, local)) == 0
    assert main(i_him_args(hhm, "memory://bucket/shards")) == 0
    assert remote_files(fs, "/bucket/shards") == folder_files(local)
    assert main(["finalize", "memory://bucket/shards"]) == 0
    fs.rm("/bucket/shards", recursive=True)


def test_ranges_into_a_url_then_finalize(hhm, full, tmp_path, capsys):
    out = (tmp_path / "remote" / "shards").as_uri()  # file:// goes through the upload path
    assert main(i_him_args(hhm, out, "--index-range", "0:4")) == 0
    assert main(["finalize", out]) == 1
    assert "i-him/train: 2 of 3 shards missing (shards 1, 2; --index-range 4:8, 8:10)" in \
        capsys.readouterr().out
    assert main(i_him_args(hhm, out, "--index-range", "4:")) == 0
    assert folder_files(tmp_path / "remote" / "shards") == folder_files(full)


def test_ray_into_a_url_equals_a_local_build(hhm, full, ray_cluster, tmp_path):
    out = (tmp_path / "remote" / "shards").as_uri()
    assert main(i_him_args(hhm, out, "--distributor", "ray")) == 0
    assert folder_files(tmp_path / "remote" / "shards") == folder_files(full)


def test_a_worker_that_cannot_load_the_recipe_is_an_error_not_a_hang(hhm, tmp_path):
    from dies_once import UnloadableInWorkers
    from mattehub.build.run import BuildOptions, build
    from mattehub.families.configs import recipe_for
    from mattehub.options.run import RunOptions
    from mattehub.core.errors import BuildError

    inner = recipe_for("i-him", {"image_root": str(hhm.image_root), "bg_root": str(hhm.bg_root)},
                       "train", RunOptions())
    options = BuildOptions(out=tmp_path / "shards", num_samples=4, workers=2, progress=False)
    with pytest.raises(BuildError, match=r"a worker process could not load the recipe \(ImportError: "
                                         r"no module named 'only_on_the_head_node' \(test\)\)"):
        build(UnloadableInWorkers(inner, at=-1, marker=tmp_path / "x"), options)

"""Made splits (releases read in place, sources synthesised on the fly) as many generator shards.

``load_dataset("mattehub", CONFIG, streaming=True)`` must divide a split exactly between
DataLoader workers and ``split_dataset_by_node`` ranks (every sample once), and a stream of
a synthesis config must equal the shards ``mattehub build`` writes with the same options.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from datasets.distributed import split_dataset_by_node

import mattehub  # noqa: F401  (registers the builder)
from mattehub.cli.main import main
from mattehub.families.video_him.standin import make_video_sources
from mattehub.streaming.plan import SHARD_COUNTS, SHARD_PARTS, shard_parts, shard_ranges

pytestmark = pytest.mark.usefixtures("fork_safe_opencv")  # DataLoader workers fork (conftest)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 7, 12, 13, 100, 719, 720, 50_001])
def test_shard_ranges_cover_every_id_once(count):
    ranges = shard_ranges(count)
    ids = [i for start, stop in ranges for i in range(start, stop)]
    assert ids == list(range(count))
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1
    assert len(ranges) in SHARD_COUNTS or len(ranges) % SHARD_COUNTS[-1] == 0


def test_shard_ranges_keep_a_minimum_size_where_the_count_allows():
    assert [b - a for a, b in shard_ranges(160, 16)] == [26, 27, 27, 26, 27, 27]
    assert shard_ranges(10, 16) == [(0, 10)]
    assert len(shard_ranges(5_000, 16)) == 240


def test_a_single_reader_reads_consecutive_shards_as_one_run():
    from mattehub.streaming.builder import _runs

    assert _runs([(0, 4), (4, 8), (8, 10)]) == [(0, 10)]
    assert _runs([(0, 4), (8, 10), (10, 12)]) == [(0, 4), (8, 12)]  # a worker's strided shards


def test_shard_counts_divide_by_common_world_sizes():
    for count in (10_000, 500, 130, 30):
        shards = len(shard_ranges(count))
        assert all(shards % world == 0 for world in (2, 3, 4)), (count, shards)
    assert len(shard_ranges(7)) == 6 and len(shard_ranges(30)) == 24


def _windows(data_dir: str) -> datasets.IterableDataset:
    """v-him2k5 read in place from its Info-ZIP split zips, cut into 2-frame windows."""
    return datasets.load_dataset("mattehub", "v-him2k5", data_dir=data_dir, split="train",
                                 clip_length=2, clip_stride=1, streaming=True)


def _keys(dataset) -> list[str]:
    return [row["__key__"] for row in dataset]


def _loader_keys(dataset, workers: int) -> list[str]:
    import torch.utils.data

    loader = torch.utils.data.DataLoader(dataset.select_columns(["__key__"]), batch_size=None,
                                         num_workers=workers)
    return [row["__key__"] for row in loader]


def test_release_stream_is_many_shards(release):
    dataset = _windows(str(release))
    keys = _keys(dataset)
    assert len(keys) >= 6 and len(set(keys)) == len(keys)
    assert dataset.num_shards == len(shard_ranges(len(keys))) > 1


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_dataloader_workers_read_every_clip_once(release, workers):
    expected = _keys(_windows(str(release)))
    got = _loader_keys(_windows(str(release)), workers)
    assert Counter(got) == Counter(expected)


def test_two_workers_read_every_whole_clip_once(release):
    whole = lambda: datasets.load_dataset("mattehub", "v-him2k5", data_dir=str(release),  # noqa: E731
                                          split="train", streaming=True)
    expected = _keys(whole())
    assert len(expected) >= 2 and whole().num_shards >= 2
    assert Counter(_loader_keys(whole(), 2)) == Counter(expected)


def test_dataloader_workers_over_http(release, http_root):
    base = http_root(release)
    assert Counter(_loader_keys(_windows(base), 2)) == Counter(_keys(_windows(str(release))))


@pytest.mark.parametrize("world_size", [2, 3])
def test_split_dataset_by_node_divides_exactly(release, world_size):
    expected = _keys(_windows(str(release)))
    parts = [_keys(split_dataset_by_node(_windows(str(release)), rank=rank, world_size=world_size))
             for rank in range(world_size)]
    assert Counter(key for part in parts for key in part) == Counter(expected)
    assert all(parts)


def test_split_dataset_by_node_with_dataloader_workers(release):
    expected = _keys(_windows(str(release)))
    got = [key for rank in range(2)
           for key in _loader_keys(split_dataset_by_node(_windows(str(release)), rank=rank,
                                                         world_size=2), 2)]
    assert Counter(got) == Counter(expected)


# -- synthesis on the fly equals a build ---------------------------------------------------

def _built_rows(out: Path, config: str) -> list[dict]:
    rows = []
    for path in sorted((out / config).glob("train-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def _streamed_rows(config: str, **kwargs) -> list[dict]:
    dataset = datasets.load_dataset("mattehub", config, split="train", streaming=True, **kwargs)
    return list(dataset.decode(False))


def _cli_args(kwargs: dict) -> list[str]:
    """``load_dataset`` keyword arguments as the ``mattehub build`` flags they stand for."""
    args = []
    for name, value in kwargs.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


def _assert_stream_equals_build(tmp_path, config: str, data_dir: str | None, build_dir_flag: str,
                                **kwargs):
    out = tmp_path / "out"
    flags = _cli_args(kwargs) + ([build_dir_flag, data_dir] if data_dir else [])
    assert main(["build", config, "--out", str(out), "--no-progress",
                 "--max-samples-per-shard", "3", *flags]) == 0
    built = _built_rows(out, config)
    stream_kwargs = {k: v for k, v in kwargs.items()}
    streamed = _streamed_rows(config, data_dir=data_dir, **stream_kwargs)
    assert len(built) == len(streamed) == kwargs["num_samples"]
    assert streamed == built  # keys, every image's bytes, meta: value for value


def test_i_him_on_the_fly_equals_the_build(hhm, tmp_path):
    _assert_stream_equals_build(tmp_path, "i-him", str(hhm.image_root), "--image-root",
                                bg_root=str(hhm.bg_root), invalid_names=str(hhm.invalid_names),
                                num_samples=7, seed=5)


def test_i_him_fresh_seed_gives_other_samples(hhm):
    common = dict(data_dir=str(hhm.image_root), bg_root=str(hhm.bg_root), num_samples=3)
    first = _streamed_rows("i-him", seed=1, **common)
    again = _streamed_rows("i-him", seed=1, **common)
    other = _streamed_rows("i-him", seed=2, **common)
    assert first == again and [r["image"] for r in first] != [r["image"] for r in other]


def test_i_him_with_trimap_on_the_fly_equals_the_build(hhm, tmp_path):
    out = tmp_path / "out"
    assert main(["build", "i-him", "--out", str(out), "--no-progress", "--image-root",
                 str(hhm.image_root), "--bg-root", str(hhm.bg_root), "--num-samples", "3",
                 "--with", "trimap", "--trimap-kind", "random", "--no-fg"]) == 0
    streamed = _streamed_rows("i-him", data_dir=str(hhm.image_root), bg_root=str(hhm.bg_root),
                              num_samples=3, with_fields=["trimap"], trimap_kind="random",
                              no_fg=True)
    assert streamed == _built_rows(out, "i-him") and "trimap" in streamed[0]


def test_v_him_on_the_fly_equals_the_build(hhm, tmp_path):
    root = make_video_sources(tmp_path / "video", hhm)
    _assert_stream_equals_build(tmp_path, "v-him", str(root), "--data-dir", num_samples=4,
                                seed=2, max_frames=4)


def test_overlay_depth_synthesis_on_the_fly_equals_the_build(overlay_tree, tmp_path):
    _assert_stream_equals_build(tmp_path, "overlay-depth", None, "", bg_root=str(overlay_tree.bg_root),
                                fg_root=str(overlay_tree.fg_root),
                                mask_root=str(overlay_tree.mask_root), size=64, num_samples=9,
                                depth="exact", bg_depth_root=str(overlay_tree.depth_root))


def test_on_the_fly_refuses_another_configs_options(hhm):
    with pytest.raises(mattehub.core.errors.BuildError,
                       match=r"^num_bgs= does not apply to i-him; its own options: bg_root=, "):
        datasets.load_dataset("mattehub", "i-him", data_dir=str(hhm.image_root),
                              bg_root=str(hhm.bg_root), num_bgs=3, streaming=True)


def test_synthesis_knobs_with_a_built_folder_are_refused(built):
    with pytest.raises(ValueError, match=r"bg_root: options for making i-him from its sources, "
                                         r"but .* holds built shards"):
        datasets.load_dataset("mattehub", "i-him", data_dir=str(built), bg_root="x", streaming=True)


# -- one meta struct per family: synthetic and release data mix ------------------------------

def test_i_him_and_the_image_releases_interleave(hhm, release):
    synthetic = datasets.load_dataset("mattehub", "i-him", data_dir=str(hhm.image_root),
                                      bg_root=str(hhm.bg_root), num_samples=3, split="train",
                                      no_fg=True, streaming=True)
    published = datasets.load_dataset("mattehub", "i-him50k", data_dir=str(release),
                                      split="train", streaming=True)
    assert synthetic.features["meta"] == published.features["meta"]
    mixed = list(datasets.interleave_datasets([synthetic, published],
                                              stopping_strategy="all_exhausted_without_replacement"))
    recipes = Counter((row["meta"]["recipe"], row["meta"]["config"]) for row in mixed)
    assert recipes == {("i-him", None): 3, (None, "i-him50k"): len(list(published))}


def test_v_him_and_the_video_releases_interleave(hhm, release, tmp_path):
    root = make_video_sources(tmp_path / "video", hhm)
    synthetic = datasets.load_dataset("mattehub", "v-him", data_dir=str(root), num_samples=2,
                                      max_frames=3, split="train", streaming=True)
    published = datasets.load_dataset("mattehub", "v-him60", data_dir=str(release),
                                      split="easy", streaming=True)
    assert synthetic.features["meta"] == published.features["meta"]
    mixed = list(datasets.interleave_datasets([synthetic, published],
                                              stopping_strategy="all_exhausted_without_replacement"))
    assert {row["meta"]["recipe"] or row["meta"]["config"] for row in mixed} == {"v-him", "v-him60"}


def test_built_shards_of_one_family_concatenate(built, release, tmp_path):
    """Parquet builds of i-him and him2k load as map-style datasets with one meta type."""
    assert main(["build", "him2k", "--data-dir", str(release), "--split", "comp", "--out",
                 str(tmp_path), "--no-progress"]) == 0
    him2k = datasets.load_dataset(str(tmp_path), "him2k", split="comp")
    i_him = datasets.load_dataset(str(built), "i-him", split="train")
    both = datasets.concatenate_datasets([i_him.select_columns(["image", "meta"]),
                                          him2k.select_columns(["image", "meta"])])
    assert len(both) == len(i_him) + len(him2k)
    assert both[len(i_him)]["meta"]["config"] == "him2k" and both[0]["meta"]["config"] is None


def test_state_dict_resumes_a_made_stream_where_it_stopped(release):
    expected = _keys(_windows(str(release)))
    dataset = _windows(str(release))
    seen = []
    for row in dataset:
        seen.append(row["__key__"])
        if len(seen) == 5:
            state = dataset.state_dict()
            break
    resumed = _windows(str(release))
    resumed.load_state_dict(state)
    assert seen + _keys(resumed) == expected


# -- shard folders: few files still feed every worker ------------------------------------------

def test_shard_parts_cut_few_files_into_runs_of_row_groups():
    assert shard_parts(["a"]) == [("a", i, SHARD_PARTS) for i in range(SHARD_PARTS)]
    many = [str(i) for i in range(SHARD_PARTS)]
    assert shard_parts(many) == [(f, 0, 1) for f in many]


@pytest.fixture(scope="module")
def one_file_folder(hhm, tmp_path_factory):
    """An i-him build of 20 samples in one Parquet file of several row groups."""
    from conftest import build_i_him

    out = tmp_path_factory.mktemp("one-file")
    build_i_him(hhm, out, num_samples=20, max_samples=20)
    (shard,) = (out / "i-him").glob("train-*.parquet")
    assert pq.ParquetFile(shard).num_row_groups >= 2
    return out, shard


def test_a_one_file_shard_folder_feeds_two_workers(one_file_folder):
    import torch.utils.data

    out, shard = one_file_folder
    stream = lambda: datasets.load_dataset("mattehub", "i-him", data_dir=str(out),  # noqa: E731
                                           split="train", streaming=True)
    assert stream().num_shards == SHARD_PARTS
    assert _keys(stream()) == pq.read_table(shard, columns=["__key__"])["__key__"].to_pylist()
    tagged = stream().select_columns(["__key__"]).map(
        lambda row: {"worker": torch.utils.data.get_worker_info().id})
    rows = list(torch.utils.data.DataLoader(tagged, batch_size=None, num_workers=2))
    assert Counter(row["__key__"] for row in rows) == Counter(_keys(stream()))
    assert {int(row["worker"]) for row in rows} == {0, 1}  # neither worker idle

"""``load_dataset("mattehub", "surreal-alpha", data_dir=SURREAL, ...)``: samples composited on
the fly from the SURREAL tree (tests/surreal_tree.py, independent of the demo) equal the
built shards' arrays, with the CLI's option checks."""
from __future__ import annotations

import numpy as np
import pytest
from datasets import load_dataset

import mattehub  # noqa: F401  (registers the "mattehub" builder)
from mattehub.core.errors import BuildError, SourceError
from mattehub.families.surreal_alpha import sources as surreal
from test_surreal import run_build

OPTIONS = {"num_bgs": 2, "frame_stride": 2, "layout": "dim", "bg_size": 640, "seed": 5}


def _stream(tree, **options):
    return load_dataset("mattehub", "surreal-alpha", data_dir=str(tree.root),
                        bg_root=str(tree.bg_root), streaming=True, **options)


def _arrays(row: dict) -> dict:
    return {name: np.asarray(value) for name, value in row.items()
            if name not in ("meta", "__key__")}


@pytest.fixture(scope="module")
def built(surreal_tree, tmp_path_factory):
    return run_build(surreal_tree, tmp_path_factory.mktemp("stream-built"), "--layout", "dim",
                     "--bg-size", "640", "--seed", "5", num_bgs=2, stride=2)


def test_streamed_rows_equal_the_built_shards(surreal_tree, built):
    streamed = _stream(surreal_tree, **OPTIONS)
    assert set(streamed) == {"train", "val"}  # one split per cmu/<split> folder
    shards = load_dataset(str(built.out), "surreal-alpha", split="train", streaming=True)
    pairs = list(zip(streamed["train"], shards, strict=True))
    assert len(pairs) == len(built.rows()) > 0
    for got, want in pairs:
        assert got["__key__"] == want["__key__"] and got["meta"] == want["meta"]
        got_arrays, want_arrays = _arrays(got), _arrays(want)
        assert got_arrays.keys() == want_arrays.keys()
        for name, array in want_arrays.items():
            assert got_arrays[name].dtype == array.dtype and np.array_equal(got_arrays[name], array), name


def test_streaming_decodes_each_clip_once(surreal_tree):
    before = dict(surreal.DECODES)
    rows = list(_stream(surreal_tree, num_bgs=2)["train"])
    decoded = {k: v - before.get(k, 0) for k, v in surreal.DECODES.items()}
    clips = {row["meta"]["clip"] for row in rows}
    assert len(rows) > len(clips) and decoded["video"] == decoded["segm"] == len(clips)


def test_num_samples_and_seed_are_config_options(surreal_tree):
    first = [r["meta"]["background"] for r in _stream(surreal_tree, num_bgs=1, num_samples=6, seed=1)["train"]]
    again = [r["meta"]["background"] for r in _stream(surreal_tree, num_bgs=1, num_samples=6, seed=1)["train"]]
    other = [r["meta"]["background"] for r in _stream(surreal_tree, num_bgs=1, num_samples=6, seed=2)["train"]]
    assert len(first) == 6 and first == again and first != other


@pytest.mark.parametrize("options, error, message", [
    ({}, BuildError, r"needs bg_root=: a folder"),
    ({"bg_root": "BG", "num_bgs": 0}, BuildError, r"num_bgs=0: .*>= 1"),
    ({"bg_root": "BG", "layout": "square"}, BuildError, r"layout='square': choose from native, dim"),
    ({"bg_root": "BG", "bg_size": 320}, BuildError, r"bg_size=320"),
    ({"bg_root": "BG", "mask_set": "sam"}, BuildError, r"^mask_set= does not apply to surreal-alpha; "
                                                       r"its own options: bg_root=, bg_size=, data_dir="),
])
def test_bad_options_fail_at_load_time(surreal_tree, options, error, message):
    options = {k: str(surreal_tree.bg_root) if v == "BG" else v for k, v in options.items()}
    with pytest.raises(error, match=message):
        load_dataset("mattehub", "surreal-alpha", data_dir=str(surreal_tree.root),
                     streaming=True, **options)


def test_missing_tree_says_where_surreal_comes_from(tmp_path, surreal_tree):
    with pytest.raises(SourceError, match=r"nowhere: does not exist.*licence.*willow/research/surreal"):
        load_dataset("mattehub", "surreal-alpha", data_dir=str(tmp_path / "nowhere"),
                     bg_root=str(surreal_tree.bg_root), streaming=True)


def test_a_built_folder_still_streams_its_shards(built):
    rows = list(load_dataset("mattehub", "surreal-alpha", data_dir=str(built.out), split="train",
                             streaming=True))
    assert [r["__key__"] for r in rows] == [r["__key__"] for r in built.rows()]


def test_build_tasks_never_straddle_two_clips(surreal_tree):
    """Workers get runs of ids inside one clip (so each decodes a clip once for the run)."""
    from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
    from mattehub.families.surreal_alpha.recipe import TASK_SAMPLES, SurrealAlphaRecipe

    recipe = SurrealAlphaRecipe(SurrealAlphaOptions(data_dir=str(surreal_tree.root),
                                                    bg_root=str(surreal_tree.bg_root), num_bgs=3), 0)
    recipe.prepare()
    tasks = list(recipe.task_ranges(1, recipe.available()))
    assert [i for task in tasks for i in task] == list(range(1, recipe.available()))
    for task in tasks:
        assert 0 < len(task) <= TASK_SAMPLES
        assert len({recipe.locate(i)[0] for i in task}) == 1
    assert len(tasks) == len(recipe.sources.clips)  # small clips: one task each


def test_mattehub_stream_takes_the_same_options(surreal_tree):
    """``mattehub.stream`` (no private hooks) gives the rows ``load_dataset`` gives."""
    via_stream = mattehub.stream("surreal-alpha", str(surreal_tree.root), split="val",
                                 bg_root=str(surreal_tree.bg_root), num_bgs=2)
    via_load = _stream(surreal_tree, num_bgs=2)["val"]
    assert [r["meta"] for r in via_stream] == [r["meta"] for r in via_load]

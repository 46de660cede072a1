"""v-him's level schedules: ``release`` (the released script's levels by id and split, one
attempt per id), ``mix`` and fixed levels, as recorded in ``meta.level_schedule``.

Expected levels are read off MaGGIe's ``tools/synthesize_video_him.py``: with ``--split
train`` it makes ids 0-499 easy, 500-1499 medium, 1500-3499 hard, 3500-9499 medium; with
any other split it runs easy over ids 0-50, then medium over 29-221, then hard over 2-80,
each pass overwriting (or, when its clip is rejected, deleting) the clip of the same name.
"""
from __future__ import annotations

import json
import shutil

import datasets
import pyarrow.parquet as pq
import pytest

import mattehub  # noqa: F401  (registers the builder)
from mattehub.cli.main import main
from mattehub.options.declare import OptionError
from mattehub.output.layout import OutputLayout
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.families.video_him.standin import make_video_sources
from conftest import shard_bytes

TRAIN_LEVELS = {0: "easy", 499: "easy", 600: "medium", 2000: "hard", 4000: "medium", 9499: "medium"}
TEST_LEVELS = {0: "easy", 1: "easy", 2: "hard", 80: "hard", 81: "medium", 221: "medium"}


@pytest.fixture(scope="module")
def video_root(hhm, tmp_path_factory):
    """The stand-in sources, listed for a ``train`` and a ``test`` split."""
    root = make_video_sources(tmp_path_factory.mktemp("video"), hhm)
    for kind in ("fg", "bg"):
        shutil.copy(root / f"{kind}_train.txt", root / f"{kind}_test.txt")
    return root


def recipe_for(root, **options) -> VideoHimRecipe:
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(root), **options), seed=0)
    recipe.prepare()
    return recipe


def level_made(outcome) -> str:
    """The level an id's one attempt was synthesised at: the clip's, or the one its
    rejection names (every rejection reason starts with the level)."""
    if outcome.sample is not None:
        return outcome.sample.fields["meta"]["level"]
    rejected = [e["reason"] for e in outcome.events if e["kind"] == "rejected_attempt"]
    assert len(rejected) == 1, outcome.events
    return rejected[0].split(":")[0]


@pytest.mark.parametrize("list_split,expected", [("train", TRAIN_LEVELS), ("test", TEST_LEVELS)])
def test_release_levels_by_id(video_root, list_split, expected):
    recipe = recipe_for(video_root, level="release", list_split=list_split)
    for index, level in expected.items():
        assert recipe.level_of(index) == level, index
        outcome = recipe.make(index)
        assert level_made(outcome) == level, index
        if outcome.sample is not None:
            meta = outcome.sample.fields["meta"]
            assert (meta["attempt"], meta["level_schedule"]) == (0, "release")


def test_a_rejected_id_is_missing_not_retried(video_root):
    """The same occlusion rule rejects the same first draw under ``release`` and under the
    fixed level; only the fixed level draws again."""
    release = recipe_for(video_root, level="release")
    hard = recipe_for(video_root, level="hard")
    missing = [index for index in range(1500, 1520) if release.make(index).sample is None]
    assert missing, "no hard clip of ids 1500-1519 rejected: the check needs one"
    for index in missing:
        outcome, redrawn = release.make(index), hard.make(index)
        kinds = [e["kind"] for e in outcome.events]
        assert kinds == ["rejected_attempt", "skipped_sample"]
        assert "not retried" in outcome.events[1]["reason"]
        first_rejection = next(e for e in redrawn.events if e["kind"] == "rejected_attempt")
        assert outcome.events[0] == first_rejection
        assert redrawn.sample is None or redrawn.sample.fields["meta"]["attempt"] > 0


def test_release_covers_the_schedule_and_refuses_ids_beyond(video_root):
    train = recipe_for(video_root, level="release")
    test = recipe_for(video_root, level="release", list_split="test")
    assert (train.sample_count(None), test.sample_count(None)) == (9500, 222)
    assert test.sample_count(222) == 222 and train.sample_count(3) == 3
    with pytest.raises(OptionError, match=r"test schedule .* makes clip ids 0-221, and ids "
                                          r"0-222 were asked for.*\[--num-samples\]"):
        test.sample_count(223)
    with pytest.raises(OptionError, match=r"train schedule .* makes clip ids 0-9499"):
        train.sample_count(9501)
    with pytest.raises(OptionError, match=r"ids 0-221"):
        test.make(222)


def test_mix_and_fixed_levels_are_recorded_and_unchanged(video_root):
    mix, easy = recipe_for(video_root), recipe_for(video_root, level="easy")
    assert mix.sample_count(None) == 1000 and mix.sample_count(20_000) == 20_000
    for index in (0, 1, 2, 9500):
        assert mix.level_of(index) == ("easy", "medium", "hard")[index % 3]
        assert easy.level_of(index) == "easy"
    assert mix.make(2).sample.fields["meta"]["level_schedule"] == "mix"
    assert easy.make(9500).sample.fields["meta"]["level_schedule"] == "fixed"


def _rows(out, split: str) -> list[dict]:
    return [row for path in sorted((out / "v-him").glob(f"{split}-*.parquet"))
            for row in pq.read_table(path).to_pylist()]


def test_release_build_and_stream(video_root, tmp_path):
    """``mattehub build --level release`` with 1 and 2 workers and ``load_dataset(...,
    level="release")`` give the same clips; the missing ids are the counted skips."""
    args = ["build", "v-him", "--data-dir", str(video_root), "--split", "test", "--level",
            "release", "--num-samples", "6", "--max-frames", "3", "--no-progress",
            "--max-samples-per-shard", "3"]
    assert main(args + ["--out", str(tmp_path / "one")]) == 0
    assert main(args + ["--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    assert shard_bytes(tmp_path / "two") == shard_bytes(tmp_path / "one")
    built = _rows(tmp_path / "one", "test")
    summary = json.loads(OutputLayout(tmp_path / "one").split_summary("v-him", "test").read_text())
    made = {row["meta"]["index"] for row in built}
    assert summary["skipped_samples"] == 6 - len(made) and made <= set(range(6))
    assert {0, 1} <= made  # easy clips are never rejected
    assert {(row["meta"]["level"], row["meta"]["level_schedule"]) for row in built} <= {
        ("easy", "release"), ("hard", "release")}
    streamed = datasets.load_dataset("mattehub", "v-him", data_dir=str(video_root), split="test",
                                     level="release", num_samples=6, max_frames=3, streaming=True)
    assert list(streamed.decode(False)) == built


def test_release_build_refuses_ids_beyond_the_schedule(video_root, tmp_path, capsys):
    assert main(["build", "v-him", "--data-dir", str(video_root), "--split", "test", "--level",
                 "release", "--num-samples", "223", "--out", str(tmp_path / "o"),
                 "--no-progress"]) != 0
    assert "makes clip ids 0-221" in capsys.readouterr().err
    assert not (tmp_path / "o" / "v-him").exists()

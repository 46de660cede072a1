"""The v-him recipe: clips from frame folders, mp4 and RGBA frames; occlusion meta; bad input."""
import shutil

import datasets
import numpy as np
import pytest

from mattehub.contract import codecs
from mattehub.inputs import gate
from mattehub.build.run import BuildOptions, build
from mattehub.families.standins import write_mp4
from mattehub.families.video_him.standin import make_video_sources
from mattehub.core.errors import SourceError
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.build.sequence import ShardLimits


@pytest.fixture(scope="module")
def video_root(hhm, tmp_path_factory):
    return make_video_sources(tmp_path_factory.mktemp("video"), hhm)


def recipe_for(root, **options):
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(root), **options), seed=0)
    recipe.prepare()
    return recipe


@pytest.fixture(scope="module")
def clips(video_root):
    recipe = recipe_for(video_root)
    return [recipe.make(index) for index in range(9)]


def test_levels_and_rules(clips):
    for outcome in clips:
        meta = outcome.sample.fields["meta"]
        assert meta["level"] == ("easy", "medium", "hard")[outcome.index % 3]
        assert 2 <= meta["num_instances"] <= (3 if meta["level"] == "easy" else 4)
        peak = max(max(frame) for frame in meta["occlusion"])
        if meta["level"] == "medium":
            assert 0.05 <= peak <= 0.3
        if meta["level"] == "hard":
            assert 0.5 <= peak <= 0.85
        for x, y, w, h in meta["boxes"]:  # bottom-aligned, inside the canvas
            assert y + h == meta["height"] and 0 <= x and x + w <= meta["width"]


def test_occlusion_meta_equals_recomputation_from_stored_mattes(clips):
    for outcome in clips:
        fields = outcome.sample.fields
        meta = fields["meta"]
        assert len(fields["frames"]) == len(fields["instance_alphas"]) == meta["num_frames"]
        for t, frame in enumerate(fields["instance_alphas"]):
            assert len(frame) == meta["num_instances"]  # every instance in every frame
            for k, png in enumerate(frame):
                matte = gate.decode_matte(png, "m").array
                own = meta["own_area"][t][k]
                assert meta["occlusion"][t][k] == pytest.approx(1 - int(matte.sum()) / own, abs=1e-12)


def test_rejected_attempts_are_counted(clips):
    rejected = [e for o in clips for e in o.events if e["kind"] == "rejected_attempt"]
    assert rejected and all("occlusion" in e["reason"] for e in rejected)


def test_every_source_kind_is_used(video_root):
    recipe = recipe_for(video_root, level="easy")  # easy clips are never rejected
    kinds = {(s.kind, s.rgba) for s in recipe.sources.foregrounds}
    assert kinds == {("frames", False), ("video", False), ("frames", True)}
    used = {src for index in range(15) for src in recipe.make(index).sample.fields["meta"]["sources"]}
    assert any(s.endswith(".mp4") for s in used) and any("rgba" in s for s in used)


def test_deterministic_per_id(video_root, clips):
    again = recipe_for(video_root)
    assert again.make(4).sample.fields == clips[4].sample.fields


def test_build_and_stream(video_root, tmp_path):
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(video_root)), seed=0)
    build(recipe, BuildOptions(out=tmp_path, num_samples=4, progress=False, limits=ShardLimits(max_samples=2)))
    rows = list(datasets.load_dataset(str(tmp_path), "v-him", split="train", streaming=True))
    wds_rows = list(datasets.load_dataset(str(tmp_path / "wds"), "v-him-wds", split="train", streaming=True))
    assert len(rows) == len(wds_rows) == 4
    for row, wrow in zip(rows, wds_rows):
        assert row["meta"] == wrow["meta.json"]
        mattes = [[np.asarray(m) for m in frame] for frame in row["instance_alphas"]]
        for t, frame in enumerate(mattes):
            for k, matte in enumerate(frame):
                own = row["meta"]["own_area"][t][k]
                assert row["meta"]["occlusion"][t][k] == pytest.approx(1 - int(matte.sum()) / own, abs=1e-12)


@pytest.fixture
def broken(video_root, tmp_path):
    root = tmp_path / "src"
    shutil.copytree(video_root, root)
    return root


def test_missing_list_paths_are_all_reported_at_once(broken):
    (broken / "fg_train.txt").write_text((broken / "fg_train.txt").read_text() + "nope/fgr/a\nnope/fgr/b\n")
    (broken / "bg_train.txt").write_text((broken / "bg_train.txt").read_text() + "nope/bg.jpg\n")
    with pytest.raises(SourceError, match=r"3 list line\(s\) point at unusable paths") as info:
        recipe_for(broken)
    for path in ("nope/fgr/a", "nope/fgr/b", "nope/bg.jpg"):
        assert path in str(info.value)


def test_clip_shorter_than_two_frames(broken):
    folder = broken / "VideoMatte/train/fgr/clip_00"
    for path in sorted(folder.glob("*.jpg"))[1:]:
        path.unlink()
        (broken / "VideoMatte/train/pha/clip_00" / (path.stem + ".png")).unlink()
    with pytest.raises(SourceError, match=r"clip_00: has 1 frame\(s\); a foreground clip needs at least 2"):
        recipe_for(broken)


def test_missing_pha_frame(broken):
    (broken / "VideoMatte/train/pha/clip_01/00003.png").unlink()
    with pytest.raises(SourceError, match=r"pha/clip_01: has no alpha frame for \['00003'\]"):
        recipe_for(broken)


def test_fgr_and_pha_of_different_sizes(broken):
    pha = broken / "VideoMatte/train/pha/clip_02"
    for path in pha.glob("*.png"):
        path.write_bytes(codecs.encode_png(np.zeros((10, 10), np.uint8)))
    with pytest.raises(SourceError, match=r"pha/clip_02: is 10x10 but .*fgr/clip_02 is 256x320"):
        recipe_for(broken)


def test_fgr_and_pha_videos_of_different_lengths(broken):
    alpha = [np.zeros((320, 256), np.uint8)] * 3
    write_mp4(broken / "VideoMatte/train/pha/clip_04.mp4", alpha, gray=True)
    with pytest.raises(SourceError, match=r"pha/clip_04.mp4: has 3 frames but .*clip_04.mp4 has 8"):
        recipe_for(broken)


def test_undecodable_mp4(broken):
    (broken / "VideoMatte/train/fgr/clip_05.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 broken")
    with pytest.raises(SourceError, match=r"clip_05.mp4: cannot be decoded as a video"):
        recipe_for(broken)

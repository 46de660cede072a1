"""``mattehub verify``: sound builds pass (image, clips, releases); damage is named, not raised.

The bad-input corpus (tests/bad_input/verify_cases.py) holds one row per kind of damage;
these tests cover the passing side and the report and exit-code contract the CLI relies on.
"""
import shutil

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bad_input.verify_cases import record_rewrite
from mattehub.build.run import BuildOptions, build
from mattehub.cli.main import main
from mattehub.families.registry import recipe_class
from mattehub.families.releases.standin import make_release
from mattehub.families.video_him.standin import make_video_sources
from mattehub.families.releases.options import ReleaseOptions
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.build.sequence import ShardLimits
from mattehub.verify import verify_folder


@pytest.fixture(scope="module")
def clips_and_releases(hhm, tmp_path_factory):
    """v-him (3 clips in shards of 2), m-him2k/comp (3 images + masks), v-him60/easy (its
    one clip + masks), all in one output folder."""
    root = tmp_path_factory.mktemp("verify-sources")
    out = tmp_path_factory.mktemp("verify-clips")
    small = ShardLimits(max_samples=2, row_group_bytes=256 * 1024)
    videos = make_video_sources(root / "videos", hhm)
    build(VideoHimRecipe(VideoHimOptions(data_dir=str(videos)), seed=0),
          BuildOptions(out=out, num_samples=3, progress=False, limits=small))
    release = make_release(root / "release", hhm)
    for config, split in (("m-him2k", "comp"), ("v-him60", "easy")):
        recipe = recipe_class(config)(ReleaseOptions(data_dir=str(release), split=split), seed=0)
        build(recipe, BuildOptions(out=out, split=split, num_samples=3, progress=False, limits=small))
    return out


def test_clean_image_build_passes(built):
    report = verify_folder(built, progress=False)
    assert report.ok and report.problems == []
    assert dict(report.checked) == {"split": 1, "shard file": 6, "row": 40}
    assert report.format() == f"{built}: OK (1 split, 6 shard files, 40 rows checked)"


def test_clips_and_release_builds_pass(clips_and_releases):
    report = verify_folder(clips_and_releases, progress=False)
    assert report.ok, report.format()
    assert report.checked["split"] == 3 and report.checked["row"] == 2 * (3 + 3 + 1)


def test_report_names_the_damaged_shard(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    tar = out / "wds" / "i-him" / "train-000002.tar"
    tar.write_bytes(tar.read_bytes()[:-2048])
    report = verify_folder(out, progress=False)
    text = report.format()
    assert not report.ok
    assert text.startswith(f"{out}: ")
    assert all(line.startswith("  wds/i-him/train-000002.tar: ") for line in text.splitlines()[1:-1])
    assert "delete its stats file" in text.splitlines()[-1]


def test_clip_frame_of_another_size_is_named(clips_and_releases, tmp_path):
    """A clip whose second frame has another size (stats kept consistent) fails the size check."""
    out = tmp_path / "out"
    shutil.copytree(clips_and_releases, out)
    path = out / "v-him" / "train-000000.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    frame = cv2.imdecode(np.frombuffer(rows[0]["frames"][1]["bytes"], np.uint8), cv2.IMREAD_COLOR)
    rows[0]["frames"][1]["bytes"] = cv2.imencode(".jpg", frame[:-8])[1].tobytes()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    record_rewrite(out, "v-him/train-000000.parquet")
    problems = verify_folder(out, progress=False).problems
    assert len(problems) == 1 and problems[0].startswith(
        "v-him/train-000000.parquet: row 0 (key 00000000), frames[1]: is "), problems


def test_cli_exit_codes(built, tmp_path, capsys):
    assert main(["verify", str(built), "--no-progress"]) == 0
    assert "OK" in capsys.readouterr().out
    out = tmp_path / "out"
    shutil.copytree(built, out)
    (out / "i-him" / "train-000001.parquet").unlink()
    assert main(["verify", str(out), "--no-progress"]) == 1
    assert "i-him/train-000001.parquet: missing" in capsys.readouterr().out

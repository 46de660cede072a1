"""``videomatte240k`` and ``videomatte240k-comp`` on stand-in releases written without mattehub
(tests/videomatte_tree.py): the JPEG release (folder and zip) and the mp4 release, built with
``mattehub build`` and streamed with ``load_dataset``. Splits are the release's folders,
clips are consecutive windows with the remainder dropped, frames pass through byte for byte,
alphas are the published alphas exactly as OpenCV / PyAV decode them; composites are
``fgr * a + bg * (1 - a)`` on a background drawn per clip id; export reads back equal."""
from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mattehub.cli.main import main
from videomatte_tree import SD, SIZE, clips, make_jpeg_release, make_mp4_release, zip_release

LENGTH = 4


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def rows(out: Path, config: str, split: str) -> list[dict]:
    found = []
    for shard in sorted((out / config).glob(f"{split}-*.parquet")):
        found += pq.read_table(shard).to_pylist()
    return found


def build(config: str, data_dir, out: Path, split: str, *extra: str) -> None:
    assert main(["build", config, "--data-dir", str(data_dir), "--split", split, "--out", str(out),
                 "--clip-length", str(LENGTH), "--no-progress", "--max-samples-per-shard", "2",
                 *extra]) == 0


def frames_of(row: dict) -> list[bytes]:
    return [f if isinstance(f, bytes) else f["bytes"] for f in row["frames"]]


def alphas_of(row: dict) -> list[np.ndarray]:
    out = []
    for frame in row["instance_alphas"]:
        assert len(frame) == 1
        data = frame[0] if isinstance(frame[0], bytes) else frame[0]["bytes"]
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        out.append(pixels(data))
    return out


def check_jpeg_rows(release, split: str, found: list[dict]) -> None:
    want = clips(release, split, LENGTH)
    assert [(r["meta"]["video"], r["meta"]["start"]) for r in found] == want
    for row, (video, first) in zip(found, want):
        entry = release.expected[split][video]
        chosen = slice(first, first + LENGTH)
        assert row["meta"]["frame_names"] == entry["names"][chosen]
        assert row["meta"]["split"] == split and row["meta"]["kind"] == "frames"
        assert (row["meta"]["width"], row["meta"]["height"]) == SIZE
        assert row["meta"]["alpha_format"] == "jpg" and row["meta"]["jpeg_quality"] is None
        assert frames_of(row) == entry["fgr"][chosen]
        for got, expected in zip(alphas_of(row), entry["alphas"][chosen]):
            assert np.array_equal(got, expected)


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory):
    return make_jpeg_release(tmp_path_factory.mktemp("vm-jpeg"))


@pytest.fixture(scope="module")
def jpeg_build(jpeg, tmp_path_factory):
    out = tmp_path_factory.mktemp("vm-jpeg-out")
    for split in ("train", "test"):
        build("videomatte240k", jpeg.root, out, split)
    return out


def test_jpeg_release_built_exact(jpeg, jpeg_build):
    for split in ("train", "test"):
        check_jpeg_rows(jpeg, split, rows(jpeg_build, "videomatte240k", split))
    record = json.loads((jpeg_build / "_stats" / "videomatte240k" / "train.build.json").read_text())
    assert len(rows(jpeg_build, "videomatte240k", "train")) == 2 + 1  # 11 -> 2 clips of 4, 7 -> 1, 3 -> 0
    assert record["sources"]["frames_dropped"] == 3 + 3 + 3
    assert record["sources"]["skipped_inputs"] == []

def test_streamed_from_the_zip_and_the_folder_exact(jpeg, tmp_path):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    zipped = zip_release(jpeg, tmp_path / "zips")
    for data_dir in (jpeg.root, zipped):
        ds = load_dataset("mattehub", "videomatte240k", data_dir=str(data_dir), streaming=True,
                          clip_length=LENGTH)
        assert sorted(ds) == ["test", "train"]
        for split in ("train", "test"):
            check_jpeg_rows(jpeg, split, list(ds[split].decode(False)))


def test_only_present_splits_are_listed(jpeg, tmp_path):
    from mattehub.families.videomatte240k.recipe import VideoMatteRecipe

    import shutil

    shutil.copytree(jpeg.root / SD / "test", tmp_path / "test")
    assert VideoMatteRecipe.source_splits(str(jpeg.root)) == ["train", "test"]
    assert VideoMatteRecipe.source_splits(str(tmp_path)) == ["test"]


def test_a_missing_alpha_ends_a_run_and_is_named(jpeg, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(jpeg.root, root)
    (root / SD / "train" / "pha" / "0000" / "00005.jpg").unlink()
    out = tmp_path / "out"
    build("videomatte240k", root, out, "train")
    found = rows(out, "videomatte240k", "train")
    assert [(r["meta"]["video"], r["meta"]["start"]) for r in found] == [("0000", 0), ("0000", 6), ("0001", 0)]
    assert found[1]["meta"]["frame_names"] == ["00006", "00007", "00008", "00009"]
    text = json.dumps(json.loads((out / "_stats" / "videomatte240k" / "train.build.json").read_text()))
    assert "train/fgr/0000/00005.jpg" in text and "alpha of the same stem is missing" in text


def test_mp4_release_exact(tmp_path):
    from mattehub.families.videomatte240k.options import VideoMatteOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteRecipe

    release = make_mp4_release(tmp_path / "mp4")
    for split in ("train", "test"):
        recipe = VideoMatteRecipe(VideoMatteOptions(data_dir=str(release.root), split=split,
                                                    clip_length=LENGTH), seed=0)
        recipe.prepare()
        want = clips(release, split, LENGTH)
        assert recipe.available() == len(want)
        made = [outcome.sample for rng in recipe.task_ranges(0, len(want))
                for outcome in recipe.make_many(rng)]
        backwards = [recipe.make(i).sample for i in reversed(range(len(want)))][::-1]
        for sample, again, (video, first) in zip(made, backwards, want):
            entry, meta = release.expected[split][video], sample.fields["meta"]
            assert (meta["video"], meta["start"], meta["kind"]) == (video, first, "video")
            assert meta["alpha_format"] == "mp4" and meta["jpeg_quality"] == 95
            assert sample.fields == again.fields  # the same clip whatever the reading order
            for t, (frame, alpha) in enumerate(zip(sample.fields["frames"],
                                                   sample.fields["instance_alphas"])):
                assert np.array_equal(pixels(alpha[0]), entry["alphas"][first + t])
                error = np.abs(pixels(frame).astype(int) - entry["rgb"][first + t]).mean()
                assert error < 3, error


def _backgrounds(root: Path) -> tuple[Path, Path]:
    stills, videos = root / "stills", root / "videos"
    stills.mkdir(parents=True)
    cv2.imwrite(str(stills / "a.png"), np.full((20, 30, 3), (10, 200, 30), np.uint8))
    cv2.imwrite(str(stills / "b.png"), np.full((64, 96, 3), (250, 20, 90), np.uint8))
    for t in range(3):  # shorter than a clip: wraps
        (videos / "0000").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(videos / "0000" / f"{t:04d}.png"), np.full((32, 48, 3), 60 * t, np.uint8))
    return stills, videos


def _expected_background(meta: dict, stills: Path, videos: Path, t: int) -> np.ndarray:
    if meta["background_kind"] == "image":
        bgr = cv2.imread(str(stills / meta["background"]))
    else:
        frame = (meta["background_start"] + t) % meta["background_frames"]
        bgr = cv2.imread(str(videos / meta["background"] / f"{frame:04d}.png"))
    return cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), SIZE, interpolation=cv2.INTER_LINEAR)


def test_comp_composites_on_a_background_drawn_per_clip(jpeg, tmp_path):
    stills, videos = _backgrounds(tmp_path)
    out = tmp_path / "out"
    extra = ("--bg-root", str(stills), "--bg-video-root", str(videos))
    build("videomatte240k-comp", jpeg.root, out, "train", *extra)
    build("videomatte240k-comp", jpeg.root, tmp_path / "w2", "train", *extra, "--workers", "2")
    found = rows(out, "videomatte240k-comp", "train")
    assert found == rows(tmp_path / "w2", "videomatte240k-comp", "train")
    assert main(["export", "videomatte240k-comp", str(out), "--out", str(tmp_path / "exp"),
                 "--no-progress"]) == 0
    for row in found:
        key, names = row["__key__"], row["meta"]["frame_names"]
        assert (tmp_path / "exp" / "train" / "com" / key / f"{names[0]}.jpg").read_bytes() == frames_of(row)[0]
        assert sorted(p.name for p in (tmp_path / "exp" / "train" / "pha" / key).iterdir()) == \
            [f"{name}.png" for name in names]
    assert [(r["meta"]["video"], r["meta"]["start"]) for r in found] == clips(jpeg, "train", LENGTH)
    kinds = set()
    for row in found:
        meta = row["meta"]
        kinds.add(meta["background_kind"])
        entry = jpeg.expected["train"][meta["video"]]
        for t, (frame, alpha) in enumerate(zip(frames_of(row), alphas_of(row))):
            first = meta["start"] + t
            assert np.array_equal(alpha, entry["alphas"][first])
            fgr = cv2.cvtColor(cv2.imdecode(np.frombuffer(entry["fgr"][first], np.uint8),
                                            cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
            a = alpha.astype(np.float32)[..., None] / 255
            want = fgr * a + _expected_background(meta, stills, videos, t) * (1 - a)
            assert np.abs(pixels(frame) - want).mean() < 4
    assert kinds == {"image", "frames"}


def test_comp_with_only_one_kind_of_background_uses_it(jpeg, tmp_path):
    from mattehub.families.videomatte240k.options import VideoMatteCompOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteCompRecipe
    from mattehub.core.errors import BuildError

    stills, videos = _backgrounds(tmp_path)
    for given, kind in (({"bg_root": str(stills)}, "image"), ({"bg_video_root": str(videos)}, "frames")):
        recipe = VideoMatteCompRecipe(VideoMatteCompOptions(data_dir=str(jpeg.root), clip_length=LENGTH,
                                                            **given), seed=3)
        recipe.prepare()
        assert {recipe.make(i).sample.fields["meta"]["background_kind"]
                for i in range(recipe.available())} == {kind}
    with pytest.raises(BuildError, match="needs backgrounds"):
        VideoMatteCompOptions(data_dir=str(jpeg.root))


def test_export_reads_back_as_built(jpeg, jpeg_build, tmp_path):
    for split in ("train", "test"):
        assert main(["export", "videomatte240k", str(jpeg_build), "--split", split,
                     "--out", str(tmp_path / "exp"), "--overwrite", "--no-progress"]) == 0
    assert (tmp_path / "exp" / "train" / "fgr" / "0000" / "00000.jpg").read_bytes() == \
        jpeg.expected["train"]["0000"]["fgr"][0]
    assert (tmp_path / "exp" / "train" / "pha" / "0000" / "00000.png").is_file()
    for split in ("train", "test"):
        build("videomatte240k", tmp_path / "exp", tmp_path / "again", split)
        for first, second in zip(rows(jpeg_build, "videomatte240k", split),
                                 rows(tmp_path / "again", "videomatte240k", split)):
            assert first["frames"] == second["frames"]
            assert first["instance_alphas"] == second["instance_alphas"]
            assert second["meta"]["alpha_format"] == "png"


def test_evaluate_scores_the_test_split_with_clip_predictions(jpeg, jpeg_build, tmp_path):
    """Predictions ``PRED/<__key__>/<t>/0.png``: the ground truth scores 0; a shifted copy does not."""
    found = rows(jpeg_build, "videomatte240k", "test")
    for shift, name in ((0, "exact"), (20, "off")):
        for row in found:
            for t, alpha in enumerate(alphas_of(row)):
                folder = tmp_path / name / row["__key__"] / str(t)
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.clip(alpha.astype(int) + shift, 0, 255).astype(np.uint8)).save(folder / "0.png")
        report = tmp_path / f"{name}.json"
        assert main(["evaluate", "videomatte240k", "--data-dir", str(jpeg_build), "--split", "test",
                     "--pred", str(tmp_path / name), "--json", str(report), "--no-progress"]) == 0
        means = json.loads(report.read_text())
        assert means["kind"] == "clip" and means["counts"]["instances"] == len(found) == 2
        assert (means["means"]["whole"]["sad"] == 0) == (shift == 0)


def test_licence_terms_are_data_the_publish_gate_reads():
    from mattehub.publish.licence_gate import decide_all

    plain, comp = decide_all(["videomatte240k", "videomatte240k-comp"])
    assert plain.terms.licence_id == "mit" and plain.action == "public"
    assert comp.terms.redistribution.value == "unknown" and comp.action == "private"



def test_every_meta_key_is_documented():
    from mattehub.families.videomatte240k.meta import COMP_META_FEATURES

    doc = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text()
    section = doc[doc.index("## 7. `videomatte240k`"):doc.index("## Parquet vs WebDataset")]
    for key in COMP_META_FEATURES:
        assert f"`{key}`" in section, key


def test_comp_on_an_mp4_background_wraps_around_it(jpeg, tmp_path):
    """A background video file shorter than a clip: frame t is (start + t) % frames, as RVM reads."""
    from videomatte_tree import _mp4, decode_mp4

    from mattehub.families.videomatte240k.options import VideoMatteCompOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteCompRecipe

    scene = [np.dstack([np.full((24, 40), 40 * t, np.uint8), np.full((24, 40), 90, np.uint8),
                        np.full((24, 40), 200 - 30 * t, np.uint8)]) for t in range(3)]
    _mp4(tmp_path / "bgv" / "pan.mp4", scene, gray=False)
    decoded = decode_mp4(tmp_path / "bgv" / "pan.mp4", "rgb24")
    recipe = VideoMatteCompRecipe(VideoMatteCompOptions(
        data_dir=str(jpeg.root), clip_length=LENGTH, bg_video_root=str(tmp_path / "bgv")), seed=1)
    recipe.prepare()
    for index in range(recipe.available()):
        fields = recipe.make(index).sample.fields
        meta = fields["meta"]
        assert (meta["background"], meta["background_kind"], meta["background_frames"]) == ("pan.mp4", "video", 3)
        assert meta["background_start"] in (0, 1, 2)
        entry = jpeg.expected["train"][meta["video"]]
        for t, (frame, alpha) in enumerate(zip(fields["frames"], fields["instance_alphas"])):
            a = pixels(alpha[0]).astype(np.float32)[..., None] / 255
            fgr = cv2.cvtColor(cv2.imdecode(np.frombuffer(entry["fgr"][meta["start"] + t], np.uint8),
                                            cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            back = cv2.resize(decoded[(meta["background_start"] + t) % 3], SIZE, interpolation=cv2.INTER_LINEAR)
            assert np.abs(pixels(frame) - (fgr * a + back * (1 - a))).mean() < 4


def test_streamed_over_http_from_the_zip(jpeg, tmp_path, http_root):
    import mattehub  # noqa: F401
    from datasets import load_dataset

    zipped = zip_release(jpeg, tmp_path / "served")
    url = f"{http_root(zipped.parent)}/{zipped.name}"
    ds = load_dataset("mattehub", "videomatte240k", data_dir=url, split="test", streaming=True,
                      clip_length=LENGTH)
    check_jpeg_rows(jpeg, "test", list(ds.decode(False)))


def test_jpeg_alphas_reach_as_arrays_exact_and_are_not_held(jpeg):
    """``as_arrays`` gives the published alphas as OpenCV decodes them. Their stored PNGs are
    mattehub's own (the JPEG alphas re-encoded losslessly), which ``as_arrays`` inflates
    itself: the maker holds no pixels for them (``contract.decoded``; measured no faster)."""
    import mattehub
    from mattehub.contract import decoded
    from mattehub.training import as_arrays

    decoded.forget()
    try:
        found = list(as_arrays(mattehub.stream("videomatte240k", str(jpeg.root), split="train",
                                               clip_length=LENGTH)))
        assert decoded.wanted() and decoded.hits == 0 and not decoded._entries
    finally:
        decoded.forget()
    want = clips(jpeg, "train", LENGTH)
    for row, (video, first) in zip(found, want, strict=True):
        expected = np.stack(jpeg.expected["train"][video]["alphas"][first:first + LENGTH])
        assert np.array_equal(row["instance_alphas"][:, 0], expected)

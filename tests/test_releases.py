"""Release configs: the stand-in release (Info-ZIP split zips) read in place, locally and over HTTP."""
import shutil
import subprocess

import datasets
import pytest

import mattehub  # noqa: F401  (registers the builder)
from mattehub.families.registry import recipe_class
from mattehub.core.errors import SourceError
from mattehub.families.releases.options import ReleaseOptions

CASES = [("i-him50k", "train"), ("him2k", "comp"), ("him2k", "natural"), ("m-him2k", "comp"),
         ("v-him2k5", "train"), ("v-him60", "easy"), ("v-him60", "hard")]


def read_all(config, split, data_dir, **options):
    recipe = recipe_class(config)(ReleaseOptions(data_dir=str(data_dir), split=split, **options), seed=0)
    recipe.prepare()
    return [recipe.make(index).sample for index in range(recipe.available())]


@pytest.mark.parametrize("config,split", CASES)
def test_zip_and_extracted_folder_give_identical_samples(release, config, split):
    invalid = str(release / "invalid_him.txt")
    zipped = read_all(config, split, release, invalid_names=invalid)
    extracted = read_all(config, split, release.parent / "extracted", invalid_names=invalid)
    assert zipped and [s.fields for s in zipped] == [s.fields for s in extracted]
    assert [s.key for s in zipped] == sorted(s.key for s in zipped)
    assert all("." not in s.key for s in zipped)


@pytest.mark.parametrize("config,split", CASES)
def test_http_gives_identical_samples(release, http_root, config, split):
    base = http_root(release)
    assert [s.fields for s in read_all(config, split, base)] == \
        [s.fields for s in read_all(config, split, release)]


def test_split_archives_really_are_split(release):
    assert (release / "I-HIM50K.z01").exists() and (release / "V-HIM2K5.z03").exists()
    listing = subprocess.run(["unzip", "-l", str(release / "V-HIM2K5.zip")], capture_output=True, text=True)
    assert listing.returncode != 0  # plain unzip cannot read it without `zip -F`


def test_i_him50k_filters_invalid_names(release):
    samples = read_all("i-him50k", "train", release)  # invalid_him.txt beside the zips: 3.jpg
    assert [s.fields["meta"]["name"] for s in samples] == ["0", "1", "2", "4", "5"]


def test_m_him2k_masks_follow_their_alphas(release):
    for sample in read_all("m-him2k", "comp", release, mask_set="x101_fpn_3x"):
        meta = sample.fields["meta"]
        assert len(sample.fields["instance_masks"]) == len(sample.fields["instance_alphas"])
        assert len(meta["mask_present"]) == meta["num_instances"] and meta["mask_set"] == "x101_fpn_3x"
    flags = [f for s in read_all("m-him2k", "comp", release) for f in s.fields["meta"]["mask_present"]]
    assert True in flags and False in flags  # the stand-in leaves some masks out, as the release does


def test_video_windows(release):
    clips = read_all("v-him2k5", "train", release)
    windows = read_all("v-him2k5", "train", release, clip_length=4, clip_stride=2)
    assert len(windows) == 2 * len(clips)  # 6 frames -> windows at 0 and 2
    first = windows[1]
    assert first.key.endswith("_f00002") and first.fields["meta"]["frame_names"] == ["00002", "00003", "00004", "00005"]
    assert first.fields["frames"] == clips[0].fields["frames"][2:6]
    assert first.fields["instance_alphas"] == clips[0].fields["instance_alphas"][2:6]


def test_zip64_release_reads_the_same(release, tmp_path):
    extracted = release.parent / "extracted"
    subprocess.run(["zip", "-q", "-r", "-X", "-fz", "-s", "64k", str(tmp_path / "V-HIM2K5.zip"),
                    "V-HIM2K5"], cwd=extracted, check=True)
    assert [s.fields for s in read_all("v-him2k5", "train", tmp_path)] == \
        [s.fields for s in read_all("v-him2k5", "train", release)]


def test_own_layouts(release, tmp_path):
    extracted = release.parent / "extracted" / "HIM2K"
    own = tmp_path / "own"
    for subset in ("comp", "natural"):  # own train layout: <root>/<split>/{images,alphas}
        shutil.copytree(extracted / "images" / subset, own / subset / "images")
        shutil.copytree(extracted / "alphas" / subset, own / subset / "mattes")
    mine = read_all("him2k", "natural", own, alpha_dir="mattes")
    theirs = read_all("him2k", "natural", release)
    assert [s.fields["instance_alphas"] for s in mine] == [s.fields["instance_alphas"] for s in theirs]
    video = tmp_path / "own-video" / "val"
    shutil.copytree(release.parent / "extracted" / "V-HIM2K5" / "fgr", video / "fgr")
    shutil.copytree(release.parent / "extracted" / "V-HIM2K5" / "pha", video / "alphas")
    clips = read_all("v-him2k5", "val", tmp_path / "own-video")
    assert [c.fields["frames"] for c in clips] == [c.fields["frames"] for c in read_all("v-him2k5", "train", release)]


def test_unknown_layout_is_an_error_naming_the_folder(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "a.txt").write_text("x")
    with pytest.raises(SourceError, match=rf"{tmp_path}: matches no known v-him2k5 layout"):
        read_all("v-him2k5", "train", tmp_path)


def test_unknown_split_lists_the_found_ones(release):
    with pytest.raises(SourceError, match=r"has no split 'train' for v-him60 \(found: easy, hard, medium\)"):
        read_all("v-him60", "train", release)


def test_load_dataset_mattehub_streams_the_release(release, http_root):
    base = http_root(release)
    ds = datasets.load_dataset("mattehub", "v-him2k5", data_dir=base, streaming=True)
    rows = list(ds["train"])
    expected = read_all("v-him2k5", "train", release)
    assert [r["__key__"] for r in rows] == [s.key for s in expected]
    frame = rows[0]["frames"][0]
    assert frame.size == (expected[0].fields["meta"]["width"], expected[0].fields["meta"]["height"])
    assert len(rows[0]["instance_alphas"]) == expected[0].fields["meta"]["num_frames"]
    splits = datasets.load_dataset("mattehub", "v-him60", data_dir=str(release), streaming=True)
    assert sorted(splits) == ["easy", "hard", "medium"]


def test_build_converts_a_release_config(release, tmp_path):
    from mattehub.cli.main import main

    assert main(["build", "v-him60", "--data-dir", str(release), "--split", "medium", "--out",
                 str(tmp_path), "--no-progress"]) == 0
    rows = list(datasets.load_dataset(str(tmp_path), "v-him60", split="medium", streaming=True))
    expected = read_all("v-him60", "medium", release)
    assert len(rows) == 1 and rows[0]["__key__"] == expected[0].key
    assert len(rows[0]["instance_masks"][0]) == expected[0].fields["meta"]["num_instances"]


def test_release_recipe_classes_are_declared_and_picklable_by_name():
    """Each release config's class is a class statement of ``releases/recipe.py`` that the
    registry names, pickled by reference (spawn workers find it by name)."""
    import pickle

    from mattehub.families.registry import CONFIGS
    from mattehub.families.releases import recipe as releases
    from mattehub.families.releases.specs import RELEASES

    for name, spec in RELEASES.items():
        cls = recipe_class(name)
        assert cls is releases.RELEASE_RECIPES[name] is getattr(releases, cls.__name__)
        assert CONFIGS[name].recipe == f"mattehub.families.releases.recipe:{cls.__name__}"
        assert (cls.name, cls.family, cls.summary, cls.spec) == (name, spec.family, spec.summary, spec)
        assert pickle.loads(pickle.dumps(cls)) is cls
        recipe = cls(ReleaseOptions(), seed=0)
        assert type(pickle.loads(pickle.dumps(recipe))) is cls

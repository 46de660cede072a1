"""``mattehub export`` of every config: the README demo built once, each config exported with
the CLI, then read back with mattehub's reader of the exported layout (the release, DUTS,
Composition-1k and overlay-depth readers) or, where mattehub has no reader of that layout
(Adobe's training composites, the DIM tool's SURREAL folders), compared file by file; every
passed-through field must come back byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest

from mattehub.cli.main import main
from mattehub.cli.demo import run_demo
from mattehub.core.errors import BuildError
from mattehub.export import export_config
from mattehub.export.shards import open_split, samples
from mattehub.families.configs import recipe_for
from mattehub.families.registry import CONFIGS
from mattehub.options.run import RunOptions


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export-demo") / "demo"
    run_demo(out, progress=False)
    return out


def stored(demo: Path, config: str, split: str) -> list[tuple[str, dict]]:
    """The built samples of ``config``/``split`` as stored."""
    return list(samples(open_split(demo, config, split).shards))


def exported(demo: Path, tmp_path: Path, config: str, split: str) -> Path:
    out = tmp_path / f"{config}-{split}"
    assert main(["export", config, str(demo), "--split", split, "--out", str(out),
                 "--no-progress"]) == 0
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    return out


def read_back(config: str, data_dir: Path, split: str, **values) -> list[dict]:
    """Every sample mattehub's ``config`` reader makes from ``data_dir`` (its fields)."""
    recipe = recipe_for(config, {"data_dir": str(data_dir), **values}, split, RunOptions())
    recipe.prepare()
    return [recipe.make(i).sample.fields for i in range(recipe.available())]


@pytest.mark.parametrize("config, split, reader", [
    ("i-him", "train", "i-him50k"), ("i-him50k", "train", "i-him50k"),
    ("him2k", "comp", "him2k"), ("m-him2k", "natural", "him2k"),
])
def test_image_him_reads_back_as_a_maggie_image_layout(demo, tmp_path, config, split, reader):
    out = exported(demo, tmp_path, config, split)
    back = {fields["meta"]["name"]: fields for fields in read_back(reader, out, split)}
    built = stored(demo, config, split)
    assert len(back) == len(built) > 0
    for key, fields in built:
        name = fields["meta"].get("name") or key
        assert back[name]["image"] == fields["image"]
        assert back[name]["instance_alphas"] == fields["instance_alphas"]
        masks = zip(fields.get("instance_masks") or [], fields["meta"].get("mask_present") or [])
        folder = out / "masks" / split / name
        for k, (mask, present) in enumerate(masks):
            assert (folder / f"{k:02d}.png").exists() == present
            if present:
                assert (folder / f"{k:02d}.png").read_bytes() == mask
    if config == "m-him2k":
        assert any((out / "masks" / split).rglob("*.png"))
    if config == "i-him":  # MaGGIe's synthesis folders for fg and bg
        key, fields = built[0]
        assert (out / "train" / "bg" / f"{key}.jpg").read_bytes() == fields["bg"]
        assert (out / "train" / "fg" / key / "00.jpg").read_bytes() == fields["fg"][0]


@pytest.mark.parametrize("config, split, reader", [
    ("v-him", "train", "v-him2k5"), ("v-him2k5", "train", "v-him2k5"), ("v-him60", "easy", "v-him60"),
])
def test_video_him_reads_back_as_a_maggie_video_layout(demo, tmp_path, config, split, reader):
    out = exported(demo, tmp_path, config, split)
    back = {fields["meta"]["video"]: fields for fields in read_back(reader, out, split)}
    built = stored(demo, config, split)
    assert len(back) == len(built) > 0
    for key, fields in built:
        clip = back[fields["meta"].get("video") or key]
        assert clip["frames"] == fields["frames"]
        assert clip["instance_alphas"] == fields["instance_alphas"]
        assert clip.get("instance_masks") == fields.get("instance_masks")


@pytest.mark.parametrize("split", ["train", "test"])
def test_duts_reads_back_as_the_published_folders(demo, tmp_path, split):
    out = exported(demo, tmp_path, "duts", split)
    top = {"train": "DUTS-TR", "test": "DUTS-TE"}[split]
    assert {p.name for p in out.iterdir()} == {top}
    assert {p.name for p in (out / top).iterdir()} == {f"{top}-Image", f"{top}-Mask"}
    back = {fields["meta"]["name"]: fields for fields in read_back("duts", out, split)}
    built = stored(demo, "duts", split)
    assert len(back) == len(built) > 0
    for _, fields in built:
        again = back[fields["meta"]["name"]]
        assert (again["image"], again["alpha"], again["trimap"]) == \
            (fields["image"], fields["alpha"], fields["trimap"])


@pytest.mark.parametrize("config, split, top", [
    ("p3m-10k", "train", "P3M-10k"), ("p3m-500", "p3m_500_p", "P3M-10k"),
    ("p3m-500", "p3m_500_np", "P3M-10k"), ("am-2k", "train", "AM-2k"),
    ("am-2k-validation", "validation", "AM-2k"), ("aim-500", "test", "AIM-500"),
    ("ppm-100", "test", "PPM-100")])
def test_benchmarks_read_back_as_the_published_folders(demo, tmp_path, config, split, top):
    out = exported(demo, tmp_path, config, split)
    assert {p.name for p in out.iterdir()} == {top}
    back = read_back(config, out, split)
    built = stored(demo, config, split)
    assert len(back) == len(built) > 0
    for again, (_, fields) in zip(back, built):
        assert again == fields


def test_composition_1k_reads_back_as_the_published_test_set(demo, tmp_path):
    out = exported(demo, tmp_path, "composition-1k", "test")
    assert {p.name for p in (out / "test").iterdir()} == {"merged", "trimaps", "alpha_copy"}
    back = read_back("composition-1k", out, "test")
    built = stored(demo, "composition-1k", "test")
    assert len(back) == len(built) > 0
    for again, (_, fields) in zip(back, built):
        for name in ("image", "alpha", "trimap"):
            assert again[name] == fields[name], name


def test_aim_writes_adobe_training_folders_mattehub_reads_again(demo, tmp_path):
    out = exported(demo, tmp_path, "aim", "train")
    built = stored(demo, "aim", "train")
    assert {p.name for p in (out / "train").iterdir()} == {"fg", "alpha", "bg", "merged"}
    for _, fields in built:
        meta = fields["meta"]
        stem, k = Path(meta["fg"]).stem, meta["background_number"]
        assert (out / "train/fg" / f"{stem}.jpg").read_bytes() == fields["fg"]
        assert (out / "train/alpha" / f"{stem}.png").read_bytes() == fields["alpha"]
        assert (out / "train/merged" / f"{stem}_{k}.jpg").read_bytes() == fields["image"]
        assert (out / "train/bg" / f"{stem}_{k}.jpg").read_bytes() == fields["bg"]
    foregrounds = {Path(fields["meta"]["fg"]).stem for _, fields in built}
    assert len(list((out / "train/merged").iterdir())) == len(built)
    from mattehub.families.aim.sources import scan_train
    scan = scan_train(str(out))  # mattehub's aim reader pairs the exported fg and alpha again
    assert {Path(fg.name).stem for fg in scan.foregrounds} == foregrounds and not scan.skipped


def test_surreal_alpha_writes_the_dim_tool_folders(demo, tmp_path):
    out = exported(demo, tmp_path, "surreal-alpha", "train")
    built = stored(demo, "surreal-alpha", "train")
    frames = {}
    for line in (out / "frames.txt").read_text().splitlines():
        n, clip, frame = line.split(";")
        frames[(clip, int(frame))] = n
    assert sorted(map(int, frames.values())) == list(range(len(frames)))
    for _, fields in built:
        meta = fields["meta"]
        n, k = frames[(meta["clip"], meta["frame"])], meta["background_number"]
        for folder, name in (("eps", "fg"), ("alpha", "alpha"), ("bg", "bg")):
            [path] = (out / folder / n).glob(f"{k}.*")
            assert path.read_bytes() == fields[name], (folder, n, k)
    assert sum(1 for _ in (out / "alpha").rglob("*.png")) == len(built)


def test_overlay_depth_reads_back_in_place(demo, tmp_path):
    out = exported(demo, tmp_path, "overlay-depth", "train")
    back = read_back("overlay-depth", out, "train")
    built = stored(demo, "overlay-depth", "train")
    assert len(back) == len(built) > 0
    for again, (_, fields) in zip(back, built):
        for name in ("image", "mask", "bg", "depth"):
            assert again[name] == fields[name], name


def test_every_config_has_an_exporter_and_a_round_trip_here():
    tested = {"i-him", "i-him50k", "him2k", "m-him2k", "v-him", "v-him2k5", "v-him60", "duts",
              "composition-1k", "aim", "surreal-alpha", "overlay-depth", "p3m-10k", "p3m-500",
              "am-2k", "am-2k-validation", "aim-500", "ppm-100",
              "videomatte240k", "videomatte240k-comp",  # videomatte240k: tests/test_videomatte240k.py
              "videomatte240k-rvm-eval",  # tests/test_videomatte_rvm_eval.py
              "hub-him2k", "hub-aim500",  # tests/test_hub_mirrors.py
              "distinctions-646",  # tests/test_distinctions646.py
              "rwp-636"}  # tests/test_rwp636.py
    assert {name for name, line in CONFIGS.items() if line.export} == set(CONFIGS) == tested


def test_overwrite_writes_into_a_used_folder(demo, tmp_path):
    out = exported(demo, tmp_path, "duts", "test")
    mine = out / "notes.txt"
    mine.write_text("kept")
    with pytest.raises(BuildError, match=r"is not empty .*or pass --overwrite"):
        export_config(demo, out, "duts", split="test", progress=False)
    image = next((out / "DUTS-TE" / "DUTS-TE-Image").iterdir())
    image.write_bytes(b"stale")
    report = export_config(demo, out, "duts", split="test", overwrite=True, progress=False)
    assert image.read_bytes() != b"stale" and mine.read_text() == "kept"
    assert "(DUTS layout)" in report.format()


def test_a_config_without_a_field_the_layout_needs_is_refused(demo, tmp_path):
    from mattehub.families.aim.export import AdobeTrain

    with pytest.raises(BuildError, match=r"composition-1k/test does not store fg, bg, which the "
                                         r"Adobe training layout needs"):
        export_config(demo, tmp_path / "x", "composition-1k", split="test", progress=False,
                      exporter=AdobeTrain)
    assert not (tmp_path / "x").exists()

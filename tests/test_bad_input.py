"""Bad input: each case gives a clear error naming the file, or a counted skip in the stats."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from mattehub.errors import SourceError
from mattehub.layout import OutputLayout
from mattehub.sources.listing import read_name_list
from conftest import build_i_him, i_him_recipe, shard_bytes


@pytest.fixture
def sources(hhm, tmp_path):
    """A private, mutable copy of the stand-in sources."""
    root = tmp_path / "src"
    shutil.copytree(hhm.image_root, root / "hhm")
    shutil.copytree(hhm.bg_root, root / "bg")
    shutil.copy(hhm.invalid_names, root / "invalid_him.txt")
    return type(hhm)(root / "hhm", root / "bg", root / "invalid_him.txt", hhm.foreground_names)


def build_record(out):
    return json.loads(OutputLayout(out).build_record("i-him", "train").read_text())


def all_stats(out):
    return [json.loads(p.read_text()) for p in sorted((out / "_stats" / "i-him").glob("train-0*.json"))]


def skipped_reason(out, name):
    reasons = [s["reason"] for s in build_record(out)["sources"]["skipped_inputs"] if name in s["path"]]
    assert reasons, f"{name} not reported as skipped"
    return reasons[0]


def test_image_without_alpha_is_a_counted_skip(sources, tmp_path):
    (sources.image_root / "alphas" / "person_000.png").unlink()
    build_i_him(sources, tmp_path / "out", num_samples=4)
    assert "no alpha matte at alphas/person_000.png" in skipped_reason(tmp_path / "out", "person_000")


def test_alpha_of_another_size_is_a_counted_skip(sources, tmp_path):
    Image.new("L", (10, 10)).save(sources.image_root / "alphas" / "person_001.png")
    build_i_him(sources, tmp_path / "out", num_samples=4)
    assert "but its alpha alphas/person_001.png is 10x10" in skipped_reason(tmp_path / "out", "person_001")


def test_unreadable_image_header_is_a_counted_skip(sources, tmp_path):
    (sources.image_root / "images" / "person_002.jpg").write_bytes(b"not an image at all")
    build_i_him(sources, tmp_path / "out", num_samples=4)
    assert "is not a readable image" in skipped_reason(tmp_path / "out", "person_002")


def test_truncated_image_body_is_counted_and_never_used(sources, tmp_path):
    victim = sources.image_root / "images" / "person_003.jpg"
    victim.write_bytes(victim.read_bytes()[:2000])  # header intact, data cut
    build_i_him(sources, tmp_path / "out", num_samples=30)
    events = [e for s in all_stats(tmp_path / "out") for e in s["events"] if e["kind"] == "bad_input"]
    assert events and all("person_003.jpg" in e["path"] for e in events)
    assert all("truncated JPEG" in e["reason"] for e in events)
    for stats in all_stats(tmp_path / "out"):
        assert stats["event_counts"]["bad_input"] == sum(e["kind"] == "bad_input" for e in stats["events"])


@pytest.mark.parametrize("text", ["\r\nperson_004.jpg\r\n\r\n  \r\n", "\ufeffperson_004.jpg\n\n"])
def test_invalid_names_with_crlf_bom_and_blank_lines(sources, tmp_path, text):
    sources.invalid_names.write_text(text, encoding="utf-8", newline="")
    assert read_name_list(sources.invalid_names) == {"person_004.jpg"}
    recipe = i_him_recipe(sources)
    report = recipe.prepare()
    assert report["invalid_names_listed"] == 1
    assert all(fg.image != "images/person_004.jpg" for fg in recipe.foregrounds)


def test_empty_invalid_names_file_filters_nothing(sources):
    sources.invalid_names.write_bytes(b"")
    recipe = i_him_recipe(sources)
    assert recipe.prepare()["foregrounds"] == 12


def test_fewer_than_two_foregrounds_is_an_error_naming_the_folder(sources):
    for path in sorted((sources.image_root / "alphas").glob("*.png"))[1:]:
        path.unlink()
    with pytest.raises(SourceError, match=rf"{sources.image_root}: has 1 usable foregrounds, "
                                          "i-him needs at least 2"):
        i_him_recipe(sources).prepare()


def test_background_narrower_than_scaled_foreground(sources, tmp_path):
    shutil.rmtree(sources.bg_root)
    sources.bg_root.mkdir()
    Image.fromarray(np.full((400, 40, 3), 90, np.uint8)).save(sources.bg_root / "narrow.jpg")
    build_i_him(sources, tmp_path / "out", num_samples=3)
    stats = all_stats(tmp_path / "out")[0]
    assert stats["samples"] == 0 and [s["index"] for s in stats["skipped_samples"]] == [0, 1, 2]
    dropped = [e for e in stats["events"] if e["kind"] == "dropped_instance"]
    assert dropped and "wider than the 40 px background" in dropped[0]["reason"]
    assert stats["event_counts"]["skipped_sample"] == 3


def test_shard_renamed_without_stats_is_redone(hhm, built, tmp_path):
    build_i_him(hhm, tmp_path)
    layout = OutputLayout(tmp_path)
    layout.shard_stats("i-him", "train", 1).unlink()
    shard = layout.shard("i-him", "train", 1, "parquet")
    shard.write_bytes(shard.read_bytes()[:100])  # looks like a shard, is half of one
    (tmp_path / "i-him" / "train-000001.parquet.tmp-999").write_bytes(b"partial")
    report = build_i_him(hhm, tmp_path)
    assert report.reused_shards == 1
    assert shard_bytes(tmp_path) == shard_bytes(built)
    assert not list(tmp_path.rglob("*.tmp-*"))


def test_exif_rotated_background_loads_upright_like_the_composite(sources, tmp_path):
    """datasets applies EXIF orientation: bg must then show the same pixels the composite used."""
    shutil.rmtree(sources.bg_root)
    sources.bg_root.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    stored = np.zeros((300, 500, 3), np.uint8)
    stored[:, :250] = (200, 30, 30)
    Image.fromarray(stored).save(sources.bg_root / "rotated.jpg", exif=exif, quality=95)
    build_i_him(sources, tmp_path / "out", num_samples=2)
    import datasets

    row = next(iter(datasets.load_dataset(str(tmp_path / "out"), "i-him", split="train",
                                          streaming=True)))
    assert (row["meta"]["width"], row["meta"]["height"]) == (300, 500)  # upright: portrait
    assert row["bg"].size == row["image"].size == (300, 500)

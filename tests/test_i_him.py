"""The i-him recipe: the release's rules, determinism, and meta that matches the pixels."""
from pathlib import Path

import numpy as np
import pytest

from mattehub.contract import codecs
from mattehub.inputs import gate
from conftest import i_him_recipe


def decode_mattes(sample):
    return [gate.decode_matte(data, "test").array for data in sample.fields["instance_alphas"]]


@pytest.fixture(scope="module")
def recipe(hhm):
    recipe = i_him_recipe(hhm)
    recipe.prepare()
    return recipe


def test_instances_follow_release_rules(recipe, hhm):
    for index in range(12):
        outcome = recipe.make(index)
        meta = outcome.sample.fields["meta"]
        assert 2 <= meta["num_instances"] + len(meta["dropped"]) <= 4
        assert meta["num_instances"] == len(outcome.sample.fields["instance_alphas"])
        for instance in meta["instances"]:
            x, y, w, h = instance["box"]
            assert 0 <= x and x + w <= meta["width"] and 0 <= y and y + h <= meta["height"]
            assert 0.5 * meta["height"] - 1 <= h <= 0.9 * meta["height"] + 1
            assert instance["source"].rsplit("/", 1)[-1] != hhm.foreground_names[-1]  # invalid
        # every instance except the last keeps >= 70 % (checked before 8-bit rounding)
        for instance in meta["instances"][:-1]:
            assert instance["visible_fraction"] >= 0.69
        assert meta["instances"][-1]["visible_fraction"] == 1.0


def test_instance_mattes_are_canvas_sized_and_inside_their_box(recipe):
    sample = recipe.make(3).sample
    meta = sample.fields["meta"]
    for matte, instance in zip(decode_mattes(sample), meta["instances"]):
        assert matte.shape == (meta["height"], meta["width"])
        x, y, w, h = instance["box"]
        inside = np.zeros_like(matte, bool)
        inside[y:y + h, x:x + w] = True
        assert matte[~inside].max(initial=0) == 0 and matte[inside].max() > 0


def test_union_alpha_is_the_union_of_instances(recipe):
    sample = recipe.make(5).sample
    union = gate.decode_matte(sample.fields["alpha"], "alpha").array.astype(int)
    total = np.sum([m.astype(int) for m in decode_mattes(sample)], axis=0)
    # sum of occluded mattes == 1 - prod(1 - a_i) up to one 8-bit step per instance
    assert np.abs(union - total).max() <= len(decode_mattes(sample))
    assert union.max() == 255


def test_composite_equals_blend_of_stored_layers(recipe, hhm):
    sample = recipe.make(1).sample
    meta = sample.fields["meta"]
    bg = gate.decode_rgb(sample.fields["bg"], "bg").astype(np.float32)
    image = gate.decode_rgb(sample.fields["image"], "image").astype(np.float32)
    union = gate.decode_matte(sample.fields["alpha"], "alpha").array
    outside = union == 0
    # JPEG re-encoding aside, pixels outside every matte are the background's
    assert np.abs(image[outside] - bg[outside]).mean() < 3.0
    assert bg.shape[:2] == (meta["height"], meta["width"])


def test_same_index_same_bytes_and_indices_differ(recipe, hhm):
    again = i_him_recipe(hhm)
    again.prepare()
    first, second = recipe.make(7).sample, again.make(7).sample
    assert first.fields == second.fields
    assert recipe.make(8).sample.fields["image"] != first.fields["image"]


def test_seed_changes_samples(recipe, hhm):
    other = i_him_recipe(hhm, seed=1)
    other.prepare()
    assert other.make(0).sample.fields["image"] != recipe.make(0).sample.fields["image"]


def test_listing_order_does_not_matter(recipe, hhm, monkeypatch):
    real_rglob = Path.rglob
    monkeypatch.setattr(Path, "rglob", lambda self, pattern: reversed(list(real_rglob(self, pattern))))
    shuffled = i_him_recipe(hhm)
    shuffled.prepare()
    assert shuffled.make(4).sample.fields == recipe.make(4).sample.fields


def test_png_mode_is_lossless(hhm):
    recipe = i_him_recipe(hhm, image_format="png", with_fg=False)
    recipe.prepare()
    sample = recipe.make(2).sample
    assert "fg" not in sample.fields and [f.name for f in recipe.schema().fields].count("fg") == 0
    assert codecs.sniff_format(sample.fields["image"]) == "png"
    assert codecs.sniff_format(sample.fields["bg"]) == "png"


def test_last_instance_matte_is_its_unoccluded_matte(recipe):
    """The front instance is never occluded: its matte is 255 somewhere and visible == 1."""
    sample = recipe.make(0).sample
    last = decode_mattes(sample)[-1]
    assert last.max() == 255 and sample.fields["meta"]["instances"][-1]["visible_fraction"] == 1.0

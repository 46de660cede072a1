"""Loading the shards back: datasets (Parquet and WebDataset), the webdataset library, mattehub."""

import datasets
import msgpack
import numpy as np
import pytest
import webdataset

import mattehub
from mattehub.families.him_meta import IMAGE_HIM_META
from mattehub.inputs import gate
from conftest import i_him_recipe


@pytest.fixture(scope="module")
def expected(hhm):
    """The synthesised instance mattes of every sample, straight from the recipe."""
    recipe = i_him_recipe(hhm)
    recipe.prepare()
    samples = {}
    for index in range(20):
        sample = recipe.make(index).sample
        samples[sample.key] = sample
    return samples


def arrays(images) -> list[np.ndarray]:
    return [np.asarray(image) for image in images]


def assert_matches(expected_sample, key, instance_alphas, meta):
    want = [gate.decode_matte(data, key).array for data in expected_sample.fields["instance_alphas"]]
    got = arrays(instance_alphas)
    assert len(got) == len(want) == meta["num_instances"]
    for a, b in zip(got, want):
        assert a.dtype == np.uint8 and np.array_equal(a, b)


def test_parquet_config_streams_exact_mattes(built, expected):
    ds = datasets.load_dataset(str(built), "i-him", split="train", streaming=True)
    seen = 0
    for row in ds:
        assert_matches(expected[row["__key__"]], row["__key__"], row["instance_alphas"], row["meta"])
        made = expected[row["__key__"]].fields["meta"]  # the family's struct: release keys null
        assert row["meta"] == {key: made.get(key) for key in IMAGE_HIM_META}
        seen += 1
    assert seen == 20


def test_wds_config_streams_exact_mattes(built, expected):
    ds = datasets.load_dataset(str(built / "wds"), "i-him-wds", split="train", streaming=True)
    keys = []
    for row in ds:
        key = row["__key__"]
        assert_matches(expected[key], key, row["instance_alphas.mp"], row["meta.json"])
        assert len(row["fg.mp"]) == row["meta.json"]["num_instances"]
        keys.append(key)
    assert keys == sorted(expected)


def test_webdataset_library_recovers_exact_bytes(built, expected):
    urls = sorted(str(p) for p in (built / "wds" / "i-him").glob("train-*.tar"))
    count = 0
    for sample in webdataset.WebDataset(urls, shardshuffle=False):
        want = expected[sample["__key__"]].fields
        assert msgpack.unpackb(sample["instance_alphas.mp"]) == want["instance_alphas"]
        assert sample["image.jpg"] == want["image"] and sample["alpha.png"] == want["alpha"]
        count += 1
    assert count == 20


def test_mattehub_name_loads_a_shard_folder(built, expected):
    ds = datasets.load_dataset("mattehub", "i-him", data_dir=str(built), split="train",
                               streaming=True)
    rows = list(ds)
    assert [r["__key__"] for r in rows] == sorted(expected)
    assert_matches(expected[rows[3]["__key__"]], "k", rows[3]["instance_alphas"], rows[3]["meta"])


def test_stream_over_http_with_range_requests(built, expected, http_root):
    url = http_root(built)
    rows = list(mattehub.stream("i-him", url))
    assert len(rows) == 20
    assert_matches(expected[rows[0]["__key__"]], "k", rows[0]["instance_alphas"], rows[0]["meta"])


def test_unknown_config_in_folder_says_what_exists(built):
    with pytest.raises(ValueError, match="holds no config 'v-him'.*i-him"):
        from mattehub.output.folder import ShardFolder

        ShardFolder(str(built), "v-him").splits()


def test_card_declares_both_formats(built):
    root_card = (built / "README.md").read_text()
    wds_card = (built / "wds" / "README.md").read_text()
    assert "config_name: i-him\n" in root_card and "path: i-him/train-*.parquet" in root_card
    assert "config_name: i-him-wds" in wds_card and "path: i-him/train-*.tar" in wds_card
    assert "num_examples: 20" in root_card and "license: cc-by-nc-4.0" in root_card
    assert "MaGGIe" in root_card and "seed 0" in root_card

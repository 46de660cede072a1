"""The common wrong route on every config: ``with_format("numpy" / "torch")`` and torch's
default collate either work (the same pixels as ``as_arrays``) or the first message names
``mattehub.training.as_arrays`` / ``pad_collate`` (mattehub.streaming.format_guard)."""
from __future__ import annotations

import glob
import re
import subprocess
import sys
import warnings
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import mattehub  # noqa: F401  (registers the builder and the format guard)
from mattehub.cli.demo import run_demo
from mattehub.families.registry import CONFIG_NAMES
from mattehub.streaming.format_guard import (MattehubFormatError, MattehubFormatWarning, clip_columns,
                                             is_mattehub)
from mattehub.training import as_arrays, from_webdataset, pad_collate

CLIPS = {"v-him", "v-him2k5", "v-him60", "videomatte240k", "videomatte240k-comp",
         "videomatte240k-rvm-eval"}
"""Configs with clip columns (List(List(Image()))): with_format cannot decode them."""
BATCHABLE = {"surreal-alpha", "distinctions-646"}
"""The configs whose demo samples torch's default collate stacks (same size, no None):
distinctions-646's first two are one foreground over two backgrounds."""
ROUTE = r"mattehub\.training\.as_arrays.*mattehub\.training\.pad_collate"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo output folder (every config), built once for this module."""
    out = tmp_path_factory.mktemp("guard") / "mattehub-demo"
    run_demo(out, workers=1, progress=False)
    return out


def first_split(demo: Path, config: str) -> str:
    return sorted(Path(p).name.split("-")[0] for p in glob.glob(f"{demo}/{config}/*.parquet"))[0]


def load(demo: Path, config: str, streaming: bool, cache: Path, route: str = "folder"):
    """``config`` as a user loads it: through the folder's card, or the mattehub builder."""
    split = first_split(demo, config)
    if route == "folder":
        return datasets.load_dataset(str(demo), config, split=split, streaming=streaming, cache_dir=str(cache))
    return datasets.load_dataset("mattehub", config, data_dir=str(demo), split=split, streaming=streaming,
                                 cache_dir=str(cache))


def first_row(ds):
    return next(iter(ds)) if isinstance(ds, datasets.IterableDataset) else ds[0]


def image_columns(ds) -> list[str]:
    """Columns of the declared features that hold images (at any list depth)."""
    def holds(feature) -> bool:
        while getattr(feature, "feature", None) is not None:
            feature = feature.feature
        return isinstance(feature, datasets.Image)
    return [name for name, feature in ds.features.items() if holds(feature)]


def assert_same_pixels(formatted: dict, expected: dict, columns: list[str]) -> None:
    for name in columns:
        got = np.asarray(formatted[name])
        assert got.shape == expected[name].shape, name
        assert np.array_equal(got, expected[name]), name


def check_numpy_row(ds, config: str) -> None:
    """``with_format("numpy")`` on one row: as_arrays' pixels, no warning; clips: the route named."""
    if config in CLIPS:
        with pytest.raises(MattehubFormatError, match=ROUTE) as error:
            first_row(ds.with_format("numpy"))
        assert "instance_alphas" in str(error.value) and error.value.__cause__ is not None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", MattehubFormatWarning)  # numpy is for looking at rows: no warning
        row = first_row(ds.with_format("numpy"))
    assert_same_pixels(row, first_row(as_arrays(ds, "numpy")), image_columns(ds))
    batch = next(iter(DataLoader(ds.with_format("numpy"), batch_size=2, collate_fn=pad_collate)))
    assert batch["image"].dtype == torch.uint8 and batch["image"].shape[-1] == 3  # channels last: pad_collate batches it


def check_torch_loader(ds, config: str) -> None:
    """``with_format("torch")`` + the default collate: warns naming the route, then works
    (as_arrays' pixels) or fails (a clip column: mattehub's error naming the route)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = DataLoader(ds.with_format("torch"), batch_size=2)  # a Dataset warns here already
        if config in BATCHABLE:
            batch = next(iter(loader))
        else:
            with pytest.raises((MattehubFormatError, RuntimeError, TypeError)) as error:
                next(iter(loader))
            if config in CLIPS:
                assert error.type is MattehubFormatError
    messages = [str(w.message) for w in caught if issubclass(w.category, MattehubFormatWarning)]
    assert messages and all(re.search(ROUTE, m) for m in messages)
    assert "default collate" in messages[0]
    if config in BATCHABLE:  # it works: the same pixels as as_arrays, in datasets' (C, H, W)
        expected = first_row(as_arrays(ds, "numpy"))
        assert batch["image"].dtype == torch.uint8
        assert np.array_equal(batch["image"][0].permute(1, 2, 0).numpy(), expected["image"])


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "map"])
@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_common_route_works_or_names_as_arrays_and_pad_collate(demo, config, streaming, tmp_path):
    ds = load(demo, config, streaming, tmp_path)
    check_numpy_row(ds, config)
    check_torch_loader(ds, config)
    # and the route the messages name batches the config
    batch = next(iter(DataLoader(as_arrays(ds, "torch"), batch_size=2, collate_fn=pad_collate)))
    colour = batch["frames" if config in CLIPS else "image"]
    assert colour.dtype == torch.uint8 and colour.shape[0] in (1, 2) and colour.shape[-1] == 3  # v-him60: 1 clip


@pytest.mark.parametrize("config", ["i-him", "v-him"])
def test_the_mattehub_builder_route_is_guarded_too(demo, config, tmp_path):
    ds = load(demo, config, True, tmp_path, route="mattehub")
    with pytest.warns(MattehubFormatWarning, match=ROUTE), pytest.raises(Exception) as error:
        next(iter(DataLoader(ds.with_format("torch"), batch_size=2)))
    assert error.type is (MattehubFormatError if config in CLIPS else RuntimeError)


def test_every_config_is_recognised_and_clip_columns_found(demo, tmp_path):
    for config in CONFIG_NAMES:
        features = load(demo, config, True, tmp_path).features
        assert is_mattehub(features), config
        assert bool(clip_columns(features)) == (config in CLIPS), config


def test_other_datasets_format_as_before(tmp_path):
    """Only mattehub datasets are guarded: a dataset with a ``__key__`` but no mattehub
    ``meta`` gets datasets' own torch rows, no warning, and its own errors."""
    from datasets.formatting import _FORMAT_TYPES

    assert issubclass(_FORMAT_TYPES["torch"], datasets.formatting.TorchFormatter)
    assert _FORMAT_TYPES["torch"] is not datasets.formatting.TorchFormatter  # the guard is installed
    plain = datasets.Dataset.from_dict({"__key__": ["a", "b"], "meta": [{"name": "x"}, {"name": "y"}],
                                        "x": [[1, 2], [3, 4]]})
    assert not is_mattehub(plain.features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = plain.with_format("torch")[0]
    assert torch.equal(row["x"], torch.tensor([1, 2]))
    mattehub_like = datasets.Features({"__key__": datasets.Value("string"),
                                       "meta": {"recipe": datasets.Value("string")}})
    assert is_mattehub(mattehub_like) and not is_mattehub(None)


def load_section(card: Path) -> str:
    return card.read_text(encoding="utf-8").split("## Load it\n", 1)[1].split("\n## ", 1)[0]


def test_both_cards_name_the_route_a_hub_user_needs(demo):
    """A Hub user who never imports mattehub sees no guard: the card's "Load it" says it."""
    parquet, wds = load_section(demo / "README.md"), load_section(demo / "wds" / "README.md")
    for name in ("with_format", "mattehub.training.as_arrays", "mattehub.training.pad_collate"):
        assert name in parquet
    for name in ("mattehub.training.from_webdataset", "mattehub.training.pad_collate"):
        assert name in wds


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_the_webdataset_card_route_batches_every_config(demo, config, tmp_path):
    """What the WebDataset card says: a streaming -wds config, ``.map(from_webdataset)``, pad_collate."""
    assert "`ds.map(mattehub.training.from_webdataset)`" in load_section(demo / "wds" / "README.md")
    ds = datasets.load_dataset(str(demo / "wds"), f"{config}-wds", split=first_split(demo, config),
                               streaming=True, cache_dir=str(tmp_path))
    batch = next(iter(DataLoader(ds.map(from_webdataset), batch_size=2, collate_fn=pad_collate)))
    colour = batch["frames" if config in CLIPS else "image"]
    assert colour.dtype == torch.uint8 and colour.shape[-1] == 3
    assert batch["pixel_mask"].shape[-2:] == colour.shape[-3:-1]


@pytest.mark.parametrize("config", ["i-him", "duts", "overlay-depth"])
def test_pad_collate_on_torch_format_rows_names_as_arrays(demo, config, tmp_path):
    """Swapping only the collate (``with_format("torch")`` rows are (3, H, W)) says what to do."""
    ds = load(demo, config, True, tmp_path).with_format("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MattehubFormatWarning)
        with pytest.raises(ValueError, match=r"channels first.*mattehub\.training\.as_arrays"):
            next(iter(DataLoader(ds, batch_size=2, collate_fn=pad_collate)))


@pytest.mark.parametrize("first", ["import mattehub.streaming.format_guard", "import mattehub", "import datasets"])
def test_the_guard_is_installed_whatever_is_imported_first(first):
    """``register`` runs at the end of ``import datasets`` and imports the guard: importing the
    guard module first must not be circular."""
    code = (f"{first}\nimport datasets, mattehub\nfrom datasets.formatting import _FORMAT_TYPES\n"
            "print(_FORMAT_TYPES['torch'].__name__, _FORMAT_TYPES['numpy'].__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["MattehubTorchFormatter", "MattehubNumpyFormatter"]

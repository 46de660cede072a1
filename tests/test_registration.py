"""Guards for the private datasets hooks mattehub relies on: fail loudly on a datasets upgrade."""
import importlib

import datasets
from datasets.load import PackagedDatasetModuleFactory
from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES

import mattehub
from mattehub.streaming.registration import MODULE, NAME


def test_name_is_registered_and_factory_wrapped():
    assert _PACKAGED_DATASETS_MODULES[NAME][0] == MODULE
    assert getattr(PackagedDatasetModuleFactory.get_module, "_mattehub", False)
    mattehub.register()  # idempotent
    assert getattr(PackagedDatasetModuleFactory.get_module, "_mattehub", False)


def test_builder_resolves_without_data_dir_and_keeps_remote_paths():
    builder = datasets.load_dataset_builder("mattehub", "i-him", data_dir="http://127.0.0.1:9/x")
    assert type(builder) is importlib.import_module(MODULE).Mattehub  # the builder module's class
    assert builder.config.data_dir == "http://127.0.0.1:9/x"  # not mangled into a local path


def test_other_packaged_names_are_untouched(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    ds = datasets.load_dataset("csv", data_files=str(tmp_path / "a.csv"), split="train")
    assert ds[0]["x"] == 1


def test_datasets_major_version_is_the_tested_one():
    assert datasets.__version__.split(".")[0] == "5"

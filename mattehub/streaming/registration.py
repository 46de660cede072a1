"""Registering the ``mattehub`` builder with ``datasets`` so ``load_dataset("mattehub", ...)`` works.

``datasets`` resolves names in its private ``_PACKAGED_DATASETS_MODULES`` before local
folders and the Hub. Adding the name is not enough (datasets 5.x): the packaged-module
factory resolves ``data_dir`` as a local path (mangling ``hf://`` and ``http://``) and scans
it for data files. So for the one name ``mattehub`` the factory's ``get_module`` is wrapped
to return the module with ``data_dir`` untouched. Both hooks are private; ``datasets`` is
pinned to the tested major version and ``tests/test_registration.py`` fails loudly if an
upgrade breaks them. ``mattehub.stream`` is the stable alternative that uses neither.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

NAME = "mattehub"
MODULE = "mattehub.builders.mattehub_builder"


def _module_hash() -> str:
    """The builder's source hash, read from its file: importing the builder here could run
    in the middle of another mattehub module's import (``register`` runs when ``datasets``
    is first imported). hashlib is imported here: ``import mattehub`` stays cheap."""
    import hashlib

    origin = importlib.util.find_spec("mattehub.streaming.builder").origin
    return hashlib.sha256(Path(origin).read_text(encoding="utf-8").encode()).hexdigest()


def register() -> None:
    """Make ``load_dataset("mattehub", ...)`` resolve to mattehub's builder, and guard the
    numpy and torch formats of mattehub datasets (``format_guard``); idempotent."""
    from datasets.data_files import DataFilesDict
    from datasets.load import DatasetModule, PackagedDatasetModuleFactory
    from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES

    from mattehub.streaming.format_guard import install

    install()
    module_hash = _module_hash()
    _PACKAGED_DATASETS_MODULES[NAME] = (MODULE, module_hash)
    original = PackagedDatasetModuleFactory.get_module
    if getattr(original, "_mattehub", False):
        return

    def get_module(self) -> DatasetModule:
        if self.name != NAME:
            return original(self)
        kwargs = {"dataset_name": NAME, "data_files": DataFilesDict(), "data_dir": self.data_dir}
        return DatasetModule(MODULE, module_hash, kwargs)

    get_module._mattehub = True
    PackagedDatasetModuleFactory.get_module = get_module


def register_when_imported() -> None:
    """``register()`` now if ``datasets`` is imported, else right after it is (a one-shot
    import hook), so ``import mattehub`` does not import ``datasets`` itself."""
    if "datasets" in sys.modules:
        register()
    elif not any(isinstance(finder, _AfterDatasets) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterDatasets())


class _AfterDatasets(importlib.abc.MetaPathFinder):
    """Finds ``datasets`` as the other finders do, and registers once it has run."""

    def find_spec(self, name, path=None, target=None):
        if name != "datasets":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module) -> None:
                run(module)
                register()

            spec.loader.exec_module = exec_module
        return spec

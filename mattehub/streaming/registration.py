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

import hashlib
import inspect

NAME = "mattehub"
MODULE = "mattehub.builders.mattehub_builder"


def _module_hash() -> str:
    from mattehub.streaming import builder

    return hashlib.sha256(inspect.getsource(builder).encode()).hexdigest()


def register() -> None:
    """Make ``load_dataset("mattehub", ...)`` resolve to mattehub's builder (idempotent)."""
    from datasets.data_files import DataFilesDict
    from datasets.load import DatasetModule, PackagedDatasetModuleFactory
    from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES

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

"""The ``mattehub`` builder: ``load_dataset("mattehub", CONFIG, data_dir=...)`` after ``import mattehub``.

For now it reads a mattehub output folder (local path, ``hf://`` or ``http(s)://``): it
takes the split names from the folder's dataset card and the shard list and features from
``_stats/<config>/<split>.json``, then streams the Parquet shards one row group at a time.
Only complete shards are listed there, so a folder that is still being built is never
half-read.
"""
from __future__ import annotations

from dataclasses import dataclass

import datasets
import pyarrow.parquet as pq
from datasets.builder import Key
from datasets.data_files import DataFilesDict

from mattehub.configs import CONFIG_NAMES
from mattehub.shard_folder import ShardFolder


@dataclass
class MattehubConfig(datasets.BuilderConfig):
    """One mattehub config; ``name`` is the config (``i-him``), ``data_dir`` the folder to read."""


class Mattehub(datasets.ArrowBasedBuilder):
    """Streams mattehub shard folders with their declared features."""

    BUILDER_CONFIG_CLASS = MattehubConfig
    # data_files must not be None: datasets refuses a packaged builder whose first config has none.
    BUILDER_CONFIGS = [MattehubConfig(name=name, data_files=DataFilesDict()) for name in CONFIG_NAMES]

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=f"mattehub config {self.config.name}")

    def _split_generators(self, dl_manager):
        if not self.config.data_dir:
            raise ValueError(f"load_dataset('mattehub', '{self.config.name}') needs data_dir=: "
                             "a folder written by `mattehub build` (local, hf:// or http(s)://)")
        folder = ShardFolder(self.config.data_dir, self.config.name)
        generators = []
        for split in folder.splits():
            summary = folder.summary(split)
            self.info.features = datasets.Features.from_dict(summary["features"]["parquet"])
            files = dl_manager.download(folder.parquet_urls(summary))
            generators.append(datasets.SplitGenerator(name=split, gen_kwargs={"files": files}))
        return generators

    def _generate_tables(self, files):
        for file_index, file in enumerate(files):
            with open(file, "rb") as handle:
                parquet = pq.ParquetFile(handle)
                for group in range(parquet.num_row_groups):
                    yield Key(file_index, group), parquet.read_row_group(group)

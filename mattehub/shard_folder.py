"""Reading the index of a mattehub output folder, local or remote (fsspec URLs).

Used by the ``mattehub`` builder and by tests; it reads small JSON files (the folder
index and the split summaries), never lists directories, so plain HTTP works.
"""
from __future__ import annotations

import json

import fsspec


class ShardFolder:
    """One config of a folder written by ``mattehub build``."""

    def __init__(self, root: str, config: str) -> None:
        self.root = str(root).rstrip("/")
        self.config = config

    def _read_text(self, rel: str) -> str:
        url = f"{self.root}/{rel}"
        try:
            with fsspec.open(url, "rt", encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"{url} not found: is {self.root} a folder written by "
                                    "`mattehub build`?") from None

    def splits(self) -> list[str]:
        """Split names of this config, from the folder index ``_stats/index.json``."""
        index = json.loads(self._read_text("_stats/index.json"))
        if self.config not in index:
            raise ValueError(f"{self.root} holds no config {self.config!r} (it has "
                             f"{', '.join(index) or 'none'}); build it with "
                             f"`mattehub build {self.config} --out {self.root}`")
        return index[self.config]["splits"]

    def summary(self, split: str) -> dict:
        """The split summary written when the split was finished."""
        return json.loads(self._read_text(f"_stats/{self.config}/{split}.json"))

    def parquet_urls(self, summary: dict) -> list[str]:
        """Absolute URLs of the split's Parquet shards, in order."""
        if "parquet" not in summary["files"]:
            raise ValueError(f"{self.root}: {self.config} was built without Parquet shards; "
                             f"load the '{self.config}-wds' config with load_dataset(folder, ...)")
        return [f"{self.root}/{path}" for path in summary["files"]["parquet"]]

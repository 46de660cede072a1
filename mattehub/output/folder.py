"""Reading the index of a mattehub output folder, local or remote (fsspec URLs).

Used by the ``mattehub`` builder and by tests; it reads small JSON files (the folder
index and the split summaries), never lists directories, so plain HTTP works.
"""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from mattehub.core.errors import SourceError
from mattehub.inputs import remote
from mattehub.output.layout import NAMES

INDEX = NAMES.relative(NAMES.folder_index())


class ShardFolder:
    """One config of a folder written by ``mattehub build``."""

    def __init__(self, root: str, config: str) -> None:
        self.root = str(root).rstrip("/")
        self.config = config
        self.fs = remote.filesystem(self.root)[0]

    @staticmethod
    def holds_index(root: str) -> bool:
        """Whether ``root`` has the folder index, i.e. was written by ``mattehub build``
        (a network failure is an error, not False)."""
        url = f"{str(root).rstrip('/')}/{INDEX}"
        return remote.exists(remote.filesystem(url)[0], url)

    def _read_json(self, rel: str):
        url = f"{self.root}/{rel}"
        try:
            return json.loads(remote.read(self.fs, url).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(url, f"is not valid JSON ({exc})",
                              "re-run the `mattehub build` command that wrote it") from None

    def not_built(self) -> SourceError:
        """The error for a folder without the index: missing, or not written by mattehub."""
        fix = (f"run `mattehub build {self.config} --out {self.root}` first, or pass the folder "
               "it wrote")
        if not remote.is_http(self.root) and not remote.exists(self.fs, self.root):
            return SourceError(self.root, "does not exist", fix)
        return SourceError(self.root, f"has no {INDEX}, so it is not a folder written by "
                                      "`mattehub build`", fix)

    def splits(self) -> list[str]:
        """Split names of this config, from the folder index ``_stats/index.json``."""
        if not self.holds_index(self.root):
            raise self.not_built()
        index = self._read_json(INDEX)
        if self.config not in index:
            raise ValueError(f"{self.root} holds no config {self.config!r} (it has "
                             f"{', '.join(index) or 'none'}); build it with "
                             f"`mattehub build {self.config} --out {self.root}`")
        return index[self.config]["splits"]

    def summary(self, split: str) -> dict:
        """The split summary written when the split was finished, checked for what readers
        use: ``files`` (paths inside this folder) and ``features``; an edited or damaged
        summary is a SourceError naming it."""
        rel = NAMES.relative(NAMES.split_summary(self.config, split))
        summary = self._read_json(rel)
        problem = summary_problem(summary)
        if problem:
            raise SourceError(f"{self.root}/{rel}", problem,
                              f"rewrite it from the shard stats with `mattehub finalize "
                              f"{self.root}`, or re-run the build")
        return summary

    def missing_shard(self, split: str, url: str) -> SourceError:
        """The error for a shard the split summary lists but that is not there."""
        summary = NAMES.relative(NAMES.split_summary(self.config, split))
        return SourceError(url, f"is missing (listed in {summary})",
                           "run `mattehub verify` on the folder, then re-run the build command "
                           "(it redoes missing shards)")

    def first_missing(self, urls: list[str]) -> str | None:
        """The first of ``urls`` that does not exist (None: all do)."""
        return next((url for url in urls if not remote.exists(self.fs, url)), None)

    def summaries(self) -> dict[str, dict]:
        """Every split summary of this config by split: their shard files and sha256 change
        whenever a rebuild changes the rows (what the builder keys its cache on)."""
        return {split: self.summary(split) for split in self.splits()}

    def parquet_urls(self, summary: dict) -> list[str]:
        """Absolute URLs of the split's Parquet shards, in order."""
        if "parquet" not in summary["files"]:
            raise ValueError(f"{self.root}: {self.config} was built without Parquet shards; "
                             f"load the '{self.config}-wds' config with load_dataset(folder, ...)")
        return [f"{self.root}/{path}" for path in summary["files"]["parquet"]]


def summary_problem(summary: object) -> str | None:
    """What is wrong with a split summary for a reader, or None: ``files`` must map each
    format to paths relative to the folder and inside it (an edited ``../`` path must not
    make a reader open files elsewhere), ``features`` must hold the Parquet features."""
    if not isinstance(summary, dict):
        return "is not a JSON object"
    files, features = summary.get("files"), summary.get("features")
    if not isinstance(files, dict) or not all(isinstance(paths, list) for paths in files.values()):
        return "has no 'files' (a list of shard paths per format)"
    if not isinstance(features, dict) or not isinstance(features.get("parquet"), dict):
        return "has no 'features' (the Parquet features of its shards)"
    for fmt, paths in files.items():
        for path in paths:
            if not _inside(path):
                return (f"lists {path!r} under files.{fmt}: shard paths must be relative "
                        "and stay inside the folder")
    return None


def _inside(path: object) -> bool:
    """Whether ``path`` is a relative path without ``..``, scheme, drive or backslash."""
    if not isinstance(path, str) or not path or "\\" in path or ":" in path:
        return False
    parts = PurePosixPath(path).parts
    return not PurePosixPath(path).is_absolute() and ".." not in parts

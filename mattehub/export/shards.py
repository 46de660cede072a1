"""The samples ``mattehub export`` writes: one split of one config of a shard folder, read
from its Parquet shards in order, one row group in memory at a time, with mattehub's own
reader (``formats.parquet``). Every shard is checked against its recorded size and sha256
before anything is written: a damaged shard is refused, naming it, with nothing exported.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mattehub.core.errors import BuildError, SourceError
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import ParquetShardReader
from mattehub.output.folder import ShardFolder
from mattehub.output.layout import NAMES
from mattehub.output.target import open_target


@dataclass(frozen=True)
class Split:
    """One split of one config in a shard folder: its Parquet shards in order, sample
    count, family and stored fields (from the split summary)."""

    shards: tuple[Path, ...]
    samples: int
    family: str
    fields: tuple[str, ...]


def open_split(folder: Path, config: str, split: str) -> Split:
    """The split's shards, checked; BuildError naming the folder when it lacks the config,
    the split or Parquet shards, or a shard is damaged."""
    shard_folder = ShardFolder(str(folder), config)
    try:
        splits = shard_folder.splits()
        if split not in splits:
            raise BuildError(f"{folder} has no split {split!r} of {config} (it has "
                             f"{', '.join(splits) or 'none'}): pass one of those as --split")
        summary = shard_folder.summary(split)
        if "parquet" not in summary.get("files", {}):
            raise BuildError(f"export reads the Parquet shards, and {folder} has none for "
                             f"{config}/{split} (built with --format webdataset): rebuild with "
                             "--format parquet,webdataset")
        urls = shard_folder.parquet_urls(summary)
    except SourceError as exc:
        raise BuildError(str(exc)) from None
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    _check_shards(folder, config, split, summary["files"]["parquet"])
    return Split(tuple(Path(url) for url in urls), int(summary.get("num_examples", 0)),
                 str(summary.get("family")), _fields(summary))


def _fields(summary: dict) -> tuple[str, ...]:
    """The fields the split's Parquet shards store (their declared features)."""
    features = (summary.get("features") or {}).get("parquet") or {}
    return tuple(name for name in features if isinstance(features, dict))


def _check_shards(folder: Path, config: str, split: str, paths: list[str]) -> None:
    """BuildError unless every Parquet shard has the size and sha256 its stats recorded."""
    target = open_target(folder)
    for number, path in enumerate(paths):
        rel = NAMES.relative(NAMES.shard_stats(config, split, number))
        info = ((target.read_json(rel) or {}).get("files") or {}).get("parquet")
        if not isinstance(info, dict) or info.get("path") != path:
            raise damaged(folder / path, f"has no shard stats {rel} describing it")
        if not target.matches(info):
            raise damaged(folder / path, f"does not have the size and sha256 its stats {rel} "
                                         "recorded; nothing was exported")


def samples(shards: tuple[Path, ...]) -> Iterator[tuple[str, dict]]:
    """(key, fields) of every row of the shards in order: image fields are their stored
    bytes (lists of bytes for lists), ``meta`` a dict, null fields left out."""
    for shard in shards:
        try:
            for _, key, fields in ParquetShardReader(shard).rows():
                yield key, {name: value for name, value in fields.items() if value is not None}
        except Unreadable as exc:
            problem = "cannot be opened" if exc.group is None else f"row group {exc.group} cannot be read"
            raise damaged(shard, f"{problem} ({exc.cause})") from None


def damaged(shard: Path, problem: str) -> BuildError:
    return BuildError(f"{shard} {problem}: truncated or damaged? `mattehub verify` the folder, "
                      "and rebuild the split if it fails")

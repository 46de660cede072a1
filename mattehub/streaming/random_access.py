"""Random access: ``mattehub.open(config, data_dir, split, **options)`` -> a map-style dataset.

Row ``i`` is the stream's row ``i`` (``mattehub.stream`` with the same arguments), read
without iterating to it:

* **made on the fly and releases in place**: a sample is a pure function of its id, so row
  ``i`` is ``recipe.make(i)`` of the recipe the stream's generator shards use (a release's
  recipe reads the members of entry ``i`` of the listing it made when it scanned), turned into
  a row by the builder's conversion (``to_row``) and decoded by the same ``datasets``
  features. An id the recipe skips (a damaged input) has no row: the stream leaves it out
  and logs it, so every later stream row is one id further on. ``[i]`` of a skipped id
  raises ``SkippedSample`` naming the inputs; ``len`` is the number of ids. Knowing where
  the skips are would mean making every sample before ``i`` (what random access avoids),
  and skips happen only with damaged sources: ``mattehub build`` writes a folder without
  holes, which ``open`` then reads exactly;
* **a shard folder** (a ``--out`` of ``mattehub build``): the shard stats give each shard's
  row count (``samples``, the ids it wrote less the skipped), so row ``i`` is found by
  bisection; the shard's Parquet footer gives its row groups; one row group is read.

The dataset is picklable and opens nothing until a row is read, in the process that reads it
(each DataLoader worker opens its own files); works with any sampler.
"""
from __future__ import annotations

import copy
import json
import os
from bisect import bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate
from os import PathLike
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.core.errors import SourceError
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import to_row
from mattehub.inputs import remote
from mattehub.output.folder import ShardFolder
from mattehub.output.layout import FORMAT_SUFFIX, NAMES, split_file_number
from mattehub.streaming.builder import Mattehub, damaged_shard

_ARROW_ERRORS = (pa.ArrowException, OSError, ValueError)


class SkippedSample(LookupError):
    """Row ``i`` of a made split is an id its recipe skips (a damaged input): the stream has
    no row for it."""


class MadeRows:
    """Rows of a split made on the fly (or read from a release) by id: ``recipe.make(i)``."""

    def __init__(self, name: str, recipe: Any, count: int) -> None:
        self.name, self.recipe, self.count = name, recipe, count
        schema = recipe.schema()
        self.kinds = {spec.name: spec.kind for spec in schema.fields}
        self.arrow_schema = schema.parquet_features().arrow_schema

    def __len__(self) -> int:
        return self.count

    def row(self, index: int) -> dict[str, Any]:
        """Sample ``index`` as the stream's generator shards convert it: ``to_row``, then
        through an Arrow table of the split's schema (meta keys a sample lacks become None)."""
        outcome = self.recipe.make(index)
        if outcome.sample is None:
            reasons = "; ".join(f"{e.get('path', '?')}: {e['reason']}" for e in outcome.events)
            raise SkippedSample(f"{self.name}: sample {index} is skipped ({reasons}); the stream "
                                "leaves it out, so its later rows are one id further on. Fix or "
                                "remove the input, or `mattehub build` the split and open the "
                                "folder it writes (no holes)")
        row = to_row(outcome.sample, self.kinds)
        return pa.Table.from_pylist([row], schema=self.arrow_schema).to_pylist()[0]


class ShardRows:
    """Rows of a shard folder's split: shard by the stats' counts, row group by the footer.

    Per process, the open files and the last row group read are kept (dropped when pickled,
    and in a forked child: an http file inherited from the parent is bound to its event
    loop), so consecutive rows cost one row-group read. Why not a page-level read:
    pyarrow reads whole row groups (its Python API has no row selection by page index);
    ``mattehub build --row-group-bytes`` bounds what one row costs."""

    def __init__(self, folder: ShardFolder, split: str, urls: list[str], counts: list[int]) -> None:
        self.root, self.config, self.split, self.urls = folder.root, folder.config, split, urls
        self.starts = list(accumulate(counts, initial=0))
        self._forget()

    def _forget(self) -> None:
        """Drop what this process opened and read."""
        self._pid = os.getpid()
        self._open: dict[int, tuple[pq.ParquetFile, list[int]]] = {}
        self._group: tuple[int, int, pa.Table] | None = None

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_open": {}, "_group": None, "_pid": None}

    def __len__(self) -> int:
        return self.starts[-1]

    def row(self, index: int) -> dict[str, Any]:
        """Row ``index`` of the split: its shard, its row group, one row of it."""
        shard = bisect_right(self.starts, index) - 1
        offset = index - self.starts[shard]
        parquet, group_starts = self._file(shard)
        group = bisect_right(group_starts, offset) - 1
        return self._table(shard, parquet, group).slice(offset - group_starts[group], 1).to_pylist()[0]

    def _file(self, shard: int) -> tuple[pq.ParquetFile, list[int]]:
        """The open shard and its row groups' first rows (checked against the stats)."""
        if self._pid != os.getpid():
            self._forget()
        if shard not in self._open:
            url = self.urls[shard]
            fs = remote.filesystem(url)[0]
            try:
                parquet = pq.ParquetFile(fs.open(url, "rb"))
            except FileNotFoundError:
                raise ShardFolder(self.root, self.config).missing_shard(self.split, url) from None
            except _ARROW_ERRORS as exc:
                raise damaged_shard(url, Unreadable(f"cannot be opened as Parquet ({exc})", exc)) from None
            meta = parquet.metadata
            starts = list(accumulate((meta.row_group(g).num_rows for g in range(meta.num_row_groups)),
                                     initial=0))
            expected = self.starts[shard + 1] - self.starts[shard]
            if starts[-1] != expected:
                raise SourceError(url, f"has {starts[-1]} rows, its shard stats say {expected}",
                                  "run `mattehub verify` on the folder, then re-run the build")
            self._open[shard] = parquet, starts
        return self._open[shard]

    def _table(self, shard: int, parquet: pq.ParquetFile, group: int) -> pa.Table:
        if self._group is None or self._group[:2] != (shard, group):
            try:
                table = parquet.read_row_group(group)
            except _ARROW_ERRORS as exc:
                raise damaged_shard(self.urls[shard], Unreadable(str(exc), exc, group)) from None
            self._group = shard, group, table
        return self._group[2]


class RandomAccess:
    """A map-style dataset: ``len(ds)``, ``ds[i]`` (row ``i`` of the stream, decoded by the
    same ``datasets`` features: images are PIL images), ``for row in ds``. Picklable; a torch
    ``DataLoader`` takes it with any sampler and any number of workers."""

    def __init__(self, name: str, rows: MadeRows | ShardRows, features: datasets.Features) -> None:
        self.name, self.rows, self.features = name, rows, features
        self.transforms: tuple[Callable[[Any], Any], ...] = ()
        self.decode = True

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Any:
        row = self.rows.row(self._position(index))
        if self.decode:
            row = self.features.decode_example(row)
        for transform in self.transforms:
            row = transform(row)
        return row

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def _position(self, index: int) -> int:
        """``index`` as a row number (negative from the end); IndexError outside."""
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise TypeError(f"{self.name}: rows are read by an integer, not {type(index).__name__}")
        count, position = len(self), index.__index__()
        if position < 0:
            position += count
        if not 0 <= position < count:
            raise IndexError(f"{self.name}: row {index} is out of range (it has {count} rows)")
        return position

    def with_transform(self, *transforms: Callable[[Any], Any], decode: bool = True) -> RandomAccess:
        """A copy whose rows go through ``transforms`` in order (e.g.
        ``mattehub.training.to_arrays``, then a ``TrainTransform``; module-level callables, so
        DataLoader workers can unpickle them). ``decode=False``: images stay ``{"bytes",
        "path"}`` structs (as ``Image(decode=False)`` gives them), for ``to_arrays`` to
        decode without building PIL images first."""
        other = copy.copy(self)
        other.transforms, other.decode = transforms, decode
        return other

    def __repr__(self) -> str:
        return f"RandomAccess({self.name}, rows={len(self)}, features={list(self.features)})"


def open_dataset(config: str, data_dir: str | PathLike | None = None, split: str | None = None,
                 **options: Any) -> RandomAccess:
    """``mattehub.open``: ``split`` of ``config`` as a map-style dataset whose row ``i`` is
    row ``i`` of ``mattehub.stream(config, data_dir, split, **options)``. The arguments are
    the stream's: a shard folder, a release, or the sources of a config made on the fly;
    ``split`` None is the split the stream reads (a folder's only split, else the config's
    default, ``train`` for most)."""
    builder = Mattehub(config_name=config, data_dir=None if data_dir is None else str(data_dir),
                       **options)
    split = split or builder.default_split()
    name = f"{config}/{split}"
    folder = builder.shard_folder()
    if folder is None:
        recipe = builder.made_recipe(split)
        rows: MadeRows | ShardRows = MadeRows(name, recipe, recipe.sample_count(builder.config.num_samples))
        return RandomAccess(name, rows, recipe.schema().parquet_features())
    if split not in folder.splits():
        raise ValueError(f"{folder.root} holds no split {split!r} of {config} (it has "
                         f"{', '.join(folder.splits())})")
    summary = folder.summary(split)
    urls = folder.parquet_urls(summary)
    rows = ShardRows(folder, split, urls, _shard_counts(folder, split, urls))
    return RandomAccess(name, rows, datasets.Features.from_dict(summary["features"]["parquet"]))


def _shard_counts(folder: ShardFolder, split: str, urls: list[str]) -> list[int]:
    """Rows of each shard of ``split``, from its shard stats (``samples``: the ids it wrote
    less the skipped), read in the order of the summary's files."""
    counts = []
    for url in urls:
        found = split_file_number(url.rsplit("/", 1)[-1], split, FORMAT_SUFFIX["parquet"])
        if found is None:
            raise SourceError(url, f"is not a shard name of split {split!r}",
                              f"rewrite the summary with `mattehub finalize {folder.root}`")
        stats_url = f"{folder.root}/{NAMES.relative(NAMES.shard_stats(folder.config, split, found[0]))}"
        try:
            counts.append(int(json.loads(remote.read(folder.fs, stats_url))["samples"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(stats_url, f"is not a shard stats file ({exc})",
                              "run `mattehub verify` on the folder, then re-run the build") from None
    return counts

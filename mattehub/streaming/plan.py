"""What ``load_dataset("mattehub", CONFIG, **kwargs)`` makes on the fly, and how it is cut.

Two jobs, both for the ``mattehub`` builder:

* **the recipe**: keyword arguments are the declared options by keyword name (``bg_root=``
  is ``--bg-root``); ``data_dir=`` fills the config's source option (``i-him``: its
  ``image_root``). They go through the same refusals and options classes as ``mattehub
  build`` (``mattehub.families.configs``), so a stream makes exactly the samples a build would;
* **generator shards**: a split of N sample ids is cut into contiguous id ranges. ``datasets``
  hands whole shards to DataLoader workers and to ``split_dataset_by_node`` ranks, so each id
  is made by exactly one reader. The shard count is the largest of ``SHARD_COUNTS`` that is at
  most N: those numbers have many divisors, so world sizes 2, 3, 4, 6, 8, 12... divide it and
  each rank reads only its own shards (``datasets`` otherwise falls back to every rank making
  every sample and keeping one in ``world_size``: still exact, but ``world_size`` times the work).
  Past ``720 x MAX_SHARD_IDS`` ids the count is a multiple of 720, so shards stay small and
  balance many workers. A resume (``load_state_dict``) re-makes no sample whatever their size
  (``mattehub.streaming.resume``); only a state saved by an earlier mattehub re-makes the rows
  of the shard it stopped in (docs/training.md, "Resuming a stream").
"""
from __future__ import annotations

from typing import Any, Callable

from mattehub.families.registry import recipe_class
from mattehub.families.configs import as_keyword, recipe_for, refuse_foreign, run_options, source_option
from mattehub.options.run import RunOptions

SHARD_COUNTS = (1, 2, 4, 6, 12, 24, 48, 120, 240, 360, 720)
"""Highly composite shard counts; 720 ranges keep shards small enough to balance 16+ workers
without making a generator per handful of samples for small splits."""

MAX_SHARD_IDS = 8
"""Most ids per generator shard once a split has more than ``720 x MAX_SHARD_IDS`` ids; twice
the recipe's ``min_size`` where that is larger."""


def shard_ranges(count: int, min_size: int = 1) -> list[tuple[int, int]]:
    """Ids ``0..count-1`` as contiguous ``(start, stop)`` ranges, as equal as integers allow,
    of at least ``min_size`` ids where the count allows (a recipe that reads ahead within a
    range, e.g. a release, needs a few ids per range to overlap anything)."""
    if count <= 0:
        return [(0, 0)]
    shards = max(n for n in SHARD_COUNTS if n <= max(1, count // max(1, min_size)))
    cap = max(MAX_SHARD_IDS, 2 * min_size)
    if shards == SHARD_COUNTS[-1] and count > shards * cap:
        shards *= -(-count // (shards * cap))  # ids per shard in (cap/2, cap], so >= min_size
    bounds = [count * i // shards for i in range(shards + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


SHARD_PARTS = 12
"""Generator shards a shard folder of fewer files than this is cut into (each file into
``SHARD_PARTS`` runs of row groups): a one-file folder would otherwise feed one DataLoader
worker and leave the others idle; 12 divides among 2, 3, 4, 6 and 12 workers or ranks."""


def shard_parts(files: list[str]) -> list[tuple[str, int, int]]:
    """A shard folder's Parquet files as generator shards ``(file, i, n)``: the i-th of n
    contiguous runs of the file's row groups (n = 1, whole files, from ``SHARD_PARTS`` files
    on), in file and row order, so one reader's rows are the folder's rows in order."""
    parts = 1 if len(files) >= SHARD_PARTS else SHARD_PARTS
    return [(file, index, parts) for file in files for index in range(parts)]


def config_splits(config: str, data_dir: str | None, make: Callable[[str], Any]) -> tuple[list[str], Any]:
    """The splits ``config`` has in its sources, and a recipe made while finding them that
    the other splits' recipes reuse through ``share_scan`` (a release is listed once), else
    None (``Recipe.list_splits``). ``make(split)`` makes the config's recipe for a split."""
    return recipe_class(config).list_splits(data_dir, make)


def source_recipe(config: str, data_dir: str | None, split: str, knobs: dict[str, Any]):
    """The recipe ``mattehub build CONFIG --split SPLIT`` makes with ``knobs`` (keyword
    arguments; None = not given) and ``data_dir`` as the config's source option: other
    configs' options refused in keyword spelling, the rest checked by the options class."""
    given = {name: value for name, value in knobs.items() if value is not None}
    run = RunOptions(**{name: given.pop(name) for name in list(given) if name in run_options()})
    refuse_foreign(config, list(given), as_keyword)
    if data_dir is not None:
        given[source_option(config)] = data_dir
    return recipe_for(config, given, split, run)

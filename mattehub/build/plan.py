"""Shards known before any sample is made: shard ``n`` holds ids ``[n*S, min((n+1)*S, N))``.

A build cut this way can be split between processes that never talk to each other: Ray tasks
(``--distributor ray``), Slurm array jobs or machines writing to one shared folder
(``--index-range A:B`` / ``--shard-range A:B``). Each writes whole shards under temporary
names and their stats last (the completion marker), so a folder holds complete shards or
nothing for a shard; ``mattehub finalize`` (or the range that completes the split) writes the
split summary, card and preview once every shard is there.

A plain local build cuts the same ids into the same shards (``ShardSequence``), so the files
are byte-identical as long as the byte limit never cut a local shard early: planned builds do
not apply ``--max-bytes-per-shard`` (a shard's size is only known once it is written) and
report shards above it instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mattehub.core.errors import BuildError


@dataclass(frozen=True)
class PlannedShard:
    """Shard ``number`` of a split: ids ``start..stop-1``."""

    number: int
    start: int
    stop: int


def plan(num_samples: int, per_shard: int) -> list[PlannedShard]:
    """Every shard of a split of ``num_samples`` ids, ``per_shard`` ids each."""
    return [PlannedShard(n, start, min(start + per_shard, num_samples))
            for n, start in enumerate(range(0, num_samples, per_shard))]


def parse_range(text: str) -> tuple[int, int | None]:
    """``A:B`` (B exclusive; ``A:`` = to the end) as integers, for argparse."""
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d*)\s*", text)
    if not match or (match.group(2) and int(match.group(2)) <= int(match.group(1))):
        raise ValueError(f"{text!r} is not a range A:B with A < B (B exclusive, or A: to the end)")
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def select(shards: list[PlannedShard], index_range: tuple[int, int | None] | None = None,
           shard_range: tuple[int, int | None] | None = None) -> list[PlannedShard]:
    """The shards an ``--index-range`` (ids; must fall on shard boundaries, so two ranges never
    write one shard) or a ``--shard-range`` (shard numbers) names; all without either."""
    end = shards[-1].stop if shards else 0
    if shard_range is not None:
        first, stop = shard_range
        if first >= len(shards):
            raise BuildError(f"--shard-range {first}: is past the end of the split: it has "
                             f"{len(shards)} shards (0 to {len(shards) - 1}) of {end} ids")
        return [s for s in shards if s.number >= first and (stop is None or s.number < stop)]
    if index_range is None:
        return shards
    start, stop = index_range
    if start >= end:
        raise BuildError(f"--index-range start {start} is past the end of the split: it has "
                         f"{end} ids (0 to {end - 1})")
    stop = end if stop is None else min(stop, end)
    starts = {s.start for s in shards} | {end}
    for edge, name in ((start, "start"), (stop, "end")):
        if edge not in starts:
            per = shards[0].stop - shards[0].start
            raise BuildError(f"--index-range {name} {edge} is not a shard boundary: shards hold "
                             f"{per} ids (--max-samples-per-shard), so ranges start and end at "
                             f"multiples of {per} (or at {end}, the last id + 1)")
    return [s for s in shards if start <= s.start < stop]

"""Shards known before any sample is made: shard ``n`` holds ids ``[n*S, min((n+1)*S, N))``.

Every build is cut this way, so it can be split between processes that never talk to each
other: the local pool's workers, Ray tasks (``--distributor ray``), Slurm array jobs or
machines writing to one shared folder (``--index-range A:B`` / ``--shard-range A:B``). Each
writes whole shards under temporary names and their stats last (the completion marker), so a
folder holds complete shards or nothing for a shard; the run that completes the split (or
``mattehub finalize``) writes the split summary, card and preview once every shard is there.

``S`` is ``--max-samples-per-shard``; with ``--max-bytes-per-shard`` it is chosen from the
mean payload of the first samples (``samples_per_shard``), the same number in every process,
and recorded in the build record (``samples_per_shard``, read back by ``record_plan``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mattehub.build.sequence import ShardLimits
from mattehub.core.errors import BuildError
from mattehub.recipes.base import Recipe

PROBE_IDS = 8
"""``--max-bytes-per-shard``: samples-per-shard comes from the mean payload of ids
``0..PROBE_IDS-1``."""
HEADROOM = (5, 4)
"""... divided into the byte limit with 1.25x headroom (as a fraction: integer arithmetic,
the same result on every machine)."""


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


def samples_per_shard(recipe: Recipe, num_samples: int, limits: ShardLimits) -> int:
    """Ids per shard: ``limits.max_samples``; with a byte limit, at most
    ``floor(max_bytes / (1.25 x mean payload))`` (>= 1), the mean over the samples made for
    the first ``min(8, num_samples)`` ids (skipped ids left out; all skipped: no cut). A pure
    function of the recipe (config, sources, seed) and the limits, so every process of a
    build (resume, other ranges, Ray) computes the same number; it costs making those ids
    once in this process. A shard may still exceed the limit (its samples are bigger than
    the first ones): the build reports it."""
    if limits.max_bytes is None:
        return limits.max_samples
    payloads = [outcome.sample.payload_bytes()
                for task in recipe.task_ranges(0, min(PROBE_IDS, num_samples))
                for outcome in recipe.make_many(task) if outcome.sample is not None]
    if not payloads or not sum(payloads):
        return limits.max_samples
    fits = limits.max_bytes * HEADROOM[1] * len(payloads) // (HEADROOM[0] * sum(payloads))
    return min(limits.max_samples, max(1, fits))


def record_plan(record: dict) -> list[PlannedShard]:
    """Every shard a build record plans (``samples_per_shard``; records written before it
    existed: ``--max-samples-per-shard``)."""
    per_shard = record.get("samples_per_shard") or record["limits"]["max_samples"]
    return plan(record["num_samples"], per_shard)


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
                             f"{per} ids (--max-samples-per-shard, or what --max-bytes-per-shard "
                             f"makes of it), so ranges start and end at multiples of {per} (or "
                             f"at {end}, the last id + 1)")
    return [s for s in shards if start <= s.start < stop]

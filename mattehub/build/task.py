"""The one shard loop of every build, and the planned shard that distributors run.

``write_range`` makes ids ``start..stop-1`` (with ``workers`` processes) and writes them into
shards numbered from ``first_number``: a local build runs it once over the rest of the split
(shards cut by the limits), ``write_shard`` once per planned shard, in this process, a Ray
task or a Slurm job (into the output folder, or through a staging folder to an fsspec URL).
Either way a failure leaves complete shards (files renamed into place, stats written last)
and nothing of the open one but temp files that the next run replaces.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from mattehub.build.parallel import ordered_outcomes
from mattehub.build.plan import PlannedShard
from mattehub.build.sequence import ShardLimits, ShardSequence
from mattehub.contract.sample import Outcome
from mattehub.core.redact import Redactor
from mattehub.output.layout import OutputLayout
from mattehub.output.target import open_target
from mattehub.recipes.base import Recipe

OnOutcome = Callable[[Outcome, int], None]
"""Called after each outcome is written, with the number of shards opened so far."""


@dataclass(frozen=True)
class ShardJob:
    """Where and how the shards of one split are written."""

    out: str
    split: str
    formats: tuple[str, ...]
    limits: ShardLimits
    record: dict
    """What every shard's stats repeat from the build record (config, fingerprint, seed)."""


def write_range(recipe: Recipe, job: ShardJob, layout: OutputLayout, start: int, stop: int,
                first_number: int, workers: int = 1,
                on_outcome: OnOutcome | None = None) -> list[dict]:
    """Write ids ``start..stop-1`` into ``layout`` as shards ``first_number``, ... (cut by
    ``job.limits``); returns their stats. On an error the open shard's temp files are
    dropped and the shards finished before it stay."""
    sequence = ShardSequence(layout, recipe.schema(), job.split, job.formats, job.limits,
                             job.record, start_number=first_number,
                             redact=Redactor(recipe.source_roots()))
    try:
        for outcome in ordered_outcomes(recipe, start, stop, workers):
            sequence.add(outcome)
            if on_outcome is not None:
                on_outcome(outcome, sequence.next_number)
        sequence.finish()
    except BaseException:
        sequence.abort()
        raise
    return sequence.completed


def write_shard(recipe: Recipe, job: ShardJob, shard: PlannedShard, workers: int = 1,
                on_sample: Callable[[], None] | None = None) -> dict:
    """Write planned shard ``shard.number`` (ids ``shard.start..shard.stop-1``); returns its
    stats. The byte limit is not applied (the range is fixed); callers compare
    ``payload_bytes``."""
    target = open_target(job.out)
    one = replace(job, limits=replace(job.limits, max_samples=shard.stop - shard.start,
                                      max_bytes=sys.maxsize))
    seen = None if on_sample is None else lambda outcome, shards: on_sample()
    with target.staged() as layout:
        stats = write_range(recipe, one, layout, shard.start, shard.stop, shard.number,
                            workers, seen)[0]
        stats_file = layout.shard_stats(job.record["config"], job.split, shard.number)
        target.upload(layout, [info["path"] for info in stats["files"].values()]
                      + [layout.relative(stats_file)])  # the stats last: the completion marker
    return stats

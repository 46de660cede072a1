"""The one shard loop of every build: ``write_shard`` writes one planned shard.

Every distributor runs it: the ``local`` one in this process or in its pool of worker
processes, ``ray`` as a Ray task, a Slurm job through ``--index-range``; into the output
folder, or through a staging folder to an fsspec URL. A failure leaves complete shards
(files renamed into place, stats written last) and nothing of the open one but temp files
that the next run replaces.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from mattehub.build.parallel import ordered_outcomes
from mattehub.build.plan import PlannedShard
from mattehub.build.sequence import ShardLimits, ShardSequence
from mattehub.core.redact import Redactor
from mattehub.output.layout import OutputLayout
from mattehub.output.target import open_target
from mattehub.recipes.base import Recipe


@dataclass(frozen=True)
class ShardJob:
    """Where and how the shards of one split are written."""

    out: str
    split: str
    formats: tuple[str, ...]
    limits: ShardLimits
    record: dict
    """What every shard's stats repeat from the build record (config, fingerprint, seed)."""


def write_shard(recipe: Recipe, job: ShardJob, shard: PlannedShard, workers: int = 1,
                on_sample: Callable[[], None] | None = None) -> dict:
    """Write planned shard ``shard.number`` (ids ``shard.start..shard.stop-1``, their samples
    made by ``workers`` processes); returns its stats. ``on_sample`` is called after each id.
    The byte limit is not applied here (the range is fixed: ``mattehub.build.plan``)."""
    target = open_target(job.out)
    with target.staged() as layout:
        stats = _write_ids(recipe, job, layout, shard, workers, on_sample)
        stats_file = layout.shard_stats(job.record["config"], job.split, shard.number)
        target.upload(layout, [info["path"] for info in stats["files"].values()]
                      + [layout.relative(stats_file)])  # the stats last: the completion marker
    return stats


def _write_ids(recipe: Recipe, job: ShardJob, layout: OutputLayout, shard: PlannedShard,
               workers: int, on_sample: Callable[[], None] | None) -> dict:
    """The shard's ids made and written into every format; on an error the open shard's
    temp files are dropped."""
    limits = replace(job.limits, max_samples=shard.stop - shard.start)
    sequence = ShardSequence(layout, recipe.schema(), job.split, job.formats, limits,
                             job.record, start_number=shard.number,
                             redact=Redactor(recipe.source_roots()))
    try:
        for outcome in ordered_outcomes(recipe, shard.start, shard.stop, workers):
            sequence.add(outcome)
            if on_sample is not None:
                on_sample()
        sequence.finish()
    except BaseException:
        sequence.abort()
        raise
    return sequence.completed[0]

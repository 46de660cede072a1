"""One planned shard written by whoever runs it: this process, a Ray task, a Slurm job
(into the output folder, or through a staging folder to an fsspec URL).

``write_shard`` is the unit every distributor runs. It needs only the recipe (prepared,
picklable), the job (where and how to write) and the shard's id range, and it leaves either a
complete shard (files renamed into place, stats written last) or nothing but temp files that
the next run replaces.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from mattehub.output.target import OutputTarget
from mattehub.build.parallel import ordered_outcomes
from mattehub.core.redact import Redactor
from mattehub.build.plan import PlannedShard
from mattehub.build.sequence import ShardLimits, ShardSequence


@dataclass(frozen=True)
class ShardJob:
    """Where and how the shards of one split are written."""

    out: str
    split: str
    formats: tuple[str, ...]
    limits: ShardLimits
    record: dict
    """What every shard's stats repeat from the build record (config, fingerprint, seed)."""


def write_shard(recipe, job: ShardJob, shard: PlannedShard, workers: int = 1,
                on_sample=None) -> dict:
    """Write shard ``shard.number`` (ids ``shard.start..shard.stop-1``); returns its stats.
    The byte limit is not applied (the range is fixed); callers compare ``payload_bytes``."""
    target = OutputTarget(job.out)
    limits = replace(job.limits, max_samples=shard.stop - shard.start, max_bytes=sys.maxsize)
    with target.staged() as layout:
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
        stats = sequence.completed[0]
        stats_file = layout.shard_stats(job.record["config"], job.split, shard.number)
        target.upload(layout, [info["path"] for info in stats["files"].values()]
                      + [layout.relative(stats_file)])  # the stats last: the completion marker
    return stats

"""The ``local`` distributor: the planned shards one after another in this process."""
from __future__ import annotations

from tqdm.auto import tqdm

from mattehub.build.distributors.base import Distributed, DistributorSettings
from mattehub.build.plan import PlannedShard
from mattehub.build.task import ShardJob, write_shard


def run_local(recipe, job: ShardJob, shards: list[PlannedShard],
              settings: DistributorSettings) -> Distributed:
    """Write ``shards`` in order, ``settings.workers`` processes making samples; an error
    stops the run (finished shards stay, as in any build)."""
    done = Distributed()
    total = sum(s.stop - s.start for s in shards)
    with tqdm(total=total, unit="sample", disable=not settings.progress,
              desc=f"{job.record['config']}/{job.split}") as bar:
        for shard in shards:
            done.written.append(write_shard(recipe, job, shard, settings.workers, lambda: bar.update(1)))
    return done

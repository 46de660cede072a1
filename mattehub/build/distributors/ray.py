"""The ``ray`` distributor: one Ray task per planned shard, on an existing Ray cluster.

Ray schedules, retries a task whose worker died (``max_retries``) and moves the recipe to the
workers once (``ray.put``); mattehub only says which shards to write. A task that still fails
is reported with its shard number and error; the other shards are written regardless.
Ray is the optional extra ``mattehub[ray]``.
"""
from __future__ import annotations

from tqdm.auto import tqdm

from mattehub.core.errors import BuildError
from mattehub.build.distributors.base import Distributed, DistributorSettings
from mattehub.build.plan import PlannedShard
from mattehub.build.task import ShardJob, write_shard


def require_ray():
    """The ``ray`` module; BuildError naming the extra to install when it is missing."""
    try:
        import ray
    except ImportError:
        raise BuildError("--distributor ray needs Ray: pip install 'mattehub[ray]'") from None
    return ray


def run_ray(recipe, job: ShardJob, shards: list[PlannedShard],
            settings: DistributorSettings) -> Distributed:
    """Write ``shards`` as Ray tasks (one CPU each); returns written stats and failures."""
    ray = require_ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=settings.address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
    try:
        task = ray.remote(num_cpus=1, max_retries=settings.retries)(write_shard)
        recipe_ref = ray.put(recipe)
        pending = {task.remote(recipe_ref, job, shard): shard for shard in shards}
        return _collect(ray, pending, Distributed(), settings.progress)
    finally:
        if started_here:
            ray.shutdown()


def _collect(ray, pending: dict, done: Distributed, progress: bool) -> Distributed:
    """Stats of each finished task as it comes; a task's final failure is recorded, not raised."""
    with tqdm(total=len(pending), unit="shard", disable=not progress, desc="ray shards") as bar:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            shard = pending.pop(ready[0])
            try:
                done.written.append(ray.get(ready[0]))
            except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError...: reported
                cause = getattr(exc, "cause", None) or exc
                done.failed[shard.number] = f"{type(cause).__name__}: {cause}".splitlines()[0]
            bar.update(1)
    return done

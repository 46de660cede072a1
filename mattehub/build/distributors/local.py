"""The ``local`` distributor: the planned shards written by ``--workers`` processes.

Each worker process (spawn-started, the recipe loaded once: ``mattehub.build.parallel``)
writes whole shards with ``write_shard``, Parquet and tar in one pass, and returns only the
shard's stats: no sample crosses a process boundary. This process only waits, and moves the
progress bar from a counter the workers share (read a few times a second), so its cost per
sample stays near zero whatever the worker count.

* ``--workers 1``: no pool, the shards one after another in this process.
* Fewer shards than workers (a small build): each shard's samples are made by
  ``workers // shards`` processes (one shard: in this process, with ``workers`` processes
  making its samples), so every worker is busy. The bytes are the same either way.
* A worker that dies (killed, out of memory) fails every shard not written yet: they are
  reported, with the advice to re-run, never waited for.
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool

from tqdm.auto import tqdm

from mattehub.build.distributors.base import Distributed, DistributorSettings
from mattehub.build.parallel import SPAWN, WorkerDied, in_worker, process_pool, stop_pool
from mattehub.build.worker import count_sample, worker_recipe
from mattehub.build.plan import PlannedShard
from mattehub.build.task import ShardJob, write_shard

POLL_SECONDS = 0.25
"""How often the progress bar reads the workers' counter."""
DIED = "not written: a worker process died (killed, or out of memory?)"


def run_local(recipe, job: ShardJob, shards: list[PlannedShard],
              settings: DistributorSettings) -> Distributed:
    """Write ``shards`` with ``settings.workers`` processes. A shard whose worker died is in
    ``failed``; any other error stops the run (shards not started are cancelled, running
    ones finish) and is raised as it is."""
    done = Distributed()
    writers, makers = pool_shape(settings.workers, len(shards))
    with tqdm(total=sum(s.stop - s.start for s in shards), unit="sample",
              disable=not settings.progress, desc=f"{job.record['config']}/{job.split}") as bar:
        if writers:
            _in_pool(recipe, job, shards, writers, makers, bar, done)
        else:
            _in_process(recipe, job, shards, makers, bar, done)
    return done


def pool_shape(workers: int, shards: int) -> tuple[int, int]:
    """How ``workers`` processes are spent on ``shards`` shards: (processes writing shards, 0
    for this process alone; processes making each shard's samples, 1 for the writer itself).
    Fewer shards than workers: ``workers // shards`` makers per shard, so none stays idle."""
    if workers <= 1 or shards <= 1:
        return 0, workers
    return min(workers, shards), max(1, workers // shards)


def _in_process(recipe, job: ShardJob, shards: list[PlannedShard], workers: int, bar,
                done: Distributed) -> None:
    """Shard after shard in this process, ``workers`` processes making each one's samples."""
    for number, shard in enumerate(shards):
        try:
            done.written.append(write_shard(recipe, job, shard, workers, lambda: bar.update(1)))
        except WorkerDied as exc:
            done.failed[shard.number] = str(exc)
            done.failed.update({s.number: f"not started (shard {shard.number} failed)"
                                for s in shards[number + 1:]})
            return


def _in_pool(recipe, job: ShardJob, shards: list[PlannedShard], writers: int, makers: int,
             bar, done: Distributed) -> None:
    """One task per shard in a pool of ``writers`` processes, each shard's samples made by
    ``makers`` processes."""
    counter = SPAWN.Value("q", 0)
    pool = process_pool(recipe, writers, counter)
    try:
        pending = {pool.submit(_shard_task, job, shard, makers): shard for shard in shards}
        while pending:
            finished, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if counter.value > bar.n:
                bar.update(counter.value - bar.n)
            for future in finished:
                _collect(future, pending.pop(future), done)
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _collect(future: Future, shard: PlannedShard, done: Distributed) -> None:
    """A finished task's stats, or its shard among the failed when a worker died."""
    try:
        done.written.append(future.result())
    except BrokenProcessPool:
        done.failed[shard.number] = DIED
    except WorkerDied as exc:
        done.failed[shard.number] = str(exc)


def _shard_task(job: ShardJob, shard: PlannedShard, workers: int) -> dict:
    """In a worker: write ``shard`` with the worker's recipe; only the stats go back."""
    return in_worker(lambda: write_shard(worker_recipe(), job, shard, workers, count_sample))

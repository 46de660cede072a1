"""Who writes the planned shards of a split: one interface, two back-ends (img2dataset's
``distributor.py`` shape). ``run(recipe, job, shards, settings)`` writes every shard it can
and returns a ``Distributed``: the stats of the shards written and, by shard number, why the
others failed (never silently dropped).

* ``local``: this process, shard after shard, ``--workers`` processes making the samples;
* ``ray``: one Ray task per shard on an existing Ray cluster (``--ray-address``, or a local
  one), retried when its worker dies.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mattehub.build.distributors.local import run_local
from mattehub.build.distributors.ray import run_ray


@dataclass(frozen=True)
class DistributorSettings:
    """Back-end options: ``workers`` (local processes), ``address`` (Ray cluster),
    ``retries`` (Ray: reruns of a task whose worker died), ``progress``."""

    workers: int = 1
    address: str | None = None
    retries: int = 3
    progress: bool = True


@dataclass
class Distributed:
    """What a distributor did: stats of the shards written, failures by shard number."""

    written: list[dict] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


DISTRIBUTORS = {"local": run_local, "ray": run_ray}

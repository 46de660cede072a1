"""Who writes the planned shards of a split: one interface, two back-ends (img2dataset's
``distributor.py`` shape). ``run(recipe, job, shards, settings)`` writes every shard it can
and returns a ``Distributed`` (``base``): the stats of the shards written and, by shard
number, why the others failed (never silently dropped).

* ``local``: this process, shard after shard, ``--workers`` processes making the samples;
* ``ray``: one Ray task per shard on an existing Ray cluster (``--ray-address``, or a local
  one), retried when its worker dies.
"""
from __future__ import annotations

from mattehub.build.distributors.local import run_local
from mattehub.build.distributors.ray import require_ray, run_ray

DISTRIBUTORS = {"local": run_local, "ray": run_ray}
DISTRIBUTOR_CHECKS = {"local": lambda: None, "ray": require_ray}
"""BuildError when the distributor cannot run here (Ray not installed): called before a build
writes anything, so a refused build leaves no folder or record behind."""

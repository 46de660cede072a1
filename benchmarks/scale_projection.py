"""Projection of a large build from costs measured on this machine (``bench_scale_out.py``).

A planned build is shards of S samples, each written whole by one worker; what limits it on
C cores is the largest of: the workers' time (waves of shards, each shard a fixed cost plus
S samples), the parent's CPU (serial: it plans, collects stats, finalizes), and the disk
that receives the shards. ``project`` evaluates each term from measured costs and names the
one that binds and the one that binds next (with the core count at which it would). This
is a model, not a measurement: it assumes every core as fast as this machine's and no
shared-cache or memory-bandwidth loss, so it is an upper bound on samples/s.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from common import md_table

MAX_PER_SHARD = 1000
"""mattehub's default ``--max-samples-per-shard``: the projection's largest shard."""


@dataclass(frozen=True)
class Costs:
    """Measured costs, seconds (one core) unless named otherwise."""

    per_sample: float  # a worker's time per sample, without the per-shard part
    per_shard: float  # a worker's fixed time per shard (open, close, hash, stats)
    parent_per_sample: float  # the parent's CPU per sample during the build
    fixed: float  # once per build: start-up, imports, scan, finalize (wall)
    mb_per_sample: float  # shard bytes written per sample, MB
    disk_mb_s: float  # sequential write bandwidth of the output disk, MB/s
    ray_per_shard: float = 0.0  # Ray: slot time per shard beyond its own work
    ray_driver_per_shard: float = 0.0  # Ray: the driver's CPU per shard
    ray_fixed: float = 0.0  # Ray: workers' cold start (cluster already up)


def write_speed(folder: Path, megabytes: int) -> float:
    """Sequential write MB/s to ``folder``: ``megabytes`` 1 MiB blocks of random bytes (not
    compressible), written, fsync'ed, timed; the file is removed. A ``dd`` with
    ``conv=fsync``, in Python so it runs where dd's options differ."""
    folder.mkdir(parents=True, exist_ok=True)
    path, block = folder / f".write-speed-{os.getpid()}", os.urandom(2**20)
    try:
        start = time.perf_counter()
        with open(path, "wb", buffering=0) as handle:
            for _ in range(megabytes):
                handle.write(block)
            os.fsync(handle.fileno())
        return megabytes * 2**20 / 1e6 / (time.perf_counter() - start)
    finally:
        path.unlink(missing_ok=True)


def shard_size(samples: int, slots: int) -> int:
    """Samples per shard: at most MAX_PER_SHARD, and as even as possible over whole waves
    of ``slots`` shards (so no wave runs with idle cores but the last sample's)."""
    waves = math.ceil(samples / (slots * MAX_PER_SHARD))
    return math.ceil(samples / (slots * waves))


def project(costs: Costs, samples: int, cores: int, nodes: int = 1, ray: bool = False,
            per_shard: int | None = None) -> dict:
    """Seconds of each limiting term for ``samples`` on ``nodes`` x ``cores`` slots, the wall
    time, samples/s, the binding term and the next one (with the slot count where it binds).
    Each node writes its own shards to its own disk (so disk bandwidth scales with nodes).
    Shards of ``per_shard`` samples, else of ``shard_size``."""
    slots = cores * nodes
    per_shard_samples = per_shard or shard_size(samples, slots)
    shards = math.ceil(samples / per_shard_samples)
    shard_cost = costs.per_shard + per_shard_samples * costs.per_sample + (
        costs.ray_per_shard if ray else 0.0)
    parent = shards * costs.ray_driver_per_shard if ray else samples * costs.parent_per_sample
    terms = {"workers": math.ceil(shards / slots) * shard_cost, "parent CPU": parent,
             "disk write": samples * costs.mb_per_sample / (costs.disk_mb_s * nodes)}
    if ray:
        terms["Ray per-shard overhead"] = math.ceil(shards / slots) * costs.ray_per_shard
    fixed = costs.fixed + (costs.ray_fixed if ray else 0.0)
    limit = max(("workers", "parent CPU", "disk write"), key=terms.get)
    wall = fixed + terms[limit]
    others = sorted((k for k in ("parent CPU", "disk write") if k != limit), key=terms.get)
    following = others[-1]
    work = shards * shard_cost  # worker-seconds in all: on N slots, about work / N
    return {"slots": slots, "per_shard": per_shard_samples, "shards": shards, "terms": terms,
            "fixed": fixed, "wall": wall, "rate": samples / wall, "binds": limit,
            "next": following, "next_at_slots": work / max(terms[following], 1e-9)}


def projection_lines(costs: Costs, samples: int, setups: dict[str, tuple[int, int, bool]],
                     sample_what: str) -> list[str]:
    """Markdown: the inputs, one row per setup (name: (cores, nodes, ray)), and the reading."""
    rows, results = [], {}
    for name, (cores, nodes, ray) in setups.items():
        r = results[name] = project(costs, samples, cores, nodes, ray)
        t = r["terms"]
        rows.append((name, r["slots"], f"{r['per_shard']} x {r['shards']}", f"{t['workers']:.0f}",
                     f"{t['parent CPU']:.1f}", f"{t['disk write']:.1f}",
                     f"{t['Ray per-shard overhead']:.3f}" if ray else "-", f"{r['fixed']:.1f}",
                     f"**{r['wall']:.0f}** ({r['wall'] / 60:.1f} min)", f"**{r['rate']:.0f}**",
                     r["binds"], f"{r['next']} (~{r['next_at_slots']:,.0f} slots)"))
    return [
        f"Inputs, measured above ({sample_what}): a worker spends "
        f"{1000 * costs.per_sample:.1f} ms per sample plus {1000 * costs.per_shard:.1f} ms per "
        f"shard; the parent {1000 * costs.parent_per_sample:.3f} CPU ms per sample (Ray's driver "
        f"{1000 * costs.ray_driver_per_shard:.2f} ms per shard); {costs.mb_per_sample:.3f} MB written per "
        f"sample; the output disk takes {costs.disk_mb_s:.0f} MB/s; once per build "
        f"{costs.fixed:.1f} s (start-up, imports, scan, finalize), Ray's cold workers "
        f"{costs.ray_fixed:.1f} s more and {1000 * costs.ray_per_shard:.1f} ms of slot time per "
        "shard.", "",
        f"Model: {samples:,} samples in shards of at most {MAX_PER_SHARD:,}, as even as possible "
        "over whole waves of shards; workers' time = waves x (per-shard + samples per shard x "
        "per-sample [+ Ray's per-shard overhead]); the parent's CPU is serial; each node "
        "writes its own shards to its own disk; wall = once-per-build + the largest term. "
        "Every core as fast as this one (an upper bound on samples/s).", "",
        *md_table(("setup", "slots:", "samples x shards:", "workers s:", "parent CPU s:",
                   "disk write s:", "Ray overhead s:", "once s:", "wall s:", "samples/s:",
                   "binds", "binds next (slots where the workers' time falls to it)"), rows)]

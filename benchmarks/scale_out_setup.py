"""What ``bench_scale_out.py``, its report and ``bench_memory.py`` share: the i-him sources,
the plan, the workloads, the ``mattehub build i-him`` arguments, and a whole-process build
with its outputs' sizes and digests."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import cached, whole_process

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-scale-out"  # tmpfs: outputs cost no disk
SEED, CONFIG, CLI = 0, "i-him", "mattehub.cli.main:main"
PACKAGES = ("mattehub", "ray", "numpy", "opencv-python-headless", "pyarrow", "webdataset")
RAY_CPUS = 2
LOAD_QUIET, LOAD_POLL, LOAD_WAIT = 0.6, 20, 20 * 60
"""A full run starts once the 1-minute load average is below LOAD_QUIET (polled every
LOAD_POLL s, for at most LOAD_WAIT s)."""


@dataclass(frozen=True)
class Sources:
    """Arguments of ``make_hhm_sources`` (sizes are w x h)."""

    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    num_foregrounds: int
    num_backgrounds: int

    @property
    def name(self) -> str:
        return (f"hhm-F{self.num_foregrounds}-{self.fg_size[0]}x{self.fg_size[1]}"
                f"-B{self.num_backgrounds}-{self.bg_size[0]}x{self.bg_size[1]}")


MAIN = Sources(fg_size=(800, 1000), bg_size=(1024, 768), num_foregrounds=12, num_backgrounds=12)
TINY = Sources(fg_size=(64, 80), bg_size=(64, 48), num_foregrounds=4, num_backgrounds=4)


@dataclass(frozen=True)
class Plan:
    """``samples`` in shards of ``per_shard`` for (1), (2), (ray); ``tiny_samples`` one per
    shard for t-local and t-ray; ``probe_samples`` tiny ones in shards of ``probe_per_shard``
    for (p-tiny); ``noop_tasks`` for the no-op throughput; best of ``repeats``;
    ``disk_mb`` written by the write-speed test."""

    samples: int
    per_shard: int
    tiny_samples: int
    noop_tasks: int
    repeats: int
    disk_mb: int
    probe_samples: int
    probe_per_shard: int

    @property
    def shards(self) -> int:
        return -(-self.samples // self.per_shard)


FULL = Plan(samples=160, per_shard=20, tiny_samples=120, noop_tasks=400, repeats=3, disk_mb=512,
            probe_samples=2000, probe_per_shard=50)
QUICK = Plan(samples=32, per_shard=4, tiny_samples=40, noop_tasks=100, repeats=1, disk_mb=64,
             probe_samples=400, probe_per_shard=20)

RUNS = {  # kind: (sources, spec, what); "whole": a whole `mattehub` process timed from outside
    "1": ("main", {"workers": 1, "whole": True}, "`mattehub build --workers 1`, whole process"),
    "1-pinned": ("main", {"workers": 1, "whole": True, "pin": True},
                 "`--workers 1`, whole process pinned to one CPU"),
    "2": ("main", {"workers": 2, "whole": True}, "`mattehub build --workers 2`, whole process"),
    "2-small": ("main", {"workers": 2, "whole": True, "small": True},
                "(2) on its first 2 shards: with (2), the CPU per further sample"),
    "ranges": ("main", {"ranges": 2, "whole": True},
               "2 whole processes started together, each `--workers 1 --index-range` over half "
               "the shards, one output folder (the Slurm-array route)"),
    "ray": ("main", {"distributor": "ray"},
            f"`--distributor ray`, local Ray cluster of {RAY_CPUS} CPUs (cold workers), build call"),
    "p-tiny": ("tiny", {"workers": 2, "whole": True, "probe": True},
               "tiny samples, `--workers 2`, whole process, many shards: the parent's cost "
               "per further sample with almost no payload"),
    "p-tiny-small": ("tiny", {"workers": 2, "whole": True, "probe": True, "small": True},
                     "(p-tiny) on its first 2 shards"),
    "t-local": ("tiny", {"workers": 1, "index_range": "0:", "warm": True},
                "tiny samples, 1 per shard: `local` distributor (`--index-range 0:`), 1 process, "
                "warm, build call"),
    "t-ray": ("tiny", {"distributor": "ray", "warm": True},
              "tiny samples, 1 per shard: `--distributor ray`, warm workers, build call"),
}
IDENTICAL = (("1", "1-pinned", "2", "ranges", "ray"), ("t-local", "t-ray"))
"""Groups of runs whose shard files must be byte-identical."""


# --- sources and outputs --------------------------------------------------------------------
def sources(spec: Sources, work: Path) -> Path:
    """The sources of ``spec`` under ``work`` (made once, reused while ``spec`` is unchanged)."""
    from mattehub.families.standins import make_hhm_sources

    return cached(work / spec.name, lambda root: make_hhm_sources(
        root, num_foregrounds=spec.num_foregrounds, num_backgrounds=spec.num_backgrounds,
        seed=SEED, fg_size=spec.fg_size, bg_size=spec.bg_size))


def cli_args(spec: dict, out: Path) -> list[str]:
    """The ``mattehub build i-him`` arguments of a spec (``per_shard`` None: the default)."""
    src = Path(spec["src"])
    args = ["build", CONFIG, "--image-root", str(src / "hhm"), "--bg-root", str(src / "bg"),
            "--invalid-names", str(src / "invalid_him.txt"), "--out", str(out),
            "--num-samples", str(spec["samples"]), "--seed", str(SEED),
            "--workers", str(spec.get("workers", 1)), "--format", "parquet,webdataset",
            "--no-progress"]
    if spec.get("per_shard"):
        args += ["--max-samples-per-shard", str(spec["per_shard"])]
    if spec.get("distributor"):
        args += ["--distributor", spec["distributor"]]
    if spec.get("index_range"):
        args += ["--index-range", spec["index_range"]]
    return args


def outputs(out: Path, digests: bool = True) -> dict:
    """Samples and shards (from the Parquet footers), MB written in all, and (``digests``)
    the sha256 of every file under ``out/i-him`` and ``out/wds`` by path relative to ``out``."""
    import pyarrow.parquet as pq

    parquet = sorted((out / CONFIG).glob("*.parquet"))
    files = {str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
             for folder in (CONFIG, "wds") for path in sorted((out / folder).rglob("*"))
             if path.is_file() and digests}
    return {"samples": sum(pq.read_metadata(p).num_rows for p in parquet), "shards": len(parquet),
            "files": files,
            "mb_written": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6}


def index_ranges(samples: int, per_shard: int, count: int) -> list[str]:
    """``count`` ``--index-range`` values splitting the shards as evenly as possible."""
    shards = -(-samples // per_shard)
    cuts = [per_shard * (-(-shards * k // count)) for k in range(count)]
    return [f"{a}:{b}" for a, b in zip(cuts, cuts[1:])] + [f"{cuts[-1]}:"]


def whole_run(spec: dict, cpu: int | None, digests: bool = True) -> dict:
    """One whole-process workload: ``mattehub build`` (or ``spec["ranges"]`` of them, started
    together) in fresh interpreters, timed from outside (``common.whole_process``); then
    ``outputs`` of the folder, which is removed."""
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)  # a build would resume from an old output
    calls = ([[cli_args(dict(spec, index_range=r), out)]
              for r in index_ranges(spec["samples"], spec["per_shard"], spec["ranges"])]
             if spec.get("ranges") else [[cli_args(spec, out)]])
    result = whole_process(CLI, calls, Path(spec["code"]), cpu)
    result.pop("reports")
    result.update(outputs(out, digests))
    shutil.rmtree(out, ignore_errors=True)
    return result

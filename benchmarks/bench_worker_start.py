"""How long a build worker takes to start: a fresh interpreter that imports the worker entry
(``mattehub.build.task``), unpickles a recipe and makes its first sample, and what it imports.

    python benchmarks/bench_worker_start.py [--rounds 5] [--before REV] [--families a,b]

For each family, the recipe of its demo (``mattehub/families/<family>/standin.py``, sources
generated once under ``/dev/shm/mattehub-bench-worker``, scanned in this process as a build
scans before it pickles) is pickled; each round starts one fresh ``python`` per family, which
reports seconds from its first line to: the worker entry imported (after ``lean_worker``,
as a worker starts: one BLAS thread, no pandas under pyarrow), the recipe unpickled (and ``prepare``, a
no-op after the scan), its first sample made; then how long a one-sample shard of the next id
takes (``write_shard``: make, Parquet and tar written, hashed, renamed), which shows what the
first shard adds (pyarrow's pandas import when not kept out); and the CPU seconds of the
process up to its first sample, interpreter start included (less swayed by other load than
wall time). The interpreter's own start
(``python -c pass``) is timed too. Best of ``--rounds`` per column (noisy machine); the heavy
packages found in ``sys.modules`` at the end are listed. ``--before REV`` times
the package of git commit ``REV`` too (recipes pickled by that code), interleaved round by
round. The target (issue 20) is under 0.3 s to the first sample.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import HERE, export_commit

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-worker"
HEAVY = ("datasets", "pandas", "torch", "pyarrow.dataset", "pyarrow.parquet", "scipy", "cv2",
         "PIL.Image", "av")
FAMILIES = ("image_him", "video_him", "releases", "surreal_alpha", "overlay_depth", "duts", "aim")

PICKLE = """
import importlib, pickle, sys
from pathlib import Path
work, out = Path(sys.argv[1]), Path(sys.argv[2])
for family in sys.argv[3].split(","):
    demo = importlib.import_module(f"mattehub.families.{family}.standin").demo(work, work / "out")
    recipe = demo.builds[0].recipe
    recipe.prepare()
    (out / f"{family}.pkl").write_bytes(pickle.dumps(recipe))
"""

WORKER = """
import time
t0 = time.perf_counter()
import json, pickle, sys
try:
    from mattehub.core.lean import lean_worker
    lean_worker()  # before numpy is imported, as a pool's initializer does
except ImportError:  # an older commit
    pass
import mattehub.build.task
t1 = time.perf_counter()
with open(sys.argv[1], "rb") as blob:
    recipe = pickle.load(blob)
recipe.prepare()
t2 = time.perf_counter()
recipe.make_many(range(0, 1))
t3, cpu = time.perf_counter(), time.process_time()
from mattehub.build.plan import PlannedShard
from mattehub.build.sequence import ShardLimits
from mattehub.build.task import ShardJob, write_shard
job = ShardJob(sys.argv[3], "train", ("parquet", "webdataset"), ShardLimits(),
               {"config": recipe.name, "fingerprint": "bench", "seed": recipe.seed})
write_shard(recipe, job, PlannedShard(1, 1, 2))
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "unpickle": t2 - t0, "first": t3 - t0, "cpu": cpu, "shard": t4 - t3,
                  "heavy": [name for name in sys.argv[2].split(",") if name in sys.modules]}))
"""


def run(code: Path, *args: str) -> str:
    """stdout of a fresh ``python ARGS`` importing mattehub from ``code``."""
    env = dict(os.environ, PYTHONPATH=str(code))
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True,
                          cwd=code, env=env).stdout


def start(code: Path, blob: Path, out: Path) -> dict:
    """One worker start-up: the child's checkpoints, plus its whole-process wall seconds."""
    begin = time.perf_counter()
    result = json.loads(run(code, "-c", WORKER, str(blob), ",".join(HEAVY), str(out)))
    return {**result, "process": time.perf_counter() - begin}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per family (default: 5)")
    parser.add_argument("--before", metavar="REV", help="also time the package of this git commit")
    parser.add_argument("--families", default=",".join(FAMILIES), help="family folders to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        codes = {"now": HERE.parent}
        if args.before:
            codes[f"at {export_commit(args.before, Path(scratch) / 'before')}"] = Path(scratch) / "before"
        for version, code in codes.items():
            (Path(scratch) / version).mkdir()
            run(code, "-c", PICKLE, str(WORK), str(Path(scratch) / version), args.families)
        results: dict[tuple[str, str], list[dict]] = {}
        bare = []
        for _ in range(args.rounds):  # interleaved: every version sees the same load
            begin = time.perf_counter()
            run(HERE.parent, "-c", "pass")
            bare.append(time.perf_counter() - begin)
            for version, code in codes.items():
                for family in args.families.split(","):
                    blob = Path(scratch) / version / f"{family}.pkl"
                    out = Path(scratch) / "out" / version / family
                    results.setdefault((version, family), []).append(start(code, blob, out))
    print(f"python -c pass: best {min(bare):.3f} s. Seconds from the child's first line "
          f"(best of {args.rounds}):")
    print(f"{'code':<14} {'family':<14} {'import':>7} {'+recipe':>8} {'1st sample':>11} "
          f"{'CPU':>6} {'+shard':>7} {'process':>8}  heavy modules at the end")
    for (version, family), runs in results.items():
        best = {key: min(r[key] for r in runs) for key in ("import", "unpickle", "first", "cpu", "shard", "process")}
        print(f"{version:<14} {family:<14} {best['import']:>7.3f} {best['unpickle']:>8.3f} "
              f"{best['first']:>11.3f} {best['cpu']:>6.3f} {best['shard']:>7.3f} {best['process']:>8.3f}  "
              f"{' '.join(runs[0]['heavy'])}")


if __name__ == "__main__":
    main()

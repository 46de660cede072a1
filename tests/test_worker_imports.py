"""A build worker imports only what making and writing samples needs (issue 20): unpickling a
recipe of any family and writing a shard with it pulls in no ``datasets``, pandas or torch
(a depth model's torch is the one exception, not built here), nor aiohttp for local sources,
once the worker has called ``lean_worker`` (pyarrow would import pandas on its first
``pa.array``); and the worker asks numpy for one BLAS thread."""
from __future__ import annotations

import importlib
import json
import os
import pickle
import subprocess
import sys

import pytest

from mattehub.families.registry import families

HEAVY = ("datasets", "pandas", "torch", "aiohttp")

WORKER = """
import json, pickle, sys
from pathlib import Path
from mattehub.build.plan import PlannedShard
from mattehub.build.sequence import ShardLimits
from mattehub.build.task import ShardJob, write_shard
from mattehub.core.lean import lean_worker

lean_worker()  # as a build worker starts
heavy, found = sys.argv[2].split(","), {}
for blob in sorted(Path(sys.argv[1]).glob("*.pkl")):
    recipe, split = pickle.loads(blob.read_bytes())
    job = ShardJob(str(blob.with_suffix("")), split, ("parquet", "webdataset"), ShardLimits(),
                   {"config": recipe.name, "fingerprint": "test", "seed": recipe.seed})
    write_shard(recipe, job, PlannedShard(0, 0, 1))
    found[blob.stem] = [name for name in heavy if name in sys.modules]
print(json.dumps(found))
"""


def _fresh(code: str, *args: str, env: dict | None = None) -> str:
    """The last line a fresh ``python -c CODE ARGS`` prints."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_worker_entry_imports_no_data_stack():
    probe = f"import sys, mattehub.build.task; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    assert _fresh(probe) == "[]"


def test_a_worker_of_every_family_writes_a_shard_without_the_data_stack(tmp_path):
    """Each family's demo recipe (stand-in sources, scanned here as a build scans before it
    pickles), unpickled in one fresh process that writes a one-sample shard of each: the
    heavy modules present after each family's shard (the first family pulling one is named)."""
    for family in families():
        build = importlib.import_module(f"mattehub.families.{family}.standin").demo(
            tmp_path / "sources", tmp_path / "demo").builds[0]
        build.recipe.prepare()
        (tmp_path / f"{family}.pkl").write_bytes(pickle.dumps((build.recipe, build.split)))
    found = json.loads(_fresh(WORKER, str(tmp_path), ",".join(HEAVY)))
    assert found == dict.fromkeys(families(), [])
    for family in families():  # one Parquet file and one tar each: the shard was written
        written = sorted(p.suffix for p in (tmp_path / family).rglob("*") if p.is_file())
        assert written.count(".parquet") == written.count(".tar") == 1, (family, written)


def test_pyarrow_without_pandas_keeps_it_out_until_asked_for():
    probe = ("import sys\nfrom mattehub.core.lean import pyarrow_without_pandas\n"
             "pyarrow_without_pandas()\nimport pyarrow as pa\n"
             "table = pa.Table.from_pylist([{'a': 1, 'm': {'x': [1.5]}}])\n"
             "before = 'pandas' in sys.modules\nframe = table.to_pandas()\n"
             "print(before, 'pandas' in sys.modules, frame['m'][0]['x'].tolist())")
    assert _fresh(probe) == "False True [1.5]"



def test_families_reading_plain_folders_import_no_file_system_layer():
    """fsspec (and asyncio under it) is for archives and URLs: i-him, v-him, surreal-alpha and
    overlay-depth's synthesis read local folders, and their workers skip its import."""
    recipes = [f"mattehub.families.{family}.recipe"
               for family in ("image_him", "video_him", "surreal_alpha", "overlay_depth")]
    probe = f"import importlib, sys\nfor name in {recipes!r}:\n    importlib.import_module(name)\n" \
            "print(sorted(m for m in ('fsspec', 'aiohttp') if m in sys.modules))"
    assert _fresh(probe) == "[]"


THREADS = "import numpy, os, pyarrow; print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])"


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_a_lean_worker_starts_numpy_with_one_blas_thread_unless_told_otherwise():
    """``lean_worker`` runs before numpy is imported (``mattehub.core.lean`` imports nothing
    heavy), so numpy starts as with the variables set from outside; a user's value stays."""
    environ = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    lean = f"from mattehub.core.lean import lean_worker\nlean_worker()\n{THREADS}"
    outside = _fresh(THREADS, env=dict(environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"))
    assert _fresh(lean, env=environ) == outside
    assert _fresh(lean, env=dict(environ, OPENBLAS_NUM_THREADS="2")).split()[1] == "2"


@pytest.fixture
def demo_recipe_for_pool(tmp_path):
    """The i-him demo recipe, scanned as a build scans it before its pool starts."""
    from mattehub.families.image_him.standin import demo

    recipe = demo(tmp_path / "sources", tmp_path / "demo").builds[0].recipe
    recipe.prepare()
    return recipe


def test_the_build_pool_starts_its_workers_lean(demo_recipe_for_pool, monkeypatch):
    """A worker of the real pool (``process_pool``, spawn) runs ``lean_worker`` before the
    recipe pulls numpy, OpenCV and pyarrow in: one OpenCV thread, no data stack."""
    from mattehub.build.parallel import process_pool
    from worker_probe import state

    for name in ("OPENCV_FOR_THREADS_NUM", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    pool = process_pool(demo_recipe_for_pool, 1)
    try:
        found = pool.submit(state, HEAVY).result(timeout=120)
    finally:
        pool.shutdown(wait=True)
    assert found == {"recipe": type(demo_recipe_for_pool).__name__, "cv2_threads": 1,
                     "loaded": []}

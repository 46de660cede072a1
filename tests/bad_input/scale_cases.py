"""Bad-input rows: ranged and remote builds (``--index-range``, ``--shard-range``,
``mattehub finalize``, fsspec ``--out``).

A range off the shard boundaries, a URL no file system can open, finalize on an incomplete or
empty folder: clear errors. A shard damaged after a ranged build is redone by the next run,
and ``finalize`` refuses to finalise until it is. A build worker that dies mid-shard, or
cannot load the recipe, ends the build with an error naming the shards not written (never a
hang); the re-run writes them to the bytes of an uninterrupted build.
"""
from __future__ import annotations

from dataclasses import dataclass

from .harness import Case, Env, Fails, Run, Succeeds, built


@dataclass(frozen=True)
class ExitsOne:
    """A report, not an error: exit code 1 (work left to do), no traceback."""

    def check(self, env: Env, run: Run) -> None:
        assert not run.trace, run.trace
        assert run.code == 1, f"exit code {run.code}; stderr: {run.err}"


def ranged(*extra: str):
    def run(env: Env) -> Run:
        return env.cli(*env.i_him_args(env.tmp / "out", *extra, num_samples=8))
    return run


def _finalize_incomplete(env: Env) -> Run:
    assert env.cli(*env.i_him_args(env.tmp / "out", "--shard-range", "1:", num_samples=8)).code == 0
    return env.cli("finalize", env.tmp / "out")


def _nothing_finalised(env: Env, run: Run) -> None:
    assert run.code == 1 and "1 of 2 shards missing (shards 0; --index-range 0:4)" in run.out
    assert not (env.tmp / "out" / "_stats" / "i-him" / "train.json").exists()
    assert not (env.tmp / "out" / "README.md").exists()


def _damaged_then_rerun(env: Env) -> Run:
    out = env.tmp / "out"
    assert env.cli(*env.i_him_args(out, "--shard-range", "0:2", num_samples=8)).code == 0
    shard = out / "i-him" / "train-000001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    env.before = {"damaged": bytes(data)}
    return env.cli(*env.i_him_args(out, "--shard-range", "0:2", num_samples=8))


def _shard_redone(env: Env, run: Run) -> None:
    out = env.tmp / "out"
    assert "1 kept from an earlier run" in run.out
    assert (out / "i-him" / "train-000001.parquet").read_bytes() != env.before["damaged"]
    summary = built(env, "i-him").summary()
    assert summary["num_examples"] == 8 and summary["shards"] == 2


def _worker_build(wrapper: str, workers: int, max_samples: int):
    """Build 10 ids of i-him, in shards of ``max_samples``, with ``workers`` processes and the
    recipe wrapped in ``wrapper`` (a class of ``tests/dies_once.py``, acting at id 5):
    ``DiesOnce`` exits the process making id 5 at once (``os._exit``: no cleanup, temp files
    left), as a killed or out-of-memory worker would."""
    def run(env: Env) -> Run:
        import dies_once
        from conftest import i_him_recipe
        from mattehub.build.run import BuildOptions, build
        from mattehub.build.sequence import ShardLimits

        options = BuildOptions(out=env.tmp / "out", num_samples=10, workers=workers,
                               progress=False, limits=ShardLimits(max_samples=max_samples,
                                                                  row_group_bytes=256 * 1024))
        recipe = getattr(dies_once, wrapper)(i_him_recipe(env.hhm), at=5, marker=env.tmp / "died")
        env.before = {"rerun": lambda: build(recipe, options)}
        return env.call(build, recipe, options)
    return run


def _rerun_completes_it(env: Env, run: Run) -> None:
    """Nothing finalised; the re-run (the worker no longer dies) keeps the complete shards,
    writes the others, and gives the bytes of a build that was never interrupted."""
    from conftest import build_i_him, shard_bytes

    out = env.tmp / "out"
    assert (env.tmp / "died").exists() and not (out / "_stats" / "i-him" / "train.json").exists()
    report = env.before["rerun"]()
    assert report.shards == 10 // report.samples_per_shard
    build_i_him(env.hhm, env.tmp / "whole", num_samples=10,
                max_samples=report.samples_per_shard)
    assert shard_bytes(out) == shard_bytes(env.tmp / "whole")
    assert not list(out.rglob("*.tmp-*"))  # the dead worker's temp files


CASES = [
    Case("range-off-shard-boundary", "--index-range not on a shard boundary",
         ranged("--index-range", "2:6"),
         Fails(r"--index-range start 2 is not a shard boundary: shards hold 4 ids")),
    Case("range-malformed", "--index-range that is not A:B",
         ranged("--index-range", "6:2"), Fails(r"'6:2' is not a range A:B with A < B")),
    Case("out-url-without-filesystem", "--out URL whose file system is not installed",
         ranged("--out", "nosuch://bucket/shards"),
         Fails(r"--out nosuch://bucket/shards: fsspec cannot open this location \(Protocol not "
               r"known: nosuch\); install its file system package")),
    Case("finalize-incomplete", "finalize while a range is missing",
         _finalize_incomplete, ExitsOne(), _nothing_finalised),
    Case("finalize-empty-folder", "finalize on a folder no build wrote",
         lambda env: env.cli("finalize", env.tmp), Fails(r"has no build record")),
    Case("ranged-shard-damaged-then-rerun", "a ranged build's shard damaged, the range re-run",
         _damaged_then_rerun, Succeeds(), _shard_redone),
    Case("worker-killed-mid-shard", "a --workers 2 build whose worker dies writing shard 2",
         _worker_build("DiesOnce", workers=2, max_samples=2),
         Fails(r"i-him/train: \d of 5 shards failed \(shards? [\d, ]*2[\d, ]*: not written: a "
               r"worker process died \(killed, or out of memory\?\)\); re-run the same command"),
         _rerun_completes_it),
    Case("worker-killed-making-samples", "one shard, --workers 2: a process making its samples dies",
         _worker_build("DiesOnce", workers=2, max_samples=10),
         Fails(r"i-him/train: 1 of 1 shards failed \(shard 0: a process making its samples "
               r"died \(killed, or out of memory\?\)\); re-run the same command"),
         _rerun_completes_it),
    Case("recipe-unloadable-in-workers", "--workers 2, 5 shards: workers cannot unpickle the recipe",
         _worker_build("UnloadableInWorkers", workers=2, max_samples=2),
         Fails(r"a worker process could not load the recipe \(ImportError: no module named "
               r"'only_on_the_head_node' \(test\)\); run with --workers 1 to see the error")),
    Case("worker-error-not-unpicklable", "--workers 2: a worker's error cannot be unpickled here",
         _worker_build("RaisesOdd", workers=2, max_samples=2),
         Fails(r"^OddError: cannot make sample 5 \(test\)$")),
]

"""Bad-input rows: ranged and remote builds (``--index-range``, ``--shard-range``,
``mattehub finalize``, fsspec ``--out``).

A range off the shard boundaries, a URL no file system can open, finalize on an incomplete or
empty folder: clear errors. A shard damaged after a ranged build is redone by the next run,
and ``finalize`` refuses to finalise until it is.
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
]

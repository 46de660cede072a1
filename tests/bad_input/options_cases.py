"""Bad-input rows: option values every route refuses with the one message
(``name=value: problem [--flag]``), command-line arguments of ``stats`` and ``build --out``
(issue 19: seeds, ``--bg-size``, ``stats --fields ""``, the split hint of ``stats``, an
unreachable ``ftp://`` output, ``composition-1k --split train``).

A refused run writes nothing; a refused ``stats`` leaves the stored statistics as they were.
"""
from __future__ import annotations

import socket

import datasets

from mattehub.families.surreal_alpha.options import SurrealAlphaOptions

from .build_cases import _nothing_written, _refused
from .harness import Case, Env, Fails, Run
from .verify_cases import built_copy

MAX_SEED = 2**63 - 1
SEED_PROBLEM = rf"give a whole number from 0 to {MAX_SEED} \[--seed\]"


def _load_dataset(**options):
    """``load_dataset("mattehub", "i-him", ...)`` made on the fly with ``options``."""
    def run(env: Env) -> Run:
        import mattehub  # noqa: F401  (registers the "mattehub" builder)

        src = env.sources()
        return env.call(lambda: list(datasets.load_dataset(
            "mattehub", "i-him", data_dir=str(src.image_root), bg_root=str(src.bg_root),
            num_samples=2, split="train", streaming=True, **options)))
    return run


def _surreal(*extra: str):
    """``build surreal-alpha`` with ``extra``: options are checked before the (missing)
    sources are looked at."""
    def run(env: Env) -> Run:
        env.before = env.snapshot()
        return env.cli("build", "surreal-alpha", "--out", env.tmp / "out", "--data-dir",
                       env.tmp / "no-surreal", "--bg-root", env.tmp / "no-bg", "--no-progress",
                       *extra)
    return run


def _stats(*extra: str):
    """``mattehub stats i-him OUT`` on a finished build (train, 12 samples)."""
    def run(env: Env) -> Run:
        out = built_copy(env)
        env.before = env.snapshot()
        return env.cli("stats", "i-him", out, "--no-progress", *extra)
    return run


def _stats_other_split(env: Env) -> Run:
    """A folder holding only i-him's ``val`` split: ``stats`` without --split asks for train."""
    assert env.cli(*env.i_him_args(env.tmp / "out", "--split", "val")).code == 0
    return env.cli("stats", "i-him", env.tmp / "out", "--no-progress")


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ftp_out(env: Env) -> Run:
    args = env.i_him_args(f"ftp://127.0.0.1:{_closed_port()}/out")
    env.before = env.snapshot()
    return env.cli(*args)


def _composition_train(env: Env) -> Run:
    from aim_tree import make_aim_tree

    tree = make_aim_tree(env.tmp / "src")
    env.before = env.snapshot()
    return env.cli("build", "composition-1k", "--out", env.tmp / "out", "--data-dir",
                   tree.data_dir, "--split", "train", "--no-progress")


CASES = [
    Case("seed-negative", "--seed -1: numpy's SeedSequence traceback",
         _refused("--seed", "-1"), Fails(rf"^mattehub: error: seed=-1: {SEED_PROBLEM}"),
         _nothing_written),
    Case("seed-above-int64", "--seed 2**63: pyarrow's int64 overflow traceback",
         _refused("--seed", str(2**63)), Fails(rf"seed={2**63}: {SEED_PROBLEM}"), _nothing_written),
    Case("seed-above-int64-load-dataset", "load_dataset(..., seed=2**63) on the fly",
         _load_dataset(seed=2**63), Fails(rf"seed={2**63}: {SEED_PROBLEM}")),
    Case("seed-negative-load-dataset", "load_dataset(..., seed=-1) on the fly",
         _load_dataset(seed=-1), Fails(rf"seed=-1: {SEED_PROBLEM}")),
    Case("bg-size-typo", "--bg-size 12800 (a typo for 1280) asks for gigabytes per frame",
         _surreal("--layout", "dim", "--bg-size", "12800"),
         Fails(r"bg_size=12800: give a whole number from 640 to 4096 \[--bg-size\]"),
         _nothing_written),
    Case("bg-size-typo-library-call", "SurrealAlphaOptions(bg_size=12800) from Python",
         lambda env: env.call(SurrealAlphaOptions, data_dir="d", bg_root="b", bg_size=12800),
         Fails(r"bg_size=12800: give a whole number from 640 to 4096 \[--bg-size\]")),
    Case("stats-empty-fields", 'stats --fields "": wiped the stored statistics',
         _stats("--fields", ""), Fails(r"fields=\[\]: name at least one field to measure "
                                       r"\(i-him/train has image, .*\), or leave it out .*\[--fields\]$"),
         _nothing_written),
    Case("stats-split-hint", "stats without --split on a folder without the default split: "
         "the hint names the splits it has", _stats_other_split,
         Fails(r"holds no split 'train' of i-him \(it has val\) \(choose one of them: "
               r"--split val\)")),
    Case("out-ftp-unreachable", "--out ftp:// nothing listens on: a traceback",
         _ftp_out, Fails(r"--out ftp://127\.0\.0\.1:\d+/out: cannot connect \(Connection "
                         r"refused\)"), _nothing_written),
    Case("composition-1k-split-train", "composition-1k --split train silently built test",
         _composition_train, Fails(r"composition-1k has the split test, not 'train' \[--split\]"),
         _nothing_written),
]

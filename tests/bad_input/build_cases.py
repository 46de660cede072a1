"""Bad-input rows: build options and output folders (issue 7, items 1-3 and the --out errors).

Nothing is written outside --out; a refused build leaves every finished split as it was;
a build never writes into, or deletes from, another mattehub output.
"""
from __future__ import annotations

import json

from mattehub.build.run import BuildOptions
from mattehub.output.layout import OutputLayout

from .harness import Case, Env, Fails, Run, Succeeds


def _refused(*extra: str, num_samples: int = 6):
    """Run an i-him build with ``extra`` options into ``tmp/out`` (workspace snapshotted)."""
    def run(env: Env) -> Run:
        args = env.i_him_args(env.tmp / "out", *extra, num_samples=num_samples)
        env.before = env.snapshot()
        return env.cli(*args)
    return run


def _nothing_written(env: Env, run: Run) -> None:
    assert env.snapshot() == env.before, "a refused build changed files in the workspace"


def _after_finished_train(*extra: str, **kw):
    """Build train first, then run the refused command on the same --out."""
    def run(env: Env) -> Run:
        assert env.cli(*env.i_him_args(env.tmp / "out")).code == 0
        env.before = env.snapshot()
        return env.cli(*env.i_him_args(env.tmp / "out", *extra, **kw))
    return run


def _library_options(**options):
    return lambda env: env.call(BuildOptions, out=env.tmp / "out", **options)


def _inside_existing_output(env: Env) -> Run:
    assert env.cli(*env.i_him_args(env.tmp / "out")).code == 0
    env.before = env.snapshot()
    return env.cli(*env.i_him_args(env.tmp / "out" / "wds"))


def _foreign_files_survive(env: Env) -> Run:
    """Files a build did not write, with names like its own, stay where they are."""
    out = env.tmp / "out"
    foreign = [out / "i-him" / "train-000000.tar", out / "i-him" / "train-000009.parquet.bak",
               out / "wds" / "i-him" / "train-000003.parquet", out / "_stats" / "i-him" / "train-000007.txt"]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not mattehub's")
    return env.cli(*env.i_him_args(out))


def _foreign_files_kept(env: Env, run: Run) -> None:
    out = env.tmp / "out"
    kept = [p for p in out.rglob("*") if p.is_file() and p.read_bytes() == b"not mattehub's"]
    assert len(kept) == 4, kept


def _out_is_a_file(env: Env) -> Run:
    (env.tmp / "out").write_text("I am a file")
    args = env.i_him_args(env.tmp / "out")
    env.before = env.snapshot()
    return env.cli(*args)


def _read_only_out(env: Env) -> Run:
    out = env.mount_tmpfs(env.tmp / "ro", "ro,size=1m") / "out"
    return env.cli(*env.i_him_args(out))


def _full_disk(env: Env) -> Run:
    out = env.mount_tmpfs(env.tmp / "small", "size=160k")
    return env.cli(*env.i_him_args(out, num_samples=12))


def _no_complete_looking_partial(env: Env, run: Run) -> None:
    """Every shard under its final name has stats recording its exact bytes."""
    out = env.tmp / "small"
    layout = OutputLayout(out)
    for shard in list(out.rglob("*.parquet")) + list(out.rglob("*.tar")):
        number = int(shard.stem.rsplit("-", 1)[1])
        stats = json.loads(layout.shard_stats("i-him", "train", number).read_text())
        assert any(info["bytes"] == shard.stat().st_size for info in stats["files"].values())


CASES: list[Case] = [
    Case("split-dotdot-escapes-out", "7.1", _refused("--split", "../../escape"),
         Fails(r"split name '\.\./\.\./escape' is not allowed"), _nothing_written),
    Case("split-absolute-path", "7.1", _refused("--split", "/abs/path"),
         Fails(r"split name '/abs/path' is not allowed"), _nothing_written),
    Case("split-dotfile", "7.1", _refused("--split", ".hidden"),
         Fails(r"split name '\.hidden' is not allowed"), _nothing_written),
    Case("split-name-library-call", "7.1", _library_options(split="../up"),
         Fails(r"split name '\.\./up' is not allowed")),
    Case("num-samples-zero", "7.2", _after_finished_train("--num-samples", "0", num_samples=6),
         Fails(r"num_samples=0: give a whole number >= 1 \[--num-samples\]"), _nothing_written),
    Case("num-samples-negative", "7.2", _refused(num_samples=-3),
         Fails(r"num_samples=-3: give a whole number >= 1 \[--num-samples\]"), _nothing_written),
    Case("num-samples-zero-library-call", "7.2", _library_options(num_samples=0),
         Fails(r"num_samples must be a whole number >= 1, not 0")),
    Case("jpeg-quality-zero", "7.2", _refused("--jpeg-quality", "0"),
         Fails(r"jpeg_quality=0: give a whole number from 1 to 100 \[--jpeg-quality\]"), _nothing_written),
    Case("jpeg-quality-101", "7.2", _refused("--jpeg-quality", "101"),
         Fails(r"jpeg_quality=101: give a whole number from 1 to 100 \[--jpeg-quality\]"), _nothing_written),
    Case("workers-zero", "7.2", _refused("--workers", "0"),
         Fails(r"--workers: '0' is not a whole number >= 1"), _nothing_written),
    Case("option-of-another-config", "7.2", _refused("--level", "hard", "--mask-set", "r50_fpn_3x"),
         Fails(r"--level, --mask-set do not apply to i-him; its own options: .*--image-root"),
         _nothing_written),
    Case("failed-build-leaves-other-split", "7.2",
         _after_finished_train("--split", "val", "--image-root", "/nonexistent/hhm"),
         Fails(r"/nonexistent/hhm: has no images/ folder"), _nothing_written),
    Case("out-inside-another-output", "7.3", _inside_existing_output,
         Fails(r"lies inside the mattehub output .*out"), _nothing_written),
    Case("foreign-files-in-output-kept", "7.3", _foreign_files_survive, Succeeds(),
         _foreign_files_kept),
    Case("out-is-a-file", "clear errors", _out_is_a_file,
         Fails(r"--out .*out is a file, not a folder"), _nothing_written),
    Case("out-read-only", "clear errors", _read_only_out, Fails(r"read-only: choose another --out")),
    Case("out-disk-full", "clear errors", _full_disk,
         Fails(r"cannot write .*the disk is full.*re-run the same command"),
         _no_complete_looking_partial),
]

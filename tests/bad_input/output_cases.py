"""Bad-input rows: where builds, finalize and export write (issue 19, items 2, 3, 11 and the
build-side clear errors).

A symbolic link inside ``--out`` never leads a write or a delete out of it; a ``file://`` URL
is refused inside another output like its path; an export refuses a non-empty folder and a
damaged shard before writing anything; a shard that fails while closing leaves no temp file;
a range past the end of the split and a build refused for a missing Ray or torch are clear
errors that leave ``--out`` as it was (not even created); ``stats`` and ``finalize`` on a
read-only output say so; a build leaves the temp files of another live writer alone.
"""
from __future__ import annotations

import errno
import sys
from unittest import mock

from mattehub.formats.webdataset import WebDatasetShardWriter

from .harness import Case, Env, Fails, Run, Succeeds
from .overlay_cases import _build as _overlay_build
from .overlay_original_cases import _tree as _original_tree


# i-him builds -----------------------------------------------------------------------------

def _linked(name: str):
    """``out/NAME`` a symbolic link to ``elsewhere/`` (a finished i-him output when NAME is
    ``i-him``, so a build would delete its shards); then build i-him into ``out``."""
    def run(env: Env) -> Run:
        elsewhere = env.tmp / "elsewhere"
        if name == "i-him":
            assert env.cli(*env.i_him_args(elsewhere)).code == 0
        (env.tmp / "out" / name).parent.mkdir(parents=True, exist_ok=True)
        elsewhere.mkdir(exist_ok=True)
        (env.tmp / "out" / name).symlink_to(elsewhere / name if name == "i-him" else elsewhere)
        env.before = env.snapshot(elsewhere)
        return env.cli(*env.i_him_args(env.tmp / "out"))
    return run


def _elsewhere_unchanged(env: Env, run: Run) -> None:
    assert env.snapshot(env.tmp / "elsewhere") == env.before, "a build wrote through a link"


def _finalize_through_link(env: Env) -> Run:
    """A finished output whose ``preview/`` is then a link elsewhere: finalize refuses."""
    out, elsewhere = env.tmp / "out", env.tmp / "elsewhere"
    assert env.cli(*env.i_him_args(out)).code == 0
    (out / "preview").rename(env.tmp / "old-preview")
    elsewhere.mkdir()
    (out / "preview").symlink_to(elsewhere)
    env.before = {}
    return env.cli("finalize", out)


def _file_url_inside_output(env: Env) -> Run:
    assert env.cli(*env.i_him_args(env.tmp / "out")).code == 0
    env.before = env.snapshot()
    return env.cli(*env.i_him_args(f"file://{env.tmp / 'out' / 'wds'}"))


def _nothing_written(env: Env, run: Run) -> None:
    assert env.snapshot() == env.before, "a refused build changed files in the workspace"


def _close_fails(env: Env) -> Run:
    """The tar of the second shard cannot be closed (a full disk at the last flush)."""
    real_close, calls = WebDatasetShardWriter.close, []

    def close(writer) -> None:
        calls.append(writer.path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(writer.path))
        real_close(writer)

    with mock.patch.object(WebDatasetShardWriter, "close", close):
        return env.cli(*env.i_him_args(env.tmp / "out"))


def _no_temp_files(env: Env, run: Run) -> None:
    left = [p.name for p in (env.tmp / "out").rglob("*") if ".tmp-" in p.name]
    assert not left, f"temp files left behind: {left}"
    assert not (env.tmp / "out" / "i-him" / "train-000001.parquet").exists()


def _ranged(*extra: str):
    def run(env: Env) -> Run:
        return env.cli(*env.i_him_args(env.tmp / "out", *extra, num_samples=8))
    return run


def _without(module: str, run):
    """``run`` with ``import MODULE`` failing (an optional extra that is not installed)."""
    def without(env: Env) -> Run:
        with mock.patch.dict(sys.modules, {module: None}):
            return run(env)
    return without


def _out_not_created(env: Env, run: Run) -> None:
    assert not (env.tmp / "out").exists(), sorted(p.name for p in (env.tmp / "out").rglob("*"))


def _read_only_after_build(*command: str):
    """Build i-him into a tmpfs, remount it read-only, run ``mattehub COMMAND OUT``."""
    def run(env: Env) -> Run:
        import subprocess

        mount = env.mount_tmpfs(env.tmp / "ro", "size=4m")
        assert env.cli(*env.i_him_args(mount / "out")).code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        return env.cli(*command, mount / "out")
    return run


_WRITER = """
import os, sys
from pathlib import Path
from mattehub.output.layout import temp_path
temp = temp_path(Path(sys.argv[1]))
temp.parent.mkdir(parents=True, exist_ok=True)
temp.write_bytes(b"being written")
print(temp, flush=True)
sys.stdin.readline()
try:
    os.replace(temp, Path(sys.argv[1]).with_name("renamed-by-the-other-writer"))
except OSError as exc:
    sys.exit(f"the other writer failed on its own temp file: {exc}")
"""


def _racing_writer(env: Env) -> Run:
    """Another process of this machine is writing shard 1 of the same range (its temp file is
    there, its rename still to come) when a build of the split starts and finishes."""
    import subprocess

    out = env.tmp / "out"
    other = subprocess.Popen([sys.executable, "-c", _WRITER, str(out / "i-him" / "train-000001.parquet")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    env.cleanups.append(other.kill)
    other.stdout.readline()  # its temp file is written
    run = env.cli(*env.i_him_args(out))
    other.stdin.write("rename now\n")
    other.stdin.close()
    env.before = {"other": other.wait()}
    return run


def _other_writer_finished(env: Env, run: Run) -> None:
    assert env.before["other"] == 0, "the other writer failed on its own temp file"
    assert (env.tmp / "out" / "i-him" / "renamed-by-the-other-writer").read_bytes() == b"being written"


# overlay-depth export ---------------------------------------------------------------------

def _export(damage):
    """Build overlay-depth from a small original tree, ``damage(env)``, export it to
    ``tmp/exported``."""
    def run(env: Env) -> Run:
        tree = _original_tree(env)
        assert env.cli("build", "overlay-depth", "--out", env.tmp / "out", "--no-progress",
                       "--data-dir", tree.root).code == 0
        damage(env)
        env.before = env.snapshot(env.tmp / "exported") if (env.tmp / "exported").exists() else {}
        return env.cli("export", "overlay-depth", env.tmp / "out", "--out", env.tmp / "exported",
                       "--no-progress")
    return run


def _someone_elses_file(env: Env) -> None:
    (env.tmp / "exported" / "Dataset" / "bg").mkdir(parents=True)
    (env.tmp / "exported" / "Dataset" / "bg" / "bg1.jpg").write_bytes(b"mine")


def _flip_a_byte(env: Env) -> None:
    shard = env.tmp / "out" / "overlay-depth" / "train-000000.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))


def _exported_unchanged(env: Env, run: Run) -> None:
    now = env.snapshot(env.tmp / "exported") if (env.tmp / "exported").exists() else {}
    assert now == env.before, sorted(now)


_LINK = r" is a symbolic link to .*elsewhere.*, outside --out .*: mattehub writes and deletes"

CASES: list[Case] = [
    Case("out-config-folder-linked-to-another-output", "19.2", _linked("i-him"),
         Fails(r"out/i-him" + _LINK), _elsewhere_unchanged),
    Case("out-wds-folder-linked-elsewhere", "19.2", _linked("wds"),
         Fails(r"out/wds" + _LINK), _elsewhere_unchanged),
    Case("out-stats-folder-linked-elsewhere", "19.2", _linked("_stats"),
         Fails(r"out/_stats" + _LINK), _elsewhere_unchanged),
    Case("out-preview-folder-linked-elsewhere", "19.2", _linked("preview"),
         Fails(r"out/preview" + _LINK), _elsewhere_unchanged),
    Case("finalize-preview-folder-linked-elsewhere", "19.2", _finalize_through_link,
         Fails(r"out/preview" + _LINK),
         lambda env, run: _elsewhere_unchanged(env, run)),
    Case("out-file-url-inside-another-output", "19.3", _file_url_inside_output,
         Fails(r"lies inside the mattehub output .*out"), _nothing_written),
    Case("stats-on-read-only-output", "19 clear errors: stats on a read-only output",
         _read_only_after_build("stats", "i-him"),
         Fails(r"cannot write .*train\.json\.tmp-\d+ \(folder .*out\): the file system is "
               r"read-only: make the folder writable")),
    Case("finalize-on-read-only-output", "19 clear errors: finalize on a read-only output",
         _read_only_after_build("finalize"),
         Fails(r"cannot write .*\(folder .*out\): the file system is read-only: make the folder "
               r"writable")),
    Case("racing-writer-keeps-its-temp-file", "19 clear errors: the loser of two processes "
         "racing on one range fails on its own temp file", _racing_writer, Succeeds(),
         _other_writer_finished),
    Case("export-into-non-empty-folder", "19.11", _export(_someone_elses_file),
         Fails(r"exported is not empty \(it holds files\): export writes into a new or empty folder"),
         _exported_unchanged),
    Case("export-damaged-shard", "19.11", _export(_flip_a_byte),
         Fails(r"train-000000\.parquet does not have the size and sha256 its stats .* recorded; "
               r"nothing was exported"), _exported_unchanged),
    Case("shard-close-fails-no-temp-files", "19 clear errors: a failure while a shard closes",
         _close_fails, Fails(r"cannot write .*train-000001\.tar\.tmp-\d+-[0-9a-f]+ .*the disk is full"),
         _no_temp_files),
    Case("shard-range-past-the-end", "19 clear errors: --shard-range past the end",
         _ranged("--shard-range", "5:"),
         Fails(r"--shard-range 5: is past the end of the split: it has 2 shards \(0 to 1\) of 8 ids"),
         _out_not_created),
    Case("index-range-past-the-end", "19 clear errors: --index-range past the end",
         _ranged("--index-range", "40:"),
         Fails(r"--index-range start 40 is past the end of the split: it has 8 ids \(0 to 7\)"),
         _out_not_created),
    Case("ray-missing-leaves-no-output", "19 newcomer: --distributor ray without Ray",
         _without("ray", _ranged("--distributor", "ray")),
         Fails(r"--distributor ray needs Ray: pip install 'mattehub\[ray\]'"), _out_not_created),
    Case("depth-model-without-torch-leaves-no-output", "19 newcomer: --depth MODEL without torch",
         _without("torch", _overlay_build(lambda tree: None, "--depth", "some/model")),
         Fails(r"depth estimation with a model needs the optional extra"), _out_not_created),
]

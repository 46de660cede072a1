"""Bad-input rows: ``mattehub export`` of any config (issue 22, "export every config"): an
``--out`` inside the shard folder, an ``--out`` that cannot be written, a shard folder that
lacks the config, a folder that is not a mattehub output. Each error names the path, and
nothing is written (the shard folder above all) when the export is refused."""
from __future__ import annotations

from .harness import Case, Env, Fails, Run


def _built(env: Env) -> None:
    """i-him built into ``tmp/out`` (6 samples)."""
    assert env.cli(*env.i_him_args(env.tmp / "out")).code == 0
    env.before = env.snapshot(env.tmp / "out")


def _export(config: str, out_of):
    """Build i-him into ``tmp/out``, then ``mattehub export CONFIG tmp/out --out out_of(env)``."""
    def run(env: Env) -> Run:
        _built(env)
        return env.cli("export", config, env.tmp / "out", "--out", out_of(env), "--no-progress")
    return run


def _read_only(env: Env):
    mount = env.mount_tmpfs(env.tmp / "ro", "size=256k,ro")
    return mount / "exported"


def _shards_unchanged(env: Env, run: Run) -> None:
    assert env.snapshot(env.tmp / "out") == env.before


def _no_export_folder(env: Env, run: Run) -> None:
    assert not (env.tmp / "exported").exists()


def _nothing_exported(env: Env, run: Run) -> None:
    _shards_unchanged(env, run)
    _no_export_folder(env, run)


CASES: list[Case] = [
    Case("export-into-the-shard-folder", "22 export: --out inside the shard folder",
         _export("i-him", lambda env: env.tmp / "out" / "i-him" / "maggie"),
         Fails(r"--out .*out/i-him/maggie lies inside the shard folder .*out: exporting there "
               r"would mix"), _shards_unchanged),
    Case("export-to-a-read-only-out", "22 export: an --out that cannot be written",
         _export("i-him", _read_only),
         Fails(r"cannot write .*ro/exported \(--out .*ro/exported\): the file system is "
               r"read-only: choose another --out"), _shards_unchanged),
    Case("export-config-not-in-the-folder", "22 export: a shard folder without the config",
         _export("duts", lambda env: env.tmp / "exported"),
         Fails(r".*out holds no config 'duts' \(it has i-him\); build it with `mattehub build "
               r"duts --out .*out`"), _nothing_exported),
    Case("export-from-a-folder-that-is-no-output", "22 export: a folder mattehub did not write",
         lambda env: env.cli("export", "aim", env.tmp, "--out", env.tmp / "exported",
                             "--no-progress"),
         Fails(r"has no _stats/index\.json, so it is not a folder written by `mattehub build`"),
         _no_export_folder),
]

"""What a bad-input case is made of: an input (a function that damages something and runs
mattehub on it) and an expected outcome (a clear error, or a counted skip, never a traceback).

Rows live in the ``*_cases.py`` modules beside this one and are gathered in ``corpus.py``;
``tests/test_bad_input_corpus.py`` runs every row.
"""
from __future__ import annotations

import json

import contextlib
import io
import re
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mattehub.cli.main import main
from mattehub.core.errors import MattehubError


@dataclass
class Run:
    """What running mattehub on a damaged input did."""

    code: int | None = None          # CLI exit code (None for a library call)
    out: str = ""
    err: str = ""
    error: BaseException | None = None   # exception a library call raised
    value: Any = None                # what a library call returned
    trace: str = ""                  # traceback of an unexpected exception

    @property
    def message(self) -> str:
        return self.err if self.code is not None else str(self.error or "")


class Env:
    """A private workspace for one case: temp folder, source copies, CLI and call runners."""

    def __init__(self, tmp: Path, hhm, http_root) -> None:
        self.tmp, self.hhm, self.http_root = tmp, hhm, http_root
        self.cleanups: list[Callable[[], None]] = []
        self.before: dict[str, bytes] = {}

    def snapshot(self, folder: Path | None = None) -> dict[str, bytes]:
        """Every file below ``folder`` (default: the whole workspace) by relative path."""
        folder = folder or self.tmp
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    def mount_tmpfs(self, path: Path, options: str) -> Path:
        """A small tmpfs at ``path`` (e.g. ``size=256k`` for a full disk, ``ro`` for a
        read-only one), unmounted after the case. Needs root: skipped otherwise."""
        import subprocess

        import pytest

        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")
        self.cleanups.append(lambda: subprocess.run(["umount", "-l", str(path)], check=False))
        return path

    def sources(self):
        """A private, mutable copy of the HHM stand-in sources (type of ``hhm``)."""
        root = self.tmp / "src"
        if not root.exists():
            shutil.copytree(self.hhm.image_root, root / "hhm")
            shutil.copytree(self.hhm.bg_root, root / "bg")
            shutil.copy(self.hhm.invalid_names, root / "invalid_him.txt")
        return type(self.hhm)(root / "hhm", root / "bg", root / "invalid_him.txt",
                              self.hhm.foreground_names)

    def i_him_args(self, out: Path | str, *extra: str, num_samples: int = 6) -> list[str]:
        """``mattehub build i-him`` arguments over the private sources."""
        src = self.sources()
        return ["build", "i-him", "--out", str(out), "--image-root", str(src.image_root),
                "--bg-root", str(src.bg_root), "--num-samples", str(num_samples),
                "--max-samples-per-shard", "4", "--no-progress", *extra]

    def cli(self, *argv: str) -> Run:
        """Run ``mattehub ARGV`` in process; an unexpected exception is kept, not raised."""
        out, err, run = io.StringIO(), io.StringIO(), Run()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                run.code = main([str(a) for a in argv])
            except SystemExit as exit_:  # argparse errors: usage + message on stderr
                run.code = exit_.code if isinstance(exit_.code, int) else 2
            except BaseException as exc:  # noqa: BLE001 - a traceback is what cases look for
                run.code, run.error, run.trace = -1, exc, traceback.format_exc()
        run.out, run.err = out.getvalue(), err.getvalue()
        return run

    def call(self, function: Callable, *args, **kwargs) -> Run:
        """Call a library function; a MattehubError is an expected outcome, others are kept."""
        run = Run()
        try:
            run.value = function(*args, **kwargs)
        except MattehubError as exc:
            run.error = exc
        except BaseException as exc:  # noqa: BLE001
            run.error, run.trace = exc, traceback.format_exc()
        return run


@dataclass(frozen=True)
class Fails:
    """A clear error: CLI exit 2 (or a MattehubError) whose message matches ``pattern``."""

    pattern: str

    def check(self, env: Env, run: Run) -> None:
        assert not run.trace, f"expected a clear error, got a traceback:\n{run.trace}"
        if run.code is not None:
            assert run.code == 2, f"exit code {run.code}; stderr: {run.err}"
        else:
            assert isinstance(run.error, MattehubError), f"no MattehubError: {run.error!r}"
        assert "Traceback" not in run.message
        assert re.search(self.pattern, run.message), \
            f"message does not match {self.pattern!r}:\n{run.message}"


@dataclass(frozen=True)
class Succeeds:
    """The run finished normally (exit 0 / no exception); ``check`` sees the details."""

    def check(self, env: Env, run: Run) -> None:
        assert not run.trace and run.error is None, run.trace or repr(run.error)
        assert run.code in (None, 0), f"exit code {run.code}; stderr: {run.err}"


@dataclass(frozen=True)
class Case:
    """One row: ``damage_and_run`` makes the bad input and runs mattehub on it;
    ``expect`` is the outcome; ``then`` (optional) checks what must hold afterwards
    (a counted skip in the stats, nothing written outside --out, files unchanged...)."""

    id: str
    covers: str
    damage_and_run: Callable[[Env], Run]
    expect: Fails | Succeeds
    then: Callable[[Env, Run], None] | None = field(default=None)


@dataclass
class BuiltOutput:
    """What a build wrote under ``env.tmp / "out"`` for one config and split."""

    root: Path
    config: str
    split: str = "train"

    def _json(self, path: Path) -> Any:
        import json

        return json.loads(path.read_text())

    def record(self) -> dict:
        from mattehub.output.layout import OutputLayout

        return self._json(OutputLayout(self.root).build_record(self.config, self.split))

    def summary(self) -> dict:
        from mattehub.output.layout import OutputLayout

        return self._json(OutputLayout(self.root).split_summary(self.config, self.split))

    def stats(self) -> list[dict]:
        """Every per-shard stats file of the split, in shard order."""
        from mattehub.output.layout import OutputLayout

        folder = OutputLayout(self.root).stats_dir(self.config)
        return [self._json(p) for p in sorted(folder.glob(f"{self.split}-0*.json"))]

    def events(self) -> list[dict]:
        return [event for stats in self.stats() for event in stats["events"]]

    def rows(self) -> list[dict]:
        """Every Parquet row of the split, in shard order."""
        import pyarrow.parquet as pq

        rows: list[dict] = []
        for path in sorted((self.root / self.config).glob(f"{self.split}-*.parquet")):
            rows += pq.read_table(path).to_pylist()
        return rows


def built(env: Env, config: str, split: str = "train") -> BuiltOutput:
    """The output a case's build wrote to ``env.tmp / "out"`` for ``config``/``split``."""
    return BuiltOutput(env.tmp / "out", config, split)


def clean_run(env: Env, run: Run, *things) -> None:
    """No traceback, and no local path in what the run recorded (``things``)."""
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    assert str(env.tmp) not in json.dumps(things)


def no_shards_written(env: Env, run: Run) -> None:
    """A refused build left no Parquet shard under ``out``."""
    assert not (env.tmp / "out").exists() or not list((env.tmp / "out").rglob("*.parquet"))


def skipped_inputs_are(env: Env, run: Run, config: str, want: dict[str, str]) -> dict:
    """The build record of ``config`` names exactly the files in ``want`` (path -> reason
    pattern) as skipped inputs; returns the record's ``sources``."""
    sources = built(env, config).record()["sources"]
    clean_run(env, run, sources)
    skipped = {s["path"]: s["reason"] for s in sources["skipped_inputs"]}
    assert set(skipped) == set(want), skipped
    for path, pattern in want.items():
        assert re.search(pattern, skipped[path]), (path, skipped[path])
    assert built(env, config).summary()["skipped_samples"] == 0
    return sources


def one_sample_skipped(env: Env, run: Run, config: str, path: str, pattern: str) -> None:
    """Exactly one sample of ``config`` is a counted skip, with one bad_input event naming
    ``path`` (reason matching ``pattern``)."""
    out = built(env, config)
    events = out.events()
    clean_run(env, run, events, out.record())
    bad = [e for e in events if e["kind"] == "bad_input"]
    assert len(bad) == 1 and bad[0]["path"] == path, bad
    assert re.search(pattern, bad[0]["reason"]), bad
    skips = [e for e in events if e["kind"] == "skipped_sample"]
    assert len(skips) == 1 and path in skips[0]["reason"], skips
    assert out.summary()["skipped_samples"] == 1


"""The output folder a build writes to: refused up front when it cannot be right, and OS
errors while writing turned into a message that says which file and what to do.

A build refuses an ``--out`` that is a file, lies inside another mattehub output (it would
write over that output's shards and card), holds a symbolic link that leads its writes and
deletes out of it (``<config>/``, ``wds/``, ``_stats/``, ``preview/`` pointing elsewhere), or
cannot be written (read-only, no permission). ``inside_out`` is the one link rule: builds,
``mattehub finalize`` and ``mattehub export`` all write through it.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

from mattehub.core.errors import BuildError
from mattehub.output.layout import OutputLayout, owning_output

_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space (or choose another --out) and re-run the "
                  "same command; finished shards are kept",
    errno.EDQUOT: "the disk quota is exceeded: free some space and re-run the same command",
    errno.EROFS: "the file system is read-only: choose another --out",
    errno.EACCES: "permission denied: choose a folder you can write to",
    errno.EPERM: "operation not permitted: choose a folder you can write to",
    errno.ENOTDIR: "a path component is a file, not a folder: choose another --out",
}


def check_output_folder(out: str | Path, config: str | None = None) -> None:
    """Refuse an ``out`` that is a file, inside another mattehub output, linked out of itself
    (the folders of ``config``), or not writable; creates the folder when it does not exist."""
    refuse_output_folder(out, config)
    create_output_folder(out)


def refuse_output_folder(out: str | Path, config: str | None = None) -> None:
    """The checks of ``check_output_folder`` that write nothing (a refused build leaves no
    folder behind): a file, inside another output, a link out of it."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a folder: choose a folder")
    owner = owning_output(out)
    if owner is not None:
        raise BuildError(f"--out {out} lies inside the mattehub output {owner}: building there "
                         f"would overwrite its files; use {owner} itself as --out (configs share "
                         "one output folder) or a folder outside it")
    refuse_links(out, config)


def refuse_links(out: str | Path, config: str | None = None) -> None:
    """BuildError when a folder a build or finalize of ``config`` writes (``written_folders``)
    is a symbolic link leading out of the real ``out``."""
    for folder in OutputLayout(out).written_folders(config):
        inside_out(folder, out)


def create_output_folder(out: str | Path) -> None:
    """Create ``out`` (and its parents) and check that a file can be written there."""
    out = Path(out)
    probe = out / f".mattehub-write-test-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise os_error(exc, out) from None


def inside_out(path: str | Path, out: str | Path) -> Path:
    """``path`` (below ``out``) resolved; BuildError naming the first symbolic link on the way
    when it resolves outside the real ``out``: mattehub writes and deletes only inside it."""
    path, out = Path(path), Path(out)
    real = path.resolve()
    if real.is_relative_to(out.resolve()):
        return real
    link = _first_link(path, out)
    raise BuildError(f"{link} is a symbolic link to {link.resolve()}, outside --out {out}: "
                     "mattehub writes and deletes files only inside its --out folder; replace "
                     "the link by a real folder, or choose another --out")


def _first_link(path: Path, out: Path) -> Path:
    """The first symbolic link on the way from ``out`` down to ``path`` (``path`` if none)."""
    try:
        parts = path.relative_to(out).parts
    except ValueError:
        return path
    for depth in range(1, len(parts) + 1):
        candidate = out.joinpath(*parts[:depth])
        if candidate.is_symlink():
            return candidate
    return path


def os_error(exc: OSError, out: str | Path, flag: str = "--out") -> BuildError:
    """A BuildError naming the file an OS call failed on and what to do about it; ``flag``
    names how the folder was given (``--out`` of a build, the ``folder`` of finalize/stats,
    which cannot be "another" one)."""
    where = exc.filename or out
    advice = _ADVICE.get(exc.errno, exc.strerror or str(exc))
    if flag != "--out":
        advice = advice.replace("choose another --out", "make the folder writable, or copy it "
                                "somewhere writable, and re-run").replace(
                                    "choose a folder you can write to", "make the folder writable")
    return BuildError(f"cannot write {where} ({flag} {out}): {advice}")

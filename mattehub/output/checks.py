"""The output folder a build writes to: refused up front when it cannot be right, and OS
errors while writing turned into a message that says which file and what to do.

A build refuses an ``--out`` that is a file, lies inside another mattehub output (it would
write over that output's shards and card), or cannot be written (read-only, no permission).
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

from mattehub.core.errors import BuildError
from mattehub.output.layout import owning_output

_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space (or choose another --out) and re-run the "
                  "same command; finished shards are kept",
    errno.EDQUOT: "the disk quota is exceeded: free some space and re-run the same command",
    errno.EROFS: "the file system is read-only: choose another --out",
    errno.EACCES: "permission denied: choose a folder you can write to",
    errno.EPERM: "operation not permitted: choose a folder you can write to",
    errno.ENOTDIR: "a path component is a file, not a folder: choose another --out",
}


def check_output_folder(out: str | Path) -> None:
    """Refuse an ``out`` that is a file, inside another mattehub output, or not writable;
    creates the folder when it does not exist yet."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a folder: choose a folder")
    owner = owning_output(out)
    if owner is not None:
        raise BuildError(f"--out {out} lies inside the mattehub output {owner}: building there "
                         f"would overwrite its files; use {owner} itself as --out (configs share "
                         "one output folder) or a folder outside it")
    probe = out / f".mattehub-write-test-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise os_error(exc, out) from None


def os_error(exc: OSError, out: str | Path) -> BuildError:
    """A BuildError naming the file an OS call failed on and what to do about it."""
    where = exc.filename or out
    advice = _ADVICE.get(exc.errno, exc.strerror or str(exc))
    return BuildError(f"cannot write {where} (--out {out}): {advice}")

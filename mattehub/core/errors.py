"""Errors mattehub raises on purpose: each names the file and says how to fix it.

What a caller may do with them is decided by the class, not by ``except`` order:

* ``SourceError`` (and its ``ArchiveError``): the file itself is missing, damaged or
  inconsistent. A sample made from it can be skipped and counted; a scan can leave it out.
* ``RemoteError``: the network or the server failed. It is *not* a ``SourceError``: the
  file may be fine, so a retry loop or a skip that catches ``SourceError`` lets it through
  and the build or stream stops instead of counting good samples as skipped.
* ``BuildError``: the build cannot start or continue (options, output folder).
"""
from __future__ import annotations

from pathlib import Path


class MattehubError(Exception):
    """Base class for every error mattehub raises on purpose."""


def subject_message(subject: str, problem: str, fix: str = "") -> str:
    """``"<subject>: <problem> (<fix>)"``: the layout of an error about one thing (a path, a
    depth model), the thing first; the fix in brackets when there is one."""
    return f"{subject}: {problem}" + (f" ({fix})" if fix else "")


class PathError(MattehubError):
    """An error about one path or URL.

    The message always starts with the offending path so that a user scanning a long
    log finds the file at once; ``fix`` says what to do about it.
    """

    def __init__(self, path: str | Path, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(subject_message(self.path, problem, fix))

    def __reduce__(self):
        """Pickled with its parts, so it crosses a process boundary (a build's worker) intact."""
        return type(self), (self.path, self.problem, self.fix)


class SourceError(PathError):
    """A source file is missing, unreadable or inconsistent (the file's own fault)."""


class ArchiveError(SourceError):
    """A zip archive (or one of its parts) is missing, damaged or not what it should be."""


class RemoteError(PathError):
    """The network or the server failed (timeout, connection, HTTP 5xx, Range ignored, Hub
    unreachable), not the file: a build should stop on it rather than skip the sample."""


class BuildError(MattehubError):
    """The build cannot start or continue (bad options, conflicting output folder...)."""

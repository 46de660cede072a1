"""Errors mattehub raises for bad input: each names the file and says how to fix it."""
from __future__ import annotations

from pathlib import Path


class MattehubError(Exception):
    """Base class for every error mattehub raises on purpose."""


class SourceError(MattehubError):
    """A source file is missing, unreadable or inconsistent.

    The message always starts with the offending path so that a user scanning a long
    log finds the file at once; ``fix`` says what to do about it.
    """

    def __init__(self, path: str | Path, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class BuildError(MattehubError):
    """The build cannot start or continue (bad options, conflicting output folder...)."""

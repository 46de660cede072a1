"""How ``mattehub verify`` reports what it finds: the report and capped per-file problem lines
(damage found while reading shards arrives as ``mattehub.formats.base``'s ``Unreadable`` and
``BadField``)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MAX_PROBLEMS_PER_FILE = 20
FIX = ("To rebuild from a damaged shard: delete its stats file _stats/<config>/<split>-NNNNNN.json, "
       "then re-run the same `mattehub build` command (the shards before it are kept).")


@dataclass
class VerifyReport:
    """What ``verify_folder`` found: ``ok`` is True when ``problems`` is empty."""

    root: Path | str
    """The folder verified, as the user named it (a path, or the URL of a remote output)."""
    problems: list[str] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)
    """How many were checked: ``split``, ``shard file`` and ``row`` (rows of every format)."""
    hints: dict[str, None] = field(default_factory=dict)
    """The fixes to print under the problems, in order (``FIX`` unless every problem came
    with its own: ``add``)."""
    own_fix: int = 0
    """How many problems were added with their own fix (``add``)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str, hint: str | None = None) -> None:
        """A problem whose line says what to do (or whose fix is ``hint``, printed once at
        the end), so the advice to delete a damaged shard's stats is not given for it."""
        self.problems.append(problem)
        self.own_fix += 1
        if hint:
            self.hints[hint] = None

    def fixes(self) -> list[str]:
        """What the report advises: every hint, and ``FIX`` if some problem has no own fix."""
        return list(self.hints) + ([FIX] if len(self.problems) > self.own_fix else [])

    def format(self) -> str:
        """A readable report: one line when all is well, else one line per problem."""
        counts = ", ".join(_plural(self.checked[what], what) for what in ("split", "shard file", "row"))
        if self.ok:
            return f"{self.root}: OK ({counts} checked)"
        lines = [f"{self.root}: {_plural(len(self.problems), 'problem')} ({counts} checked)"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines + self.fixes())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class FileProblems:
    """Problem lines of one shard file, capped so one ruined file does not flood the report."""

    def __init__(self, rel: str) -> None:
        self.rel, self.found, self.seen = rel, [], set()

    def add(self, message: str) -> None:
        self.found.append(f"{self.rel}: {message}")

    def add_once(self, message: str, where: str) -> None:
        """Add ``message + where`` unless ``message`` was added before (a per-file problem)."""
        if message not in self.seen:
            self.seen.add(message)
            self.add(message + where)

    def lines(self) -> list[str]:
        if len(self.found) <= MAX_PROBLEMS_PER_FILE:
            return self.found
        more = len(self.found) - MAX_PROBLEMS_PER_FILE
        return self.found[:MAX_PROBLEMS_PER_FILE] + [f"{self.rel}: ... and {more} more problems"]

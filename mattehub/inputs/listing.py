"""Sorted, validated listings of image files and name lists.

Listings are sorted by relative POSIX path so that a build never depends on the order a
file system happens to return entries in (an upstream flaw of the release scripts).
"""
from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mattehub.core.errors import SourceError
from mattehub.inputs import gate

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Skip:
    """An input file left out, and why (recorded in the build stats and the card)."""

    path: str
    reason: str

    def as_dict(self) -> dict:
        return {"path": self.path, "reason": self.reason}


def skip_lines(skipped: list[Skip], limit: int = 10) -> str:
    """The first ``limit`` skips as indented lines for an error message ("" when none)."""
    lines = [f"\n  - {skip.path}: {skip.reason}" for skip in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"\n  ... and {len(skipped) - limit} more")
    return "".join(lines)


def list_images(root: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[str]:
    """Relative POSIX paths of the images below ``root``, sorted; hidden files ignored."""
    return [rel for rel in list_files(root) if Path(rel).suffix.lower() in suffixes]


def list_files(root: Path) -> list[str]:
    """Relative POSIX paths of every file below ``root``, sorted; hidden files ignored."""
    if not root.is_dir():
        raise SourceError(root, "is not a folder", "check the path given on the command line")
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if not any(p.startswith(".") for p in rel.parts) and path.is_file():
            found.append(rel.as_posix())
    return sorted(found)


def image_size(path: Path, oriented: bool = False) -> tuple[int, int]:
    """(width, height) read from the file header only; SourceError if it is not an image.

    With ``oriented``, the size as displayed (``gate.displayed_size``: what
    ``gate.decode_rgb`` returns).
    """
    with gate.open_image(path, path) as image:
        return gate.displayed_size(image) if oriented else image.size


def read_name_list(path: Path | str) -> set[str]:
    """Names from a one-name-per-line file (CRLF, BOM, blanks and spaces tolerated).

    Only the file name part of each line is kept, since the release compares names with
    image file names (extension included). ``path`` may be an fsspec URL.
    """
    from mattehub.inputs import remote  # fsspec: not for a build worker (never reads a list)

    fs = remote.filesystem(str(path))[0]
    try:
        text = remote.read(fs, str(path)).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"is not UTF-8 text (byte {exc.start})") from None
    names = (line.strip() for line in text.splitlines())
    return {name.replace("\\", "/").rsplit("/", 1)[-1] for name in names if name}


def natural_key(text: str) -> tuple:
    """Sort key: numbers by value, so frame 10 comes after frame 9."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def is_listed(name: str, invalid: set[str]) -> bool:
    """True when the file ``name`` is in the invalid-names set: by full name, or by stem
    for entries written without an extension (``person_004`` lists ``person_004.jpg``)."""
    return name in invalid or name.rsplit(".", 1)[0] in invalid


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large listing is parsed and grouped.

    Listing a 150,000-member archive and grouping it into samples makes about half a million
    objects that all live on (tuples, strings, dicts; none garbage, none in cycles). The
    collector, counting allocations, runs several full collections during that burst, and
    each walks every object of the process: with ``datasets`` and torch imported that was
    0.8 s of the 1.5 s to a release's first sample (``benchmarks/bench_release_stream.py``,
    (d)). Paused, it collects nothing less; it resumes after, unless it was off before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

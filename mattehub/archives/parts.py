"""The parts of a split archive seen as one byte range, read with ranged requests.

Info-ZIP names the parts ``X.z01 .. X.zNN`` and the last one ``X.zip``; offsets inside the
archive are (disk number, offset on that disk). ``Parts`` maps them to one global offset
and reads any range, across part boundaries, with ``mattehub.remote.read(start, end)``: a
local ``pread`` or an HTTP ``Range`` request (with timeouts, bounded retries and errors that
name the part), stateless and safe to call from threads.
"""
from __future__ import annotations

from dataclasses import dataclass

import fsspec

from .. import remote
from .errors import ArchiveError


def part_name(last: str, disk: int, disks: int) -> str:
    """Path of part ``disk`` (0-based) of the archive whose last part is ``last`` (X.zip)."""
    if disk == disks - 1:
        return last
    stem = last[:-4] if last.lower().endswith(".zip") else last
    return f"{stem}.z{disk + 1:02d}"


@dataclass
class Part:
    path: str
    size: int
    start: int  # global offset of its first byte


class Parts:
    """All parts of one archive, in disk order."""

    def __init__(self, fs: fsspec.AbstractFileSystem, parts: list[Part]) -> None:
        self.fs, self.parts = fs, parts
        self.size = parts[-1].start + parts[-1].size

    @classmethod
    def open(cls, last: str, disks: int, fs: fsspec.AbstractFileSystem | None = None) -> "Parts":
        """Find and size parts 1..disks of the archive ending in ``last``."""
        fs = fs or remote.filesystem(last)[0]
        parts, start = [], 0
        for disk in range(disks):
            path = part_name(last, disk, disks)
            size = remote.size(fs, path, ArchiveError)
            if size is None:
                raise ArchiveError(path, f"missing: part {disk + 1} of {disks} of the split archive "
                                         f"{last}", "put every part (.z01, .z02, ..., .zip) side by side")
            parts.append(Part(path, size, start))
            start += size
        return cls(fs, parts)

    def global_offset(self, disk: int, offset: int) -> int:
        """(disk, offset on disk) -> offset in the joined byte range."""
        if not 0 <= disk < len(self.parts):
            raise ArchiveError(self.parts[-1].path, f"refers to disk {disk + 1}, but the archive "
                                                    f"has {len(self.parts)} parts")
        return self.parts[disk].start + offset

    def read(self, start: int, length: int) -> bytes:
        """``length`` bytes from global offset ``start``, across parts as needed."""
        chunks, end = [], start + length
        for part in self.parts:
            lo, hi = max(start, part.start), min(end, part.start + part.size)
            if lo < hi:
                chunks.append(remote.read(self.fs, part.path, lo - part.start, hi - part.start,
                                          ArchiveError))
        data = b"".join(chunks)
        if len(data) != length:
            culprit = next((p for p in self.parts if p.start <= start < p.start + p.size), self.parts[-1])
            raise ArchiveError(culprit.path, f"ends before byte {end - culprit.start} that the archive "
                                             "needs (truncated part?)")
        return data

    def locate(self, offset: int) -> tuple[str, int]:
        """(part path, offset in it) of a global offset, for error messages."""
        for part in self.parts:
            if part.start <= offset < part.start + part.size:
                return part.path, offset - part.start
        return self.parts[-1].path, offset - self.parts[-1].start

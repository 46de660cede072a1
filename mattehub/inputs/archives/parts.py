"""The parts of a split archive seen as one byte range, read with ranged requests.

Info-ZIP names the parts ``X.z01 .. X.zNN`` and the last one ``X.zip``; offsets inside the
archive are (disk number, offset on that disk). ``Parts`` maps them to one global offset
and reads any range, across part boundaries, with ``mattehub.inputs.remote.read(start, end)``: a
local ``pread`` or an HTTP ``Range`` request (with timeouts, bounded retries and errors that
name the part), safe to call from threads. Local parts are read with ``os.pread`` on file
descriptors opened once per part (positionless, so threads share them), not re-opened for
every read; they are not pickled (a worker opens its own).
"""
from __future__ import annotations

import bisect
import os
import threading
from dataclasses import dataclass

import fsspec
from fsspec.implementations.local import LocalFileSystem

from mattehub.inputs import remote
from mattehub.core.errors import ArchiveError

_OPEN_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    """A lock held by a parent thread at fork would never be released in the child. The
    descriptors themselves stay valid there (``pread`` has no shared file position)."""
    global _OPEN_LOCK
    _OPEN_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


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
        self._starts = [part.start for part in parts]
        self._local = isinstance(fs, LocalFileSystem)
        self._fds: dict[int, int] = {}

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
        first = max(0, bisect.bisect_right(self._starts, start) - 1)
        for index in range(first, len(self.parts)):
            part = self.parts[index]
            if part.start >= end:
                break
            lo, hi = max(start, part.start), min(end, part.start + part.size)
            if lo < hi:
                chunks.append(self._pread(index, lo - part.start, hi - lo) if self._local else
                              remote.read(self.fs, part.path, lo - part.start, hi - part.start,
                                          ArchiveError))
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if len(data) != length:
            culprit = next((p for p in self.parts if p.start <= start < p.start + p.size), self.parts[-1])
            raise ArchiveError(culprit.path, f"ends before byte {end - culprit.start} that the archive "
                                             "needs (truncated part?)")
        return data

    def _pread(self, index: int, offset: int, length: int) -> bytes:
        """Bytes [offset, offset + length) of local part ``index`` (fewer at its end)."""
        part = self.parts[index]
        try:
            fd = self._fds.get(index)
            if fd is None:
                with _OPEN_LOCK:
                    fd = self._fds.get(index)
                    if fd is None:
                        fd = self._fds[index] = os.open(self.fs._strip_protocol(part.path),
                                                        os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            data = os.pread(fd, length, offset)
            while 0 < len(data) < length:  # regular files: only at the end (or > 2 GiB reads)
                more = os.pread(fd, length - len(data), offset + len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            raise ArchiveError(part.path, f"cannot be read: {exc.strerror or exc}") from None
        return data

    def close(self) -> None:
        """Close the local file descriptors (reads re-open them)."""
        with _OPEN_LOCK:
            fds, self._fds = self._fds, {}
        for fd in fds.values():
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_fds"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _fds={})

    def locate(self, offset: int) -> tuple[str, int]:
        """(part path, offset in it) of a global offset, for error messages."""
        for part in self.parts:
            if part.start <= offset < part.start + part.size:
                return part.path, offset - part.start
        return self.parts[-1].path, offset - self.parts[-1].start

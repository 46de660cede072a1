"""Zip archives read in place: single-file or Info-ZIP split (``X.z01 .. X.zNN`` + ``X.zip``).

Why not ``zipfile``: it reads single-file archives only. In a split archive every central
directory entry records the *disk* a member starts on and an offset relative to that disk
(zip64 extra fields can carry both), and plain concatenation of the parts is not a valid
zip, so upstream asks users to run ``zip -F`` (a full extra copy) before unzipping. This
reader maps (disk, offset) onto the parts and reads members with ranged reads, so a
remote archive costs its central directory plus the members actually asked for. It does
stored and deflated members, zip64, and CRC checks; nothing else (no encryption).
"""
from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import fsspec

from .. import remote
from . import records
from .errors import ArchiveError
from .parts import Parts

TAIL_BYTES = records.EOCD_SIZE + records.MAX_COMMENT + records.LOCATOR64_SIZE
LOCAL_SLACK = 512
# Info-ZIP ends a part early when the next header does not fit in it (seen: 75 bytes short);
# a part shorter than the others by more than this is taken as truncated.
MAX_EARLY_END = 4096  # read this much beyond the central name/extra sizes to get data in one request


@dataclass(frozen=True)
class Member:
    """One file inside the archive."""

    name: str
    size: int
    compressed_size: int
    crc: int
    method: int
    offset: int  # global offset of the local header
    entry: records.CentralEntry


def _decode_name(entry: records.CentralEntry, archive: str) -> str:
    if entry.unicode_name is not None:
        return entry.unicode_name
    try:
        return entry.raw_name.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveError(archive, f"member name {entry.raw_name!r} is not UTF-8",
                           "re-create the archive with UTF-8 file names") from None


class SplitZip:
    """A zip archive, split or not, local or at an fsspec URL (``hf://``, ``http(s)://``)."""

    def __init__(self, path: str, fs: fsspec.AbstractFileSystem | None = None,
                 max_workers: int = 8) -> None:
        self.path = str(path)
        self.fs = fs or remote.filesystem(self.path)[0]
        self.max_workers = max_workers
        end = self._end_record()
        self.parts = Parts.open(self.path, end.disks, self.fs)
        if end.needs_zip64 or self.zip64:
            end = self._zip64_end()
        self._check_parts()
        self.members = self._central_directory(end)
        self._by_name = {member.name: member for member in self.members}
        self._check_member_starts()
        self._pool: ThreadPoolExecutor | None = None

    # -- opening -------------------------------------------------------------------------
    def _end_record(self) -> records.EndRecord:
        size = remote.size(self.fs, self.path, ArchiveError)
        if size is None:
            raise ArchiveError(self.path, "not found")
        self._tail_start = max(0, size - TAIL_BYTES)
        self._tail = remote.read(self.fs, self.path, self._tail_start, size, ArchiveError)
        found = records.parse_eocd(self._tail)
        if found is None:
            raise ArchiveError(self.path, "has no end-of-central-directory record (not a zip "
                                          "archive, or its last part is truncated)")
        end, at = found
        self._locator = records.parse_locator64(self._tail[at - records.LOCATOR64_SIZE:at]) \
            if at >= records.LOCATOR64_SIZE else None
        self.zip64 = self._locator is not None
        if self._locator:
            return records.EndRecord(self._locator[2], end.cd_disk, end.cd_offset, end.cd_size,
                                     end.entries)
        return end

    def _zip64_end(self) -> records.EndRecord:
        if not self._locator:
            raise ArchiveError(self.path, "needs a zip64 end record but has no zip64 locator")
        disk, offset, _ = self._locator
        end = records.parse_eocd64(self.parts.read(self.parts.global_offset(disk, offset), 56))
        if end is None:
            raise ArchiveError(self.path, "zip64 end record not where its locator points")
        return end

    def _check_parts(self) -> None:
        parts = self.parts.parts
        if len(parts) == 1:
            return
        if self.parts.read(0, 4) != records.SPANNING_SIG:
            raise ArchiveError(parts[0].path, "does not start with the split-archive signature: "
                                              "parts renamed or out of order?")
        split_size = max(part.size for part in parts[:-1])
        for part in parts[:-1]:
            if part.size < split_size - MAX_EARLY_END:
                raise ArchiveError(part.path, f"is {part.size} bytes where the other parts are "
                                              f"{split_size}: truncated part?")

    def _central_directory(self, end: records.EndRecord) -> list[Member]:
        data = self.parts.read(self.parts.global_offset(end.cd_disk, end.cd_offset), end.cd_size)
        members, at = [], 0
        try:
            for _ in range(end.entries):
                entry, at = records.parse_central(data, at)
                members.append(Member(_decode_name(entry, self.path), entry.size,
                                      entry.compressed_size, entry.crc, entry.method,
                                      self.parts.global_offset(entry.disk, entry.offset), entry))
        except (ValueError, IndexError) as exc:
            raise ArchiveError(self.path, f"central directory is damaged ({exc})") from None
        return members

    def _check_member_starts(self) -> None:
        """Every local header must lie inside its part (catches truncated parts), and the
        first member of every part must start with one (catches swapped or renamed parts,
        at the cost of one 4-byte read per part)."""
        first: dict[int, Member] = {}
        for member in self.members:
            disk = member.entry.disk
            part = self.parts.parts[disk]
            if member.entry.offset + records.LOCAL_SIZE > part.size:
                raise ArchiveError(part.path, f"is {part.size} bytes but {member.name!r} starts "
                                              f"at byte {member.entry.offset}: truncated part?")
            if disk not in first or member.offset < first[disk].offset:
                first[disk] = member
        for disk, member in sorted(first.items()):
            if self.parts.read(member.offset, 4) != records.LOCAL_SIG:
                raise ArchiveError(self.parts.parts[disk].path, f"has no zip member where "
                                   f"{member.name} should start: parts renamed or out of order?")

    # -- reading -------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Member names in central-directory order."""
        return [member.name for member in self.members]

    def member(self, name: str) -> Member:
        try:
            return self._by_name[name]
        except KeyError:
            raise ArchiveError(self.path, f"has no member {name!r}") from None

    def read(self, name: str) -> bytes:
        """The uncompressed bytes of member ``name``, CRC-checked."""
        member = self.member(name)
        if member.entry.flags & records.FLAG_ENCRYPTED:
            raise ArchiveError(self.path, f"member {name!r} is encrypted (not supported)")
        guess = records.LOCAL_SIZE + len(member.entry.raw_name) + LOCAL_SLACK
        blob = self.parts.read(member.offset, min(guess + member.compressed_size,
                                                  self.parts.size - member.offset))
        try:
            start = records.local_data_start(blob)
        except ValueError:
            part, offset = self.parts.locate(member.offset)
            raise ArchiveError(part, f"has no local header for {name!r} at byte {offset}: "
                                     "parts renamed, out of order or damaged?") from None
        data = blob[start:start + member.compressed_size]
        if len(data) < member.compressed_size:
            data += self.parts.read(member.offset + start + len(data),
                                    member.compressed_size - len(data))
        return self._inflate(member, data)

    def _inflate(self, member: Member, data: bytes) -> bytes:
        if member.method == 0:
            out = data
        elif member.method == 8:
            try:
                out = zlib.decompress(data, -15)
            except zlib.error as exc:
                raise ArchiveError(self.path, f"member {member.name!r} is corrupt ({exc})") from None
        else:
            raise ArchiveError(self.path, f"member {member.name!r} uses compression method "
                                          f"{member.method}; only stored and deflate are supported")
        if len(out) != member.size or zlib.crc32(out) != member.crc:
            raise ArchiveError(self.path, f"member {member.name!r} is corrupt (CRC or size "
                                          "mismatch)", "re-download the archive")
        return out

    def read_many(self, names: list[str]) -> list[bytes]:
        """Several members, fetched with at most ``max_workers`` requests in flight."""
        if len(names) <= 1 or self.max_workers <= 1:
            return [self.read(name) for name in names]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="mattehub-zip")
        return list(self._pool.map(self.read, names))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__, _pool=None)
        return state

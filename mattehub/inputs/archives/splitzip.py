"""Zip archives read in place: single-file or Info-ZIP split (``X.z01 .. X.zNN`` + ``X.zip``).

Why not ``zipfile``: it reads single-file archives only. In a split archive every central
directory entry records the *disk* a member starts on and an offset relative to that disk
(zip64 extra fields can carry both), and plain concatenation of the parts is not a valid
zip, so upstream asks users to run ``zip -F`` (a full extra copy) before unzipping. This
reader maps (disk, offset) onto the parts and reads members with ranged reads, so a
remote archive costs its central directory plus the members actually asked for. It does
stored and deflated members, zip64, and CRC checks; nothing else (no encryption).

Opening reads the end records, the central directory and 4 bytes per part, never the member
data. The directory is listed with one ``unpack_from`` per entry (``records.scan_central``)
and ``Member`` objects are made on demand, so opening a release of 200,000 entries takes a
fraction of a second. ``read_many`` reads neighbouring members (the mattes of one sample) with
one request, local header and data together, and inflates into a buffer of the member's size.
"""
from __future__ import annotations

import os
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import fsspec

from mattehub.inputs import remote
from mattehub.inputs.archives import records

try:  # ISA-L's inflate: the same bytes as zlib's (the CRC is checked all the same), ~1.4x
    from isal import isal_zlib as _isal  # faster on JPEG-like members; optional (pip install isal)
except ImportError:  # pragma: no cover - depends on the environment
    _isal = None
from mattehub.core.errors import ArchiveError
from mattehub.inputs.archives.parts import Parts

TAIL_BYTES = records.EOCD_SIZE + records.MAX_COMMENT + records.LOCATOR64_SIZE
LOCAL_SLACK = 512
# read_many: members whose gap is at most this are fetched with one request (the extra bytes
# cost less than another request), up to MAX_SPAN bytes per request.
MAX_GAP = 64 * 2**10
MAX_SPAN = 32 * 2**20
_POOL_LOCK = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads: a lock one of them held would never
    be released, so the child gets a new one (and pools are re-made, see ``_threads``)."""
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
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
        self._central_directory(end)
        self._check_member_starts()
        self._members: list[Member] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid: int | None = None

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

    def _central_directory(self, end: records.EndRecord) -> None:
        """List the central directory in one pass: per member, in parallel lists, its name
        (``self._names``), the global offset of its local header (``self._starts``) and the
        position of its entry in ``self._cd`` (``self._at``); ``self._by_name`` the index;
        every local header must lie inside its part (catches truncated parts). The usual
        entry costs one ``unpack_from`` and a slice; ``Member`` objects are made on demand
        from ``self._cd``. Lists of strings and ints, not a tuple per member: 200k tuples
        are 200k objects for the garbage collector to walk (``listing.collector_paused``)."""
        self._cd = data = self.parts.read(self.parts.global_offset(end.cd_disk, end.cd_offset),
                                          end.cd_size)
        parts = self.parts.parts
        starts, sizes = [part.start for part in parts], [part.size for part in parts]
        unpack, sig, fixed, local = (records.CENTRAL_STRUCT.unpack_from, records.CENTRAL_SIG,
                                     records.CENTRAL_SIZE, records.LOCAL_SIZE)
        unicode_tag, big32, big16 = records.UNICODE_TAG, 0xFFFFFFFF, 0xFFFF
        names, starts_at, ats = [], [], []
        add_name, add_start, add_at, disks = names.append, starts_at.append, ats.append, len(starts)
        first: list[tuple[str, int] | None] = [None] * disks
        at = 0
        try:
            for _ in range(end.entries):
                (signature, _, _, _, _, _, _, _, csize, usize, nlen, xlen, clen, disk, _, _,
                 offset) = unpack(data, at)
                if signature != sig:
                    raise ValueError(f"no central directory entry at byte {at}")
                extra_at = at + fixed + nlen
                raw, unicode_name = data[at + fixed:extra_at], None
                # zip64 values, or maybe a Unicode Path field: the full parse
                if (csize == big32 or usize == big32 or offset == big32 or disk == big16 or
                        (xlen and data.find(unicode_tag, extra_at, extra_at + xlen) >= 0)):
                    entry, _ = records.parse_central(data, at)
                    csize, disk, offset, unicode_name = (entry.compressed_size, entry.disk,
                                                         entry.offset, entry.unicode_name)
                name = unicode_name if unicode_name is not None else raw.decode("utf-8")
                if "\\" in name:
                    name = member_name(name)
                if disk >= disks:
                    self.parts.global_offset(disk, offset)  # raises, naming the archive
                if offset + local > sizes[disk]:
                    raise ArchiveError(parts[disk].path, f"is {sizes[disk]} bytes but {name!r} "
                                       f"starts at byte {offset}: truncated part?")
                start = starts[disk] + offset
                if first[disk] is None or start < first[disk][1]:
                    first[disk] = (name, start)
                add_name(name)
                add_start(start)
                add_at(at)
                at = extra_at + xlen + clen
        except UnicodeDecodeError:
            raise ArchiveError(self.path, f"member name {raw!r} is not UTF-8",
                               "re-create the archive with UTF-8 file names") from None
        except (ValueError, IndexError, struct.error) as exc:
            raise ArchiveError(self.path, f"central directory is damaged ({exc})") from None
        self._names, self._starts, self._at = names, starts_at, ats
        self._by_name = dict(zip(names, range(len(names))))  # a repeated name: its last entry
        self._first_per_disk = {disk: got for disk, got in enumerate(first) if got is not None}

    def _check_member_starts(self) -> None:
        """The first member of every part must start with a local header (catches swapped or
        renamed parts, at the cost of one 4-byte read per part)."""
        for disk, (name, start) in sorted(self._first_per_disk.items()):
            if self.parts.read(start, 4) != records.LOCAL_SIG:
                raise ArchiveError(self.parts.parts[disk].path, f"has no zip member where "
                                   f"{name} should start: parts renamed or out of order?")

    # -- reading -------------------------------------------------------------------------
    @property
    def members(self) -> list[Member]:
        """Every member, in central-directory order (made on first use)."""
        if self._members is None:
            self._members = [self._member(index) for index in range(len(self._names))]
        return self._members

    def _member(self, index: int) -> Member:
        entry, _ = records.parse_central(self._cd, self._at[index])
        return Member(self._names[index], entry.size, entry.compressed_size, entry.crc, entry.method,
                      self._starts[index], entry)

    def names(self) -> list[str]:
        """Member names in central-directory order."""
        return list(self._names)

    def member(self, name: str) -> Member:
        try:
            index = self._by_name[name]
        except KeyError:
            raise ArchiveError(self.path, f"has no member {name!r}") from None
        return self._member(index)

    def read(self, name: str) -> bytes:
        """The uncompressed bytes of member ``name``, CRC-checked."""
        return self._read_group([self._checked(name)])[0]

    def _checked(self, name: str) -> Member:
        member = self.member(name)
        if member.entry.flags & records.FLAG_ENCRYPTED:
            raise ArchiveError(self.path, f"member {name!r} is encrypted (not supported)")
        return member

    def _read_group(self, members: list[Member]) -> list[bytes]:
        """Members sorted by offset, fetched with one read (local headers and data), each
        inflated and CRC-checked; a member the read fell short of is completed by another."""
        first = members[0].offset
        end = max(m.offset + records.LOCAL_SIZE + len(m.entry.raw_name) + LOCAL_SLACK
                  + m.compressed_size for m in members)
        blob = self.parts.read(first, min(end, self.parts.size) - first)
        view, out = memoryview(blob), []
        for member in members:
            at = member.offset - first
            try:
                start = at + records.local_data_start(view[at:at + records.LOCAL_SIZE])
            except ValueError:
                part, offset = self.parts.locate(member.offset)
                raise ArchiveError(part, f"has no local header for {member.name!r} at byte "
                                         f"{offset}: parts renamed, out of order or damaged?") from None
            data = view[start:start + member.compressed_size]
            if len(data) < member.compressed_size:
                data = bytes(data) + self.parts.read(first + start + len(data),
                                                     member.compressed_size - len(data))
            out.append(self._inflate(member, data))
        return out

    def _inflate(self, member: Member, data: bytes | memoryview) -> bytes:
        if member.method == 0:
            out = data if isinstance(data, bytes) else data.tobytes()
        elif member.method == 8:
            try:
                out = inflate(data, member.size)
            except (zlib.error, *INFLATE_ERRORS) as exc:
                raise ArchiveError(self.path, f"member {member.name!r} is corrupt ({exc})") from None
        else:
            raise ArchiveError(self.path, f"member {member.name!r} uses compression method "
                                          f"{member.method}; only stored and deflate are supported")
        if len(out) != member.size or zlib.crc32(out) != member.crc:
            raise ArchiveError(self.path, f"member {member.name!r} is corrupt (CRC or size "
                                          "mismatch)", "re-download the archive")
        return out

    def read_many(self, names: list[str]) -> list[bytes]:
        """Several members, in the order asked. Neighbours in the archive (at most
        ``MAX_GAP`` apart) share one read; the reads go out with at most ``max_workers`` in
        flight (threads: inflating and CRC-32 release the GIL)."""
        members = [self._checked(name) for name in names]
        groups = _groups(members)
        if len(groups) <= 1 or self.max_workers <= 1:
            done = [self._read_group(group) for group in groups]
        else:
            done = list(self._threads().map(self._read_group, groups))
        found = {id(member): data for group, datas in zip(groups, done)
                 for member, data in zip(group, datas)}
        return [found[id(member)] for member in members]

    def _threads(self) -> ThreadPoolExecutor:
        """The read threads of this process: read_many may be called from several threads at
        once, and a pool inherited through fork has no threads in the child (its work would
        never run), so a forked child makes its own."""
        with _POOL_LOCK:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="mattehub-zip")
                self._pool_pid = os.getpid()
            return self._pool

    def close(self) -> None:
        """Close local file descriptors and the read threads (the reader stays usable)."""
        self.parts.close()
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.shutdown(wait=False)
        self._pool = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__, _pool=None, _members=None)
        return state


INFLATE_ERRORS: tuple[type[Exception], ...] = (_isal.error,) if _isal else ()


def member_name(name: str) -> str:
    """A member name as listed and looked up: ``\\`` turned to ``/`` (zips written by some
    Windows tools separate folders with backslashes, against the zip format, so their
    folders would not be found); the stored raw name is kept for reassembly."""
    return name.replace("\\", "/")


def inflate(data: bytes | memoryview, size: int) -> bytes:
    """Raw deflate ``data`` inflated (ISA-L when installed, else zlib) into an output buffer
    of the expected ``size``: no regrowth, no final copy. Raises zlib.error or one of
    ``INFLATE_ERRORS`` on invalid or truncated data."""
    return (_isal or zlib).decompress(data, -15, max(size, 1))


def _groups(members: list[Member]) -> list[list[Member]]:
    """``members`` (each once) sorted by offset, cut where the gap to the next exceeds
    ``MAX_GAP`` or a read would pass ``MAX_SPAN``."""
    unique = list({id(m): m for m in members}.values())
    groups: list[list[Member]] = []
    end = None
    for member in sorted(unique, key=lambda m: m.offset):
        span_end = member.offset + records.LOCAL_SIZE + len(member.entry.raw_name) + member.compressed_size
        if groups and member.offset - end <= MAX_GAP and span_end - groups[-1][0].offset <= MAX_SPAN:
            groups[-1].append(member)
            end = max(end, span_end)
        else:
            groups.append([member])
            end = span_end
    return groups

"""``mattehub reassemble``: the ``zip -F X.zip --out X_all.zip`` equivalent, streaming and checked.

The member bytes (local headers + data) are copied unchanged from the parts, in order,
without the 4-byte split signature; only the central directory is rewritten, with every
member on disk 0 at its new offset (zip64 fields where offsets or sizes need them).

Every member is checked while it is copied, in the same single pass: stored data is
CRC-32'd directly, deflate data is inflated incrementally (``zlib.decompressobj(-15)``, at
most one copy block of output at a time), and its size and CRC must equal the central
directory's. A damaged member fails the whole run, so a damaged archive is never written.
Memory use is one copy block; the output is written to a temp name, renamed only when
everything checked out, and deleted on any failure.
"""
from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem
from tqdm.auto import tqdm

from mattehub.inputs.archives import records
from mattehub.core.errors import ArchiveError
from mattehub.inputs.archives.splitzip import Member, SplitZip
from mattehub.core.errors import BuildError

BLOCK = 8 * 2**20
STORED, DEFLATED = 0, 8
_MIDDLE_PART = re.compile(r"\.[zZ]([0-9]{2,})$")
"""The name of a split zip's part other than the last (Info-ZIP: ``X.z01``, ``X.z02``...)."""
FIX = "re-download the archive (every part), then run reassemble again"


def reassemble(path: str, out: str | Path, progress: bool = True) -> Path:
    """Write the archive at ``path`` (split or not) as one standard zip at ``out``.

    Raises ArchiveError naming the member and its part when a member's data does not match
    its CRC or size, and BuildError for an unusable ``out``; either way nothing is left at
    ``out`` (nor a temp file).
    """
    out = Path(out)
    _check_out_folder(out)
    archive = _open(path)
    _check_out_not_input(archive, out)
    _check_methods(archive)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    try:
        _write(archive, tmp, out.name, progress)
        os.replace(tmp, out)
    except OSError as exc:  # a read-only folder, a full disk...
        tmp.unlink(missing_ok=True)
        raise BuildError(f"{out}: cannot be written ({exc.strerror or exc}); choose another "
                         "--out or free some space") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _open(path: str) -> SplitZip:
    """The archive at ``path``; a middle part (``X.z03``) has no directory, so the error
    names the last part to pass instead (``X.zip``)."""
    try:
        return SplitZip(path)
    except ArchiveError as exc:
        match = _MIDDLE_PART.search(str(path))
        if match is None:
            raise
        last = str(path)[:match.start()] + ".zip"
        raise ArchiveError(path, f"is part {int(match.group(1))} of a split zip, not its last "
                                 f"part: pass {last} (the parts .z01, .z02... are found beside "
                                 "it)") from exc


# -- refusing bad --out values ------------------------------------------------------------
def _check_out_folder(out: Path) -> None:
    """``out`` must name a file in an existing folder."""
    if out.is_dir():
        raise BuildError(f"{out}: --out is an existing folder; give the path of the zip file "
                         f"to write, e.g. --out {out / 'joined.zip'}")
    folder = out.parent
    if not folder.is_dir():
        raise BuildError(f"{out}: the folder {folder} does not exist; create it first "
                         f"(mkdir -p {folder}) or choose another --out")


def _check_out_not_input(archive: SplitZip, out: Path) -> None:
    """Writing over a part would destroy the input while it is read."""
    if not isinstance(archive.fs, LocalFileSystem):
        return
    target = os.path.realpath(out)
    for part in archive.parts.parts:
        local = archive.fs._strip_protocol(part.path)
        same = os.path.realpath(local) == target or (
            out.exists() and os.path.samefile(local, out))
        if same:
            raise BuildError(f"{out}: --out is {local}, a part of the archive being "
                             "reassembled; choose another file name, e.g. X_all.zip")


def _check_methods(archive: SplitZip) -> None:
    """Refuse, before writing anything, members whose data cannot be checked."""
    for member in archive.members:
        if member.entry.flags & records.FLAG_ENCRYPTED:
            raise ArchiveError(archive.path, f"member {member.name!r} is encrypted; its CRC "
                                             "cannot be checked (not supported)")
        if member.method not in (STORED, DEFLATED):
            raise ArchiveError(archive.path, f"member {member.name!r} uses compression method "
                                             f"{member.method}; only stored and deflate are "
                                             "supported")


# -- copying ------------------------------------------------------------------------------
def _write(archive: SplitZip, tmp: Path, label: str, progress: bool) -> None:
    """Copy member bytes (checking each member) and write the new central directory."""
    parts = archive.parts
    shift = 4 if len(parts.parts) > 1 else 0
    spans = sorted((_span(archive, m) for m in archive.members), key=lambda s: s.start)
    data_end = max((span.end_with_descriptor for span in spans), default=shift)
    checks = _Checks(archive, spans)
    with open(tmp, "wb") as sink, tqdm(total=data_end - shift, unit="B", unit_scale=True,
                                       disable=not progress, desc=f"reassemble {label}") as bar:
        for start in range(shift, data_end, BLOCK):
            block = parts.read(start, min(BLOCK, data_end - start))
            checks.feed(start, block)
            sink.write(block)
            bar.update(len(block))
        checks.finish_all()
        cd_offset = sink.tell()
        directory = b"".join(records.central_bytes(m.entry, m.offset - shift) for m in archive.members)
        sink.write(directory)
        zip64 = archive.zip64 or cd_offset >= 0xFFFFFFFF or len(archive.members) >= 0xFFFF
        sink.write(records.end_bytes(len(archive.members), cd_offset, len(directory), zip64))


@dataclass
class _Span:
    """Where one member's compressed data lies, as global offsets into the joined parts."""

    member: Member
    start: int
    end: int
    end_with_descriptor: int


def _span(archive: SplitZip, member: Member) -> _Span:
    """Read the member's local header to find its data (and data descriptor, if any)."""
    header = archive.parts.read(member.offset, records.LOCAL_SIZE)
    try:
        start = member.offset + records.local_data_start(header)
    except ValueError:
        part, offset = archive.parts.locate(member.offset)
        raise ArchiveError(part, f"has no local header for {member.name!r} at byte {offset}: "
                                 "parts renamed, out of order or damaged?", FIX) from None
    end = start + member.compressed_size
    after = end
    if member.entry.flags & 0x8:  # data descriptor: optional signature, crc, two sizes
        probe = archive.parts.read(end, 4)
        sizes = 16 if archive.zip64 or member.size >= 0xFFFFFFFF else 8
        after += (4 if probe == records.SPANNING_SIG else 0) + 4 + sizes
    return _Span(member, start, end, after)


class _Check:
    """Running size and CRC-32 of one member's uncompressed data, fed its stored bytes in order."""

    def __init__(self, member: Member) -> None:
        self.member, self.crc, self.size = member, 0, 0
        self.error: str | None = None
        self.inflater = zlib.decompressobj(-15) if member.method == DEFLATED else None

    def feed(self, data: bytes | memoryview) -> None:
        """Account for the next piece of compressed data (inflating at most BLOCK at a time)."""
        if self.inflater is None:
            self._count(data)
            return
        try:
            self._count(self.inflater.decompress(data, BLOCK))
            while self.inflater.unconsumed_tail:
                self._count(self.inflater.decompress(self.inflater.unconsumed_tail, BLOCK))
        except zlib.error as exc:
            self.error = f"invalid deflate data: {exc}"

    def _count(self, data: bytes | memoryview) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)

    def problem(self) -> str | None:
        """What is wrong with the member once all its data was fed, or None."""
        if self.error:
            return self.error
        if self.inflater is not None:
            try:
                self._count(self.inflater.flush())
            except zlib.error as exc:
                return f"invalid deflate data: {exc}"
            if not self.inflater.eof:
                return "its deflate data ends early"
        if self.size != self.member.size:
            return f"{self.size} bytes uncompressed where the directory says {self.member.size}"
        if self.crc != self.member.crc:
            return f"CRC {self.crc:08x} where the directory says {self.member.crc:08x}"
        return None


class _Checks:
    """Feeds each copied block to the members whose data it holds, in archive order."""

    def __init__(self, archive: SplitZip, spans: list[_Span]) -> None:
        self.archive, self.spans, self.next = archive, spans, 0
        self.current: _Check | None = None

    def feed(self, start: int, block: bytes) -> None:
        """``block`` is the copy of global bytes ``start .. start + len(block)``."""
        end, view = start + len(block), memoryview(block)
        while self.next < len(self.spans) and self.spans[self.next].start < end:
            span = self.spans[self.next]
            self.current = self.current or _Check(span.member)
            lo, hi = max(span.start, start), min(span.end, end)
            if self.current.error is None and lo < hi:
                self.current.feed(view[lo - start:hi - start])
            if span.end > end:
                return
            self._finish(span)

    def finish_all(self) -> None:
        """Check the members not finished yet (empty members at the very end)."""
        while self.next < len(self.spans):
            self.current = self.current or _Check(self.spans[self.next].member)
            self._finish(self.spans[self.next])

    def _finish(self, span: _Span) -> None:
        problem = self.current.problem()
        self.current, self.next = None, self.next + 1
        if problem:
            parts = self._parts_of(span)
            spans = f"; its data spans parts {', '.join(Path(p).name for p in parts)}" \
                if len(parts) > 1 else ""
            raise ArchiveError(parts[0], f"member {span.member.name!r} is corrupt ({problem})"
                                         f"{spans}", FIX)

    def _parts_of(self, span: _Span) -> list[str]:
        """The part files holding the member's data, in order, for the message."""
        last = max(span.start, span.end - 1)
        return [part.path for part in self.archive.parts.parts
                if part.start <= last and span.start < part.start + part.size]

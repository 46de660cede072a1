"""The zip records mattehub needs, parsed from bytes (APPNOTE 6.3.x, sections 4.3.7-4.3.16).

Only what reading members needs: end-of-central-directory (plain and zip64), central
directory entries (with the zip64 extra field), and local file headers.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

EOCD_SIG, EOCD64_SIG, LOCATOR64_SIG = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
CENTRAL_SIG, LOCAL_SIG, SPANNING_SIG = b"PK\x01\x02", b"PK\x03\x04", b"PK\x07\x08"
EOCD_SIZE, LOCATOR64_SIZE, CENTRAL_SIZE, LOCAL_SIZE = 22, 20, 46, 30
MAX_COMMENT = 0xFFFF
FLAG_ENCRYPTED, FLAG_UTF8 = 0x1, 0x800
ZIP64_EXTRA, UNICODE_PATH_EXTRA = 0x0001, 0x7075


@dataclass(frozen=True)
class EndRecord:
    """Where the central directory is: (disk, offset on that disk), size, entry count."""

    disks: int
    cd_disk: int
    cd_offset: int
    cd_size: int
    entries: int

    @property
    def needs_zip64(self) -> bool:
        return 0xFFFF in (self.disks - 1, self.cd_disk, self.entries) or \
            0xFFFFFFFF in (self.cd_offset, self.cd_size)


def parse_eocd(tail: bytes) -> tuple[EndRecord, int] | None:
    """The last EOCD record in ``tail`` and its position there, or None if there is none."""
    at = tail.rfind(EOCD_SIG, 0, len(tail) - EOCD_SIZE + 4)
    while at >= 0:
        disk, cd_disk, _, total, size, offset, comment = struct.unpack_from("<4H2IH", tail, at + 4)
        if at + EOCD_SIZE + comment == len(tail):
            return EndRecord(disk + 1, cd_disk, offset, size, total), at
        at = tail.rfind(EOCD_SIG, 0, at)
    return None


def parse_locator64(data: bytes) -> tuple[int, int, int] | None:
    """(disk of the zip64 EOCD, its offset on that disk, total disks), or None."""
    if len(data) < LOCATOR64_SIZE or data[:4] != LOCATOR64_SIG:
        return None
    return struct.unpack_from("<IQI", data, 4)


def parse_eocd64(data: bytes) -> EndRecord | None:
    """The zip64 end record, or None if ``data`` does not start with one."""
    if len(data) < 56 or data[:4] != EOCD64_SIG:
        return None
    disk, cd_disk, _, total, size, offset = struct.unpack_from("<2I4Q", data, 16)
    return EndRecord(disk + 1, cd_disk, offset, size, total)


@dataclass(frozen=True)
class CentralEntry:
    """One member as the central directory describes it."""

    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    disk: int
    offset: int
    extra: bytes
    time_date: int
    version: tuple[int, int]
    attributes: tuple[int, int]
    unicode_name: str | None
    raw32: tuple[int, int, int, int]  # (compressed size, size, offset, disk) as stored in 32/16 bits


def _zip64_values(extra: bytes, wanted: list[str]) -> dict[str, int]:
    """Values from the zip64 extra field, for the fields whose 32/16-bit slot overflowed."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == ZIP64_EXTRA:
            values, at = {}, pos + 4
            for name in wanted:
                width = 4 if name == "disk" else 8
                if at + width > pos + 4 + length:
                    raise ValueError("zip64 extra field too short")
                values[name] = int.from_bytes(extra[at:at + width], "little")
                at += width
            return values
        pos += 4 + length
    if wanted:
        raise ValueError("zip64 extra field missing")
    return {}


def _unicode_path(extra: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (0x7075), when present."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == UNICODE_PATH_EXTRA and length >= 5:
            return extra[pos + 9:pos + 4 + length].decode("utf-8")
        pos += 4 + length
    return None


def parse_central(data: bytes, at: int) -> tuple[CentralEntry, int]:
    """The central directory entry at ``at``, and the position of the next one."""
    if data[at:at + 4] != CENTRAL_SIG:
        raise ValueError(f"no central directory entry at byte {at}")
    (made, need, flags, method, time_, date, crc, csize, usize, nlen, xlen, clen, disk, iattr,
     eattr, offset) = struct.unpack_from("<6H3I5HII", data, at + 4)
    name_at = at + CENTRAL_SIZE
    raw_name, extra = data[name_at:name_at + nlen], data[name_at + nlen:name_at + nlen + xlen]
    wanted = [k for k, v in (("size", usize), ("compressed_size", csize), ("offset", offset))
              if v == 0xFFFFFFFF] + (["disk"] if disk == 0xFFFF else [])
    big = _zip64_values(extra, wanted)
    entry = CentralEntry(raw_name, flags, method, crc, big.get("compressed_size", csize),
                         big.get("size", usize), big.get("disk", disk), big.get("offset", offset),
                         extra, time_ | date << 16, (made, need), (iattr, eattr), _unicode_path(extra),
                         (csize, usize, offset, disk))
    return entry, name_at + nlen + xlen + clen


CENTRAL_STRUCT = struct.Struct("<4s6H3I5HII")
"""A central directory entry's fixed fields, signature first (``parse_central``'s layout)."""
UNICODE_TAG = struct.pack("<H", UNICODE_PATH_EXTRA)


def local_data_start(header: bytes) -> int:
    """Bytes from a local header's start to its member data."""
    if header[:4] != LOCAL_SIG:
        raise ValueError("no local file header")
    nlen, xlen = struct.unpack_from("<HH", header, 26)
    return LOCAL_SIZE + nlen + xlen


def without_zip64(extra: bytes) -> bytes:
    """``extra`` with its zip64 field removed (it is rewritten when offsets change)."""
    kept, pos = [], 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag != ZIP64_EXTRA:
            kept.append(extra[pos:pos + 4 + length])
        pos += 4 + length
    return b"".join(kept)


def central_bytes(entry: CentralEntry, offset: int) -> bytes:
    """A central directory entry for ``entry`` on disk 0 at ``offset`` (zip64 where needed)."""
    csize32, size32, offset32, _ = entry.raw32
    big = []
    if size32 == 0xFFFFFFFF or entry.size >= 0xFFFFFFFF:
        size32 = 0xFFFFFFFF
        big.append(entry.size)
    if csize32 == 0xFFFFFFFF or entry.compressed_size >= 0xFFFFFFFF:
        csize32 = 0xFFFFFFFF
        big.append(entry.compressed_size)
    if offset32 == 0xFFFFFFFF or offset >= 0xFFFFFFFF:
        offset32 = 0xFFFFFFFF
        big.append(offset)
    else:
        offset32 = offset
    extra = without_zip64(entry.extra)
    if big:
        extra = struct.pack("<HH", ZIP64_EXTRA, 8 * len(big)) + struct.pack(f"<{len(big)}Q", *big) + extra
    fixed = struct.pack("<4s6H3I5HII", CENTRAL_SIG, *entry.version, entry.flags, entry.method,
                        entry.time_date & 0xFFFF, entry.time_date >> 16, entry.crc, csize32, size32,
                        len(entry.raw_name), len(extra), 0, 0, *entry.attributes, offset32)
    return fixed + entry.raw_name + extra


def end_bytes(entries: int, cd_offset: int, cd_size: int, zip64: bool) -> bytes:
    """End records of a single-file archive (zip64 end + locator first when asked)."""
    out = b""
    if zip64:
        eocd64_at = cd_offset + cd_size
        out += struct.pack("<4sQ2H2I4Q", EOCD64_SIG, 44, 45, 45, 0, 0, entries, entries,
                           cd_size, cd_offset)
        out += struct.pack("<4sIQI", LOCATOR64_SIG, 0, eocd64_at, 1)
    clip = lambda value, top: min(value, top)  # noqa: E731
    out += struct.pack("<4s4H2IH", EOCD_SIG, 0, 0, clip(entries, 0xFFFF), clip(entries, 0xFFFF),
                       clip(cd_size, 0xFFFFFFFF), clip(cd_offset, 0xFFFFFFFF), 0)
    return out

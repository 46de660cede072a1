"""``mattehub reassemble``: the ``zip -F X.zip --out X_all.zip`` equivalent, streaming.

The member bytes (local headers + data) are copied unchanged from the parts, in order,
without the 4-byte split signature; only the central directory is rewritten, with every
member on disk 0 at its new offset (zip64 fields where offsets or sizes need them).
Memory use is one copy block; the output is written to a temp name and renamed.
"""
from __future__ import annotations

import os
from pathlib import Path

from tqdm.auto import tqdm

from . import records
from .splitzip import SplitZip

BLOCK = 8 * 2**20


def reassemble(path: str, out: str | Path, progress: bool = True) -> Path:
    """Write the archive at ``path`` (split or not) as one standard zip at ``out``."""
    archive, out = SplitZip(path), Path(out)
    parts = archive.parts
    shift = 4 if len(parts.parts) > 1 else 0
    data_end = max((_member_end(archive, m) for m in archive.members), default=shift)
    tmp = out.with_name(out.name + ".tmp-" + str(os.getpid()))
    with open(tmp, "wb") as sink, tqdm(total=data_end - shift, unit="B", unit_scale=True,
                                       disable=not progress, desc=f"reassemble {out.name}") as bar:
        for start in range(shift, data_end, BLOCK):
            block = parts.read(start, min(BLOCK, data_end - start))
            sink.write(block)
            bar.update(len(block))
        cd_offset = sink.tell()
        directory = b"".join(records.central_bytes(m.entry, m.offset - shift) for m in archive.members)
        sink.write(directory)
        zip64 = archive.zip64 or cd_offset >= 0xFFFFFFFF or len(archive.members) >= 0xFFFF
        sink.write(records.end_bytes(len(archive.members), cd_offset, len(directory), zip64))
    os.replace(tmp, out)
    return out


def _member_end(archive: SplitZip, member) -> int:
    """Global offset just past a member's data (and its data descriptor, if any)."""
    header = archive.parts.read(member.offset, records.LOCAL_SIZE)
    nlen, xlen = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    end = member.offset + records.LOCAL_SIZE + nlen + xlen + member.compressed_size
    if member.entry.flags & 0x8:  # data descriptor: optional signature, crc, two sizes
        probe = archive.parts.read(end, 4)
        sizes = 16 if archive.zip64 or member.size >= 0xFFFFFFFF else 8
        end += (4 if probe == b"PK\x07\x08" else 0) + 4 + sizes
    return end

"""WebDataset tar shards: the members ``webdataset.TarWriter`` writes, written with ``tarfile``.

Members are ``<key>.<field>``: images keep their PNG/JPEG bytes, lists are one msgpack
member (see ``mattehub.contract.schema``), meta is compact JSON with sorted keys. The tar header
mtime is fixed so identical samples give identical tars.

Why not ``webdataset.TarWriter`` itself: it is a thin layer over the standard library's
``tarfile`` (sorted member names, fixed owner and mode), but importing ``webdataset`` imports
torch when torch is installed: ~1.5 s and ~180 MiB per build, more than writing the tars of a
small build. The same ``tarfile`` calls with the same header values give byte-identical tars
(tests/test_tar_writer.py compares them with ``webdataset.TarWriter``'s).
"""
from __future__ import annotations

import io
import json
import tarfile

import msgpack

from mattehub.contract.schema import IMAGE, META, KEY_FIELD, Schema
from mattehub.contract.sample import EncodedSample
from mattehub.formats.base import ShardWriter

TAR_MTIME = 1_700_000_000  # fixed header time: reproducible tars
TAR_OWNER, TAR_MODE = "bigdata", 0o444  # webdataset.TarWriter's header values


def to_members(sample: EncodedSample, schema: Schema) -> dict[str, bytes | str]:
    """The ``TarWriter`` dict (``__key__`` + one entry per member) for a sample."""
    members: dict[str, bytes | str] = {KEY_FIELD: sample.key}
    for spec in schema.fields:
        value = sample.fields[spec.name]
        if spec.kind == IMAGE:
            members[spec.wds_name] = value
        elif spec.kind == META:
            members[spec.wds_name] = json.dumps(schema.full_meta(value), sort_keys=True,
                                                separators=(",", ":")).encode("utf-8")
        else:
            members[spec.wds_name] = msgpack.packb(value, use_bin_type=True)
    return members


class WebDatasetShardWriter(ShardWriter):
    """One ``.tar`` shard."""

    format = "webdataset"
    suffix = ".tar"

    def __init__(self, path, schema, row_group_bytes) -> None:
        super().__init__(path, schema, row_group_bytes)
        self._file = open(path, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w|")

    def write(self, sample: EncodedSample) -> None:
        members = to_members(sample, self.schema)
        key = members.pop(KEY_FIELD)
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(f"{key}.{name}")
            info.size, info.mtime, info.mode = len(data), TAR_MTIME, TAR_MODE
            info.uname = info.gname = TAR_OWNER
            self._tar.addfile(info, io.BytesIO(data))

    def close(self) -> None:
        self._tar.close()
        self._file.close()

    def _release(self) -> None:
        tar = self._tar
        tar.closed = True  # tarfile (and its stream wrapper) would flush into the file again
        if tar.fileobj is not self._file:
            tar.fileobj.closed = True
        self._file.close()

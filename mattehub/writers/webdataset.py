"""WebDataset tar shards, written with the ``webdataset`` library's ``TarWriter``.

Members are ``<key>.<field>``: images keep their PNG/JPEG bytes, lists are one msgpack
member (see ``mattehub.contract``), meta is compact JSON with sorted keys. The tar header
mtime is fixed so identical samples give identical tars.
"""
from __future__ import annotations

import json

import msgpack

from ..contract import IMAGE, META, KEY_FIELD
from ..sample import EncodedSample
from .base import ShardWriter

TAR_MTIME = 1_700_000_000  # fixed header time: reproducible tars


def to_members(sample: EncodedSample, specs) -> dict[str, bytes | str]:
    """The ``TarWriter`` dict (``__key__`` + one entry per member) for a sample."""
    members: dict[str, bytes | str] = {KEY_FIELD: sample.key}
    for spec in specs:
        value = sample.fields[spec.name]
        if spec.kind == IMAGE:
            members[spec.wds_name] = value
        elif spec.kind == META:
            members[spec.wds_name] = json.dumps(value, sort_keys=True,
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
        import webdataset  # here, not at import: with torch installed it imports torch (~2 s)

        self._file = open(path, "wb")
        self._tar = webdataset.TarWriter(self._file, encoder=False, mtime=TAR_MTIME)

    def write(self, sample: EncodedSample) -> None:
        self._tar.write(to_members(sample, self.schema.fields))

    def close(self) -> None:
        self._tar.close()
        self._file.close()

    def _release(self) -> None:
        tar = self._tar.tarstream
        tar.closed = True  # tarfile (and its stream wrapper) would flush into the file again
        if tar.fileobj is not self._file:
            tar.fileobj.closed = True
        self._file.close()

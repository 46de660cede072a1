"""WebDataset tar shards: the members ``webdataset.TarWriter`` writes, written with ``tarfile``;
and read back, members grouped by key.

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
import zlib
from collections.abc import Iterator
from typing import Any

import msgpack

from mattehub.contract.schema import IMAGE, META, KEY_FIELD, Schema
from mattehub.contract.sample import EncodedSample
from mattehub.formats.base import (BadField, HashingFile, Row, ShardReader, ShardWriter,
                                   Unreadable)

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
    algorithms = ("sha256", "md5")  # md5: what wids indexes record

    def __init__(self, path, schema, row_group_bytes) -> None:
        super().__init__(path, schema, row_group_bytes)
        self.file = HashingFile(path, self.algorithms)
        self._tar = tarfile.open(fileobj=self.file, mode="w|")

    def write(self, sample: EncodedSample, payload_bytes: int | None = None) -> None:
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
        self.file.close()

    def _release(self) -> None:
        tar = self._tar
        tar.closed = True  # tarfile (and its stream wrapper) would flush into the file again
        if tar.fileobj is not self.file:
            tar.fileobj.closed = True
        self.file.discard()


class WebDatasetShardReader(ShardReader):
    """One ``.tar`` shard read back: consecutive members sharing a key are one row."""

    format = "webdataset"

    def rows(self) -> Iterator[Row]:
        """(row, key, fields): ``.json`` members parsed, ``.mp`` unpacked, images as bytes."""
        row = 0
        try:
            with self._open() as tar:
                key, members = None, {}
                for info in tar:
                    if not info.isfile():
                        continue
                    name_key, _, suffix = info.name.partition(".")
                    if members and name_key != key:
                        yield row, key, _tar_fields(members)
                        row, members = row + 1, {}
                    key, members[suffix] = name_key, tar.extractfile(info).read()
                if members:
                    yield row, key, _tar_fields(members)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise Unreadable(f"row {row}: the tar is truncated or damaged here ({exc})", exc) from None

    def _open(self) -> tarfile.TarFile:
        if hasattr(self.source, "read"):
            return tarfile.open(fileobj=self.source, mode="r|")
        return tarfile.open(self.source, "r|")


def _tar_fields(members: dict[str, bytes]) -> dict[str, Any]:
    """Field name -> value (``.json`` parsed, ``.mp`` unpacked; a BadField if that fails)."""
    fields: dict[str, Any] = {}
    for suffix, data in members.items():
        name, _, ext = suffix.partition(".")
        try:
            if ext == "json":
                fields[name] = json.loads(data)
            elif ext == "mp":
                fields[name] = msgpack.unpackb(data, raw=False)
            else:
                fields[name] = data
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            fields[name] = BadField(f"member {suffix} cannot be parsed ({type(exc).__name__})")
    return fields

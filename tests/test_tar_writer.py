"""The tar shard writer writes, without ``tarfile``, what ``webdataset.TarWriter`` would write:
the same bytes, so readers of either kind see the same shards."""
from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
import webdataset

from mattehub.contract.schema import IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.contract.sample import EncodedSample
from mattehub.formats.base import HashingFile
from mattehub.formats.webdataset import (TAR_MODE, TAR_MTIME, TAR_OWNER, TarStream,
                                         WebDatasetShardWriter, to_members)

SCHEMA = Schema("t", "image-him", (FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                                   FieldSpec("instance_alphas", IMAGE_LIST), FieldSpec("meta", META)))
LONG = "x" * 120  # over ustar's 100-character name field: tarfile adds a PAX header
ODD = Schema("t", "image-him", (FieldSpec(LONG, IMAGE), FieldSpec("álpha", IMAGE),
                                FieldSpec("meta", META)))


def _samples(schema: Schema = SCHEMA) -> list[EncodedSample]:
    values = {IMAGE: lambda i: bytes([i]) * (100 + 700 * i), IMAGE_LIST: lambda i: [b"a" * i, b""],
              META: lambda i: {"i": i, "é": "ü"}}
    return [EncodedSample(i, f"{i:08d}", {spec.name: values[spec.kind](i) for spec in schema.fields})
            for i in range(5)]


@pytest.mark.parametrize("schema", [SCHEMA, ODD], ids=["plain", "long-and-non-ascii-names"])
def test_tars_are_byte_identical_to_webdatasets_tar_writer(tmp_path, schema):
    ours = tmp_path / "ours.tar"
    writer = WebDatasetShardWriter(ours, schema, 1 << 20)
    for sample in _samples(schema):
        writer.write(sample)
    writer.close()

    buffer = io.BytesIO()
    reference = webdataset.TarWriter(buffer, encoder=False, mtime=TAR_MTIME)
    for sample in _samples(schema):
        reference.write(to_members(sample, schema))
    reference.close()
    assert ours.read_bytes() == buffer.getvalue()
    assert writer.digests() == {"bytes": len(buffer.getvalue()),
                                "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
                                "md5": hashlib.md5(buffer.getvalue()).hexdigest()}


NAMES = ["a.png", "n" * 100, "n" * 101, "dir/" * 30 + "x.png", "é.png", "ключ.json", "中" * 40]
SIZES = [0, 1, 511, 512, 513, 10240, 70_000]


@pytest.mark.parametrize("name", NAMES, ids=["short", "100", "101", "dirs", "é", "cyrillic", "cjk"])
def test_every_member_header_is_the_one_tarfile_writes(tmp_path, name):
    ours = HashingFile(tmp_path / "ours.tar")
    stream = TarStream(ours)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|") as reference:
        for size in SIZES:
            data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
            stream.add(f"{size}{name}", data)
            info = tarfile.TarInfo(f"{size}{name}")
            info.size, info.mtime, info.mode = size, TAR_MTIME, TAR_MODE
            info.uname = info.gname = TAR_OWNER
            reference.addfile(info, io.BytesIO(data))
    stream.close()
    ours.close()
    assert (tmp_path / "ours.tar").read_bytes() == buffer.getvalue()

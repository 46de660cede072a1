"""The tar shard writer writes with ``tarfile`` what ``webdataset.TarWriter`` would write:
the same bytes, so readers of either kind see the same shards."""
from __future__ import annotations

import io

import webdataset

from mattehub.contract.schema import IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.contract.sample import EncodedSample
from mattehub.formats.webdataset import TAR_MTIME, WebDatasetShardWriter, to_members

SCHEMA = Schema("t", "image-him", (FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                                   FieldSpec("instance_alphas", IMAGE_LIST), FieldSpec("meta", META)))


def _samples() -> list[EncodedSample]:
    return [EncodedSample(i, f"{i:08d}", {"image": bytes([i]) * (100 + 700 * i), "alpha": b"\x89PNG" * i,
                                          "instance_alphas": [b"a" * i, b""], "meta": {"i": i, "é": "ü"}})
            for i in range(5)]


def test_tars_are_byte_identical_to_webdatasets_tar_writer(tmp_path):
    ours = tmp_path / "ours.tar"
    writer = WebDatasetShardWriter(ours, SCHEMA, 1 << 20)
    for sample in _samples():
        writer.write(sample)
    writer.close()

    buffer = io.BytesIO()
    reference = webdataset.TarWriter(buffer, encoder=False, mtime=TAR_MTIME)
    for sample in _samples():
        reference.write(to_members(sample, SCHEMA))
    reference.close()
    assert ours.read_bytes() == buffer.getvalue()

"""Each format's reader gives back what its writer wrote (``mattehub.formats``), and a damaged
file is an ``Unreadable`` error saying where, for every format alike."""
from __future__ import annotations

import pytest

from mattehub.contract.features import Value
from mattehub.contract.sample import EncodedSample
from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.formats import READERS, WRITERS
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import ParquetShardReader

SCHEMA = Schema("t", "image-him", (FieldSpec("image", IMAGE, "jpg"), FieldSpec("alpha", IMAGE),
                                   FieldSpec("instance_alphas", IMAGE_LIST),
                                   FieldSpec("frames", CLIP), FieldSpec("meta", META)),
                meta_features={"i": Value("int64"), "name": Value("string")})


def _samples() -> list[EncodedSample]:
    return [EncodedSample(i, f"{i:08d}", {"image": bytes([i + 1]) * (50 + 300 * i),
                                          "alpha": b"\x89PNG" * (i + 1),
                                          "instance_alphas": [b"a" * (i + 1), b"b"],
                                          "frames": [[b"f0"], [b"f1", b"f2"]],
                                          "meta": {"i": i, "name": "é"}})
            for i in range(5)]


def _write(tmp_path, fmt: str, row_group_bytes: int = 1 << 20):
    path = tmp_path / f"shard.{fmt}"
    writer = WRITERS[fmt](path, SCHEMA, row_group_bytes)
    for sample in _samples():
        writer.write(sample)
    writer.close()
    return path


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_reader_gives_back_what_the_writer_wrote(tmp_path, fmt):
    path = _write(tmp_path, fmt, row_group_bytes=600)
    rows = list(READERS[fmt](path).rows())
    assert [(row, key) for row, key, _ in rows] == [(i, f"{i:08d}") for i in range(5)]
    assert [fields for _, _, fields in rows] == [sample.fields for sample in _samples()]


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_reader_reads_an_open_file_too(tmp_path, fmt):
    path = _write(tmp_path, fmt)
    with open(path, "rb") as handle:
        assert len(list(READERS[fmt](handle).rows())) == 5


def test_parquet_reader_reads_row_groups_and_columns(tmp_path):
    path = _write(tmp_path, "parquet", row_group_bytes=600)
    reader = ParquetShardReader(path)
    assert reader.columns() == ["__key__", "image", "alpha", "instance_alphas", "frames", "meta"]
    groups = list(reader.tables(["__key__"]))
    assert [group for group, _ in groups] == list(range(len(groups))) and len(groups) > 1
    assert sum(table.num_rows for _, table in groups) == 5
    assert all(table.column_names == ["__key__"] for _, table in groups)


@pytest.mark.parametrize("fmt, says", [("parquet", "cannot be opened as Parquet"),
                                       ("webdataset", "row \\d: the tar is truncated")])
def test_a_truncated_shard_is_unreadable(tmp_path, fmt, says):
    path = _write(tmp_path, fmt)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    reader = READERS[fmt](path)  # opening is lazy: nothing raises before reading
    with pytest.raises(Unreadable, match=says) as error:
        list(reader.rows())
    assert error.value.cause is not None

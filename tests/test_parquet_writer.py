"""The Parquet shard writer builds each row group's Arrow columns at once, and its files are
byte for byte those of ``pa.Table.from_pylist`` over one ``to_row`` dict per row (how it
wrote them before)."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mattehub.contract.sample import EncodedSample
from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST
from mattehub.formats.parquet import WRITE_OPTIONS, ParquetShardWriter, column, to_row
from test_formats import SCHEMA, _samples


def _odd_samples() -> list[EncodedSample]:
    """Empty lists, empty frames, empty images, a meta key missing."""
    return [EncodedSample(9, "00000009", {"image": b"", "alpha": b"\x89PNG", "instance_alphas": [],
                                          "frames": [], "meta": {"i": 9}}),
            EncodedSample(10, "00000010", {"image": b"j", "alpha": b"p", "instance_alphas": [b""],
                                           "frames": [[], [b"f"]], "meta": {"name": "ü"}})]


def _image(data: bytes) -> dict:
    return {"bytes": data, "path": None}


@pytest.mark.parametrize("row_group_bytes", [1, 600, 1 << 20])
def test_parquet_is_byte_identical_to_one_dict_per_row(tmp_path, row_group_bytes):
    samples = _samples() + _odd_samples()
    ours = tmp_path / "ours.parquet"
    writer = ParquetShardWriter(ours, SCHEMA, row_group_bytes)
    for sample in samples:
        writer.write(sample)
    writer.close()

    schema = SCHEMA.parquet_features().arrow_schema
    kinds = {spec.name: spec.kind for spec in SCHEMA.fields}
    reference = pq.ParquetWriter(tmp_path / "reference.parquet", schema, **WRITE_OPTIONS)
    group: list[dict] = []
    size = 0
    for sample in samples:
        group.append(to_row(sample, kinds))
        size += sample.payload_bytes()
        if size >= row_group_bytes or sample is samples[-1]:
            reference.write_table(pa.Table.from_pylist(group, schema=schema), row_group_size=len(group))
            group, size = [], 0
    reference.close()
    assert pq.ParquetFile(ours).num_row_groups == pq.ParquetFile(tmp_path / "reference.parquet").num_row_groups
    assert ours.read_bytes() == (tmp_path / "reference.parquet").read_bytes()


@pytest.mark.parametrize("name, kind, values", [
    ("image", IMAGE, [b"a", b"", None]),
    ("instance_alphas", IMAGE_LIST, [[b"a", b"b"], [], [b""]]),
    ("frames", CLIP, [[[b"a"], []], [], [[b"b", b"c"]]]),
])
def test_a_column_is_the_array_of_its_rows(name, kind, values):
    arrow_type = SCHEMA.parquet_features().arrow_schema.field(name).type
    rows = [_row_value(value, kind) for value in values]
    assert column(values, kind, arrow_type).equals(pa.array(rows, arrow_type))


def _row_value(value, kind: str):
    if kind == IMAGE:
        return _image(value)
    return [_row_value(item, IMAGE if kind == IMAGE_LIST else IMAGE_LIST) for item in value]

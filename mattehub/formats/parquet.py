"""Parquet shards with ``datasets`` features in the Arrow schema metadata.

Images are ``{"bytes", "path"}`` structs (``datasets.Image``), lists of them are lists of
structs, meta is a typed struct. Row groups are cut by payload bytes (``row_group_bytes``)
because streaming readers and the Hub viewer read one whole row group at a time.
Content-defined chunking is on so re-uploads of similar shards deduplicate on the Hub.
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, KEY_FIELD
from mattehub.contract.sample import EncodedSample
from mattehub.formats.base import ShardWriter


def _image(data: bytes) -> dict:
    return {"bytes": data, "path": None}


def to_row(sample: EncodedSample, kinds: dict[str, str]) -> dict[str, Any]:
    """A Parquet row (``datasets`` storage layout) for one encoded sample."""
    row: dict[str, Any] = {KEY_FIELD: sample.key}
    for name, kind in kinds.items():
        value = sample.fields[name]
        if kind == IMAGE:
            row[name] = _image(value)
        elif kind == IMAGE_LIST:
            row[name] = [_image(item) for item in value]
        elif kind == CLIP:
            row[name] = [[_image(item) for item in frame] for frame in value]
        else:
            row[name] = value
    return row


class ParquetShardWriter(ShardWriter):
    """One ``.parquet`` shard."""

    format = "parquet"
    suffix = ".parquet"

    def __init__(self, path, schema, row_group_bytes) -> None:
        super().__init__(path, schema, row_group_bytes)
        self.arrow_schema = schema.parquet_features().arrow_schema
        self.kinds = {spec.name: spec.kind for spec in schema.fields}
        self._rows: list[dict] = []
        self._bytes = 0
        self._writer = pq.ParquetWriter(path, self.arrow_schema, compression="zstd",
                                        use_content_defined_chunking=True,
                                        write_page_index=True)

    def write(self, sample: EncodedSample) -> None:
        self._rows.append(to_row(sample, self.kinds))
        self._bytes += sample.payload_bytes()
        if self._bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            table = pa.Table.from_pylist(self._rows, schema=self.arrow_schema)
            self._writer.write_table(table, row_group_size=len(self._rows))
        self._rows, self._bytes = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def _release(self) -> None:
        self._rows = []
        try:
            self._writer.close()
        finally:
            self._writer.is_open = False  # pyarrow's __del__ would try to close it again

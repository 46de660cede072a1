"""Parquet shards with ``datasets`` features in the Arrow schema metadata: the writer and
the reader.

Images are ``{"bytes", "path"}`` structs (``datasets.Image``), lists of them are lists of
structs, meta is a typed struct. Row groups are cut by payload bytes (``row_group_bytes``)
because streaming readers and the Hub viewer read one whole row group at a time.
Content-defined chunking is on so re-uploads of similar shards deduplicate on the Hub.
The reader reads one row group at a time too, and takes the column kinds from the
``datasets`` features the writer embedded.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, KEY_FIELD, META
from mattehub.contract.sample import EncodedSample
from mattehub.formats.base import Row, ShardReader, ShardWriter, Unreadable

_ARROW_ERRORS = (pa.ArrowException, OSError, ValueError)


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

    def __init__(self, path, schema, row_group_bytes) -> None:
        super().__init__(path, schema, row_group_bytes)
        self.arrow_schema = schema.arrow_schema()
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


class ParquetShardReader(ShardReader):
    """One ``.parquet`` shard read back, one row group in memory at a time."""

    format = "parquet"

    def _file(self) -> pq.ParquetFile:
        """The open file (opened once); Unreadable when it is not Parquet."""
        if not hasattr(self, "_parquet"):
            try:
                self._parquet = pq.ParquetFile(self.source)
            except _ARROW_ERRORS as exc:
                raise Unreadable(f"cannot be opened as Parquet, truncated or damaged? ({exc})",
                                 exc) from None
        return self._parquet

    def columns(self) -> list[str]:
        """The shard's column names."""
        return self._file().schema_arrow.names

    def tables(self, columns: list[str] | None = None) -> Iterator[tuple[int, pa.Table]]:
        """(row group number, its ``columns`` (all: None)) for every row group, in order."""
        parquet, row = self._file(), 0
        for group in range(parquet.num_row_groups):
            try:
                table = parquet.read_row_group(group, columns=columns)
            except _ARROW_ERRORS as exc:
                raise Unreadable(f"row group {group} (rows from {row} on) cannot be read, "
                                 f"truncated or damaged? ({exc})", exc, group) from None
            yield group, table
            row += table.num_rows

    def rows(self) -> Iterator[Row]:
        """(row, key, fields): image structs become their bytes."""
        kinds = self._kinds()
        row = 0
        for _, table in self.tables():
            for values in table.to_pylist():
                key = values.pop(KEY_FIELD, None)
                yield row, key, {name: _unwrap(value, kinds.get(name)) for name, value in values.items()}
                row += 1

    def _kinds(self) -> dict[str, str]:
        """Contract kind of each column, from the ``datasets`` features the writer embedded."""
        metadata = self._file().schema_arrow.metadata or {}
        try:
            if b"huggingface" not in metadata:
                raise ValueError("no `huggingface` features in its schema metadata")
            features = json.loads(metadata[b"huggingface"])["info"]["features"]
        except ValueError as exc:
            raise Unreadable(f"cannot be opened as Parquet, truncated or damaged? ({exc})",
                             exc) from None
        return {name: feature_kind(feature) for name, feature in features.items()}


def _unwrap(value: Any, kind: str | None) -> Any:
    """A Parquet value in the recipe's terms: image structs become their bytes."""
    if value is None or kind in (None, META):
        return value
    if kind == IMAGE:
        return value.get("bytes") if isinstance(value, dict) else value
    inner = IMAGE if kind == IMAGE_LIST else IMAGE_LIST
    return [_unwrap(item, inner) for item in value]


def feature_kind(feature: Any) -> str | None:
    """The contract kind of a ``datasets`` feature dict (``Features.to_dict()`` form)."""
    if not isinstance(feature, dict):
        return None
    if feature.get("_type") == "Image":
        return IMAGE
    if feature.get("_type") in ("List", "Sequence", "LargeList"):
        return {IMAGE: IMAGE_LIST, IMAGE_LIST: CLIP}.get(feature_kind(feature.get("feature")))
    return None if "_type" in feature else META

"""Reading shard files row by row for ``mattehub verify``: Parquet one row group at a time,
tar members grouped by key, and field values unwrapped to the recipe's terms.

Each reader yields ``(row, key, fields)``; a file that breaks off raises ``Unreadable`` and a
field that cannot be parsed becomes a ``BadField`` value."""
from __future__ import annotations

import json
import tarfile
import zlib
from pathlib import Path
from typing import Any, Iterator

import msgpack
import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.contract.schema import CLIP, IMAGE, IMAGE_LIST, KEY_FIELD, META
from mattehub.verify.report import BadField, Unreadable


def parquet_rows(path: Path) -> Iterator[tuple[int, str, dict]]:
    """(row, key, fields) of a Parquet shard, one row group in memory at a time."""
    try:
        parquet = pq.ParquetFile(path)
        kinds = _parquet_kinds(parquet)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise Unreadable(f"cannot be opened as Parquet, truncated or damaged? ({exc})") from None
    row = 0
    for group in range(parquet.num_row_groups):
        try:
            table = parquet.read_row_group(group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise Unreadable(f"row group {group} (rows from {row} on) cannot be read, truncated "
                             f"or damaged? ({exc})") from None
        for i in range(table.num_rows):
            values = table.slice(i, 1).to_pylist()[0]
            key = values.pop(KEY_FIELD, None)
            yield row, key, {name: _unwrap(value, kinds.get(name)) for name, value in values.items()}
            row += 1


def _parquet_kinds(parquet: pq.ParquetFile) -> dict[str, str]:
    """Contract kind of each column, from the ``datasets`` features the writer embedded."""
    metadata = parquet.schema_arrow.metadata or {}
    if b"huggingface" not in metadata:
        raise ValueError("no `huggingface` features in its schema metadata")
    features = json.loads(metadata[b"huggingface"])["info"]["features"]
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


def tar_rows(path: Path) -> Iterator[tuple[int, str, dict]]:
    """(row, key, fields) of a WebDataset tar: consecutive members sharing a key."""
    row = 0
    try:
        with tarfile.open(path, "r|") as tar:
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
        raise Unreadable(f"row {row}: the tar is truncated or damaged here ({exc})") from None


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

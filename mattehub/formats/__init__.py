"""Shard writers: one small interface (``ShardWriter``), one back-end per format."""
from __future__ import annotations

from mattehub.formats.base import ShardWriter
from mattehub.formats.parquet import ParquetShardWriter
from mattehub.formats.webdataset import WebDatasetShardWriter

WRITERS: dict[str, type[ShardWriter]] = {
    "parquet": ParquetShardWriter,
    "webdataset": WebDatasetShardWriter,
}

__all__ = ["WRITERS", "ShardWriter", "ParquetShardWriter", "WebDatasetShardWriter"]

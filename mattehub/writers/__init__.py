"""Shard writers: one small interface (``ShardWriter``), one back-end per format."""
from __future__ import annotations

from .base import ShardWriter
from .parquet import ParquetShardWriter
from .webdataset import WebDatasetShardWriter

WRITERS: dict[str, type[ShardWriter]] = {
    "parquet": ParquetShardWriter,
    "webdataset": WebDatasetShardWriter,
}

__all__ = ["WRITERS", "ShardWriter", "ParquetShardWriter", "WebDatasetShardWriter"]

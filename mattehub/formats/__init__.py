"""Shard formats: one small interface for writing (``ShardWriter``) and one for reading
(``ShardReader``), one module per format holding both (mosaicml streaming's ``format/<fmt>``
shape). ``WRITERS`` and ``READERS`` map a format name to its classes."""
from __future__ import annotations

from mattehub.formats.base import ShardReader, ShardWriter
from mattehub.formats.parquet import ParquetShardReader, ParquetShardWriter
from mattehub.formats.webdataset import WebDatasetShardReader, WebDatasetShardWriter

WRITERS: dict[str, type[ShardWriter]] = {
    "parquet": ParquetShardWriter,
    "webdataset": WebDatasetShardWriter,
}

READERS: dict[str, type[ShardReader]] = {
    "parquet": ParquetShardReader,
    "webdataset": WebDatasetShardReader,
}

__all__ = ["READERS", "WRITERS", "ShardReader", "ShardWriter", "ParquetShardReader",
           "ParquetShardWriter", "WebDatasetShardReader", "WebDatasetShardWriter"]

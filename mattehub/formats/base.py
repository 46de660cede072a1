"""The interfaces every format implements: a shard writer and a shard reader.

A writer owns one open file (a temp name chosen by the caller), accepts encoded samples in
order, and closes it. It never renames or hashes: completing a shard is the job of
``mattehub.build.sequence`` so that the rules (temp name, rename, stats last) live in one place.

A reader gives a shard's rows back in the recipe's terms (image bytes, parsed meta), for
``verify``, ``finalize`` (the preview), ``stats``, ``export`` and the ``datasets`` builder.
A file that breaks off raises ``Unreadable``; a field that cannot be parsed becomes a
``BadField`` value, so a reader never stops at a damaged field.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mattehub.contract.schema import Schema
from mattehub.contract.sample import EncodedSample


class ShardWriter(ABC):
    """Writes one shard of one format."""

    format: str

    def __init__(self, path: Path, schema: Schema, row_group_bytes: int) -> None:
        self.path = path
        self.schema = schema
        self.row_group_bytes = row_group_bytes

    @abstractmethod
    def write(self, sample: EncodedSample) -> None:
        """Append one sample."""

    @abstractmethod
    def close(self) -> None:
        """Flush and close the file."""

    @abstractmethod
    def _release(self) -> None:
        """Let go of the open file without flushing (no library may retry later)."""

    def abort(self) -> None:
        """Give up the shard (a failed build): close without flushing, delete the temp file."""
        try:
            self._release()
        except OSError:
            pass
        self.path.unlink(missing_ok=True)


Row = tuple[int, str, dict[str, Any]]
"""(row number in the shard, sample key, field name -> value)."""


class Unreadable(Exception):
    """A shard file cannot be read on from some point (message says where). ``cause`` is the
    underlying error; ``group`` the Parquet row group that failed (None: opening failed)."""

    def __init__(self, message: str, cause: BaseException | None = None,
                 group: int | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.group = group


class BadField(Exception):
    """One field of one sample is damaged (message says how)."""


class ShardReader(ABC):
    """Reads one shard of one format back; nothing is opened before ``rows`` is iterated."""

    format: str

    def __init__(self, source: str | Path | IO[bytes]) -> None:
        self.source = source
        """A path, or a binary file open for reading."""

    @abstractmethod
    def rows(self) -> Iterator[Row]:
        """Every row in order, values unwrapped to the recipe's terms."""

"""The interface every shard writer implements.

A writer owns one open file (a temp name chosen by the caller), accepts encoded samples in
order, and closes it. It never renames or hashes: completing a shard is the job of
``mattehub.build.sequence`` so that the rules (temp name, rename, stats last) live in one place.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from mattehub.contract.schema import Schema
from mattehub.contract.sample import EncodedSample


class ShardWriter(ABC):
    """Writes one shard of one format."""

    format: str
    suffix: str

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

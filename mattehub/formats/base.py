"""The interfaces every format implements: a shard writer and a shard reader.

A writer owns one open file (a temp name chosen by the caller), accepts encoded samples in
order, and closes it. Every byte goes through a ``HashingFile``, so after ``close`` the writer
knows its file's size and digests (``digests``) without reading it back. It never renames:
completing a shard is the job of ``mattehub.build.sequence`` so that the rules (temp name,
rename, stats last) live in one place.

A reader gives a shard's rows back in the recipe's terms (image bytes, parsed meta), for
``verify``, ``finalize`` (the preview), ``stats``, ``export`` and the ``datasets`` builder.
A file that breaks off raises ``Unreadable``; a field that cannot be parsed becomes a
``BadField`` value, so a reader never stops at a damaged field.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mattehub.contract.schema import Schema
from mattehub.contract.sample import EncodedSample


class HashingFile:
    """A file opened for writing that counts and hashes every byte as it is written.

    Why not hash the closed file: reading a shard back costs a second pass over its bytes
    (the page cache at best, the disk at worst) on the process that writes it. Writes below
    ``SMALL`` bytes (tar headers, Parquet page headers) are gathered into one buffer, so the
    hashes and the file see few, large blocks; larger writes go through as they are.
    """

    SMALL, BLOCK = 1 << 16, 1 << 20

    def __init__(self, path: Path, algorithms: tuple[str, ...] = ("sha256",)) -> None:
        self._file = open(path, "wb", buffering=0)
        self._hashes = {name: hashlib.new(name) for name in algorithms}
        self._pending = bytearray()
        self.size = 0
        """Bytes written so far."""

    @property
    def closed(self) -> bool:
        return self._file.closed

    def write(self, data: bytes | bytearray) -> int:
        """Append ``data``; returns its length (a file object's ``write``)."""
        size = len(data)
        self.size += size
        if size < self.SMALL:
            self._pending += data
            if len(self._pending) >= self.BLOCK:
                self._drain()
        else:
            self._drain()
            self._put(data)
        return size

    def flush(self) -> None:
        """Nothing to do: buffered bytes are written (and hashed) by ``close``."""

    def _drain(self) -> None:
        if self._pending:
            self._put(self._pending)
            self._pending = bytearray()

    def _put(self, data) -> None:
        for digest in self._hashes.values():
            digest.update(data)
        view = memoryview(data)
        while view.nbytes:  # an unbuffered write may take only part of the block
            view = view[self._file.write(view):]

    def close(self) -> None:
        """Write what is buffered and close the file."""
        if not self._file.closed:
            try:
                self._drain()
            finally:
                self._file.close()

    def discard(self) -> None:
        """Close without writing what is buffered (the file is about to be deleted)."""
        self._pending = bytearray()
        self._file.close()

    def digests(self) -> dict:
        """``bytes`` written and the hex digest of each algorithm, in the order given."""
        return {"bytes": self.size} | {name: h.hexdigest() for name, h in self._hashes.items()}


class ShardWriter(ABC):
    """Writes one shard of one format into ``file`` (a ``HashingFile`` on ``path``, opened
    last by the subclass's ``__init__``)."""

    format: str
    algorithms: tuple[str, ...] = ("sha256",)
    """Digests the shard's stats record (``hashlib`` names)."""
    file: HashingFile

    def __init__(self, path: Path, schema: Schema, row_group_bytes: int) -> None:
        self.path = path
        self.schema = schema
        self.row_group_bytes = row_group_bytes

    @abstractmethod
    def write(self, sample: EncodedSample, payload_bytes: int | None = None) -> None:
        """Append one sample (``payload_bytes``: its ``payload_bytes()`` when the caller
        has it already)."""

    def digests(self) -> dict:
        """After ``close``: the file's ``bytes`` and ``algorithms`` digests, hashed as written."""
        return self.file.digests()

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

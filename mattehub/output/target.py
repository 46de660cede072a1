"""Where a build's files end up: a local folder, or any fsspec location (``s3://``, ``hf://``,
``gcs://``, ``memory://``, ``file://``), behind one interface (``OutputTarget``;
``open_target(out)`` picks the back-end).

A local folder is written in place. A URL is written through a local staging folder: a shard
is written there by the usual code, then its files are uploaded and its stats last, so the
remote stats file is still the completion marker (a shard whose stats are missing is redone).
Summaries, cards and previews are made in a staging copy of ``_stats/`` and uploaded the same
way. Nothing is ever written outside ``--out``: uploads go below the URL only.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mattehub.core.errors import BuildError
from mattehub.output.layout import NAMES, OutputLayout, live_temp, split_file_number

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(out: str | Path) -> bool:
    """True for an fsspec URL (``memory://x``, ``s3://b/x``); False for a local path."""
    return bool(_URL.match(str(out)))


def local_path(out: str | Path) -> Path | None:
    """The local folder ``out`` names: the path itself, or the path of a ``file://`` URL
    (so the local folder checks apply to it too); None for other URLs."""
    if not is_url(out):
        return Path(out)
    from fsspec.core import url_to_fs
    from fsspec.implementations.local import LocalFileSystem

    try:
        fs, root = url_to_fs(str(out))
    except (ImportError, ValueError):
        return None  # FsspecTarget says why
    return Path(root) if isinstance(fs, LocalFileSystem) else None


def open_target(out: str | Path) -> OutputTarget:
    """The target for ``out``: a ``LocalTarget`` for a path, an ``FsspecTarget`` for a URL."""
    return FsspecTarget(out) if is_url(out) else LocalTarget(out)


class OutputTarget(ABC):
    """A build's output location. Paths given to and returned by its methods are relative
    to the output folder (``OutputLayout.relative``)."""

    remote: bool

    def __init__(self, out: str | Path) -> None:
        self.out = str(out).rstrip("/")

    @abstractmethod
    def staged(self) -> contextlib.AbstractContextManager[OutputLayout]:
        """The layout to write into; ``upload`` makes its files part of the output."""

    @abstractmethod
    def upload(self, layout: OutputLayout, rels: list[str]) -> None:
        """Make the files ``rels`` written into the staged ``layout`` part of the output, in
        order (so a shard's stats, sent last, still mark it complete)."""

    @abstractmethod
    def download(self, layout: OutputLayout, rels: list[str]) -> None:
        """Make the output's files ``rels`` (those that exist) readable in the staged ``layout``."""

    @abstractmethod
    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching ``pattern`` (e.g. ``_stats/*/*.build.json``), sorted."""

    @abstractmethod
    def _open(self, rel: str) -> IO[bytes]:
        """``rel`` opened for reading (OSError when missing)."""

    @abstractmethod
    def _size(self, rel: str) -> int | None:
        """Size of the file ``rel``; None when it is not a file."""

    @abstractmethod
    def _remove(self, rel: str) -> None:
        """Delete the file ``rel``."""

    def read_json(self, rel: str):
        """A JSON file of the output, or None when missing or unreadable."""
        try:
            with self._open(rel) as handle:
                return json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return None

    def remove_split(self, config: str, split: str) -> None:
        """Delete every shard, temp file and shard stats of ``config``/``split``: ``--overwrite``
        of a build with other options."""
        self.remove_shards(config, split, 0)

    def remove_shards(self, config: str, split: str, first_number: int) -> None:
        """Delete this split's temp files (not those a live writer may still rename:
        ``live_temp``), and its shards and stats numbered >= ``first_number``. Only names a
        build of the split writes are touched (``split_file_number``)."""
        for folder, suffix in NAMES.numbered_places(config):
            for rel in self.glob(f"{NAMES.relative(folder)}/{split}-*"):
                name = rel.rsplit("/", 1)[-1]
                found = split_file_number(name, split, suffix)
                if found and (not live_temp(name) if found[1] else found[0] >= first_number):
                    self._remove(rel)

    def complete_stats(self, config: str, split: str, number: int, fingerprint: str,
                       formats: tuple[str, ...]) -> dict | None:
        """Shard ``number``'s stats when it is complete and of this build: every file with
        the size *and sha256* its stats recorded (a flipped byte is redone); else None."""
        stats = self.read_json(NAMES.relative(NAMES.shard_stats(config, split, number)))
        if not stats or stats.get("fingerprint") != fingerprint or set(stats["files"]) != set(formats):
            return None
        if not all(self.matches(info) for info in stats["files"].values()):
            return None
        return stats

    def matches(self, info: dict) -> bool:
        """Whether the file a shard's stats describe (``info``: path, bytes, sha256) is there
        with exactly that size and sha256."""
        return self._digest(info["path"], info["bytes"]) == info["sha256"]

    def _digest(self, rel: str, size: int) -> str | None:
        """sha256 of ``rel`` when it exists with ``size`` bytes, else None."""
        try:
            if self._size(rel) != size:
                return None
            with self._open(rel) as handle:
                return stream_digests(handle)["sha256"]
        except OSError:
            return None


class LocalTarget(OutputTarget):
    """A local folder, written in place."""

    remote = False

    @contextlib.contextmanager
    def staged(self) -> Iterator[OutputLayout]:
        """The folder itself."""
        yield OutputLayout(self.out)

    def upload(self, layout: OutputLayout, rels: list[str]) -> None:
        """Nothing to do: the files were written in place."""

    def download(self, layout: OutputLayout, rels: list[str]) -> None:
        """Nothing to do: the files are in place."""

    def glob(self, pattern: str) -> list[str]:
        return sorted(p.relative_to(self.out).as_posix() for p in Path(self.out).glob(pattern))

    def _open(self, rel: str) -> IO[bytes]:
        return open(Path(self.out) / rel, "rb")

    def _size(self, rel: str) -> int | None:
        path = Path(self.out) / rel
        return path.stat().st_size if path.is_file() else None

    def _remove(self, rel: str) -> None:
        (Path(self.out) / rel).unlink()


class FsspecTarget(OutputTarget):
    """An fsspec URL, written through a local staging folder."""

    remote = True

    def __init__(self, out: str | Path) -> None:
        super().__init__(out)
        from fsspec.core import url_to_fs

        try:
            self.fs, root = url_to_fs(self.out)
        except (ImportError, ValueError) as exc:
            raise BuildError(f"--out {self.out}: fsspec cannot open this location ({exc}); "
                             "install its file system package (s3fs for s3://, gcsfs for "
                             "gs://...) or build into a local folder") from None
        except OSError as exc:  # a file system that connects when made (ftp://, sftp://...)
            raise BuildError(f"--out {self.out}: cannot connect ({exc.strerror or exc}); check "
                             "the address and that the server is up, or build into a local "
                             "folder") from None
        self.root = root.rstrip("/")

    @contextlib.contextmanager
    def staged(self) -> Iterator[OutputLayout]:
        """A fresh staging folder (removed afterwards) whose files ``upload`` sends to the URL."""
        staging = Path(tempfile.mkdtemp(prefix="mattehub-staging-"))
        try:
            yield OutputLayout(staging, name=self.root.rsplit("/", 1)[-1])
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _url(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def upload(self, layout: OutputLayout, rels: list[str]) -> None:
        for rel in rels:
            self.fs.makedirs(self._url(rel).rsplit("/", 1)[0], exist_ok=True)
            self.fs.put_file(str(layout.root / rel), self._url(rel))

    def download(self, layout: OutputLayout, rels: list[str]) -> None:
        for rel in rels:
            if self.fs.exists(self._url(rel)):
                (layout.root / rel).parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(self._url(rel), str(layout.root / rel))

    def glob(self, pattern: str) -> list[str]:
        return sorted(str(p)[len(self.root) + 1:] for p in self.fs.glob(self._url(pattern)))

    def _open(self, rel: str) -> IO[bytes]:
        return self.fs.open(self._url(rel), "rb")

    def _size(self, rel: str) -> int | None:
        return self.fs.size(self._url(rel))

    def _remove(self, rel: str) -> None:
        self.fs.rm(self._url(rel))


def stream_digests(handle: IO[bytes], algorithms: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    """Hex digests (``hashlib`` names) of everything ``handle`` still has to read, read once,
    1 MiB at a time."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    for block in iter(lambda: handle.read(1 << 20), b""):
        for digest in hashes.values():
            digest.update(block)
    return {name: digest.hexdigest() for name, digest in hashes.items()}

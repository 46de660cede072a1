"""A file tree to read samples from: a zip archive (split or not) or a folder, local or remote.

Both give the same two calls, ``names()`` and ``read_many(names)``, so the layout code does
not care whether a release was extracted. Member reads of one sample go out together with
bounded concurrency, so streaming over HTTP is not latency-bound.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mattehub.inputs import remote
from mattehub.inputs.archives import SplitZip

MAX_IN_FLIGHT = 8


class ArchiveTree:
    """The members of one zip archive."""

    def __init__(self, path: str) -> None:
        self.location = path
        self.zip = SplitZip(path, max_workers=MAX_IN_FLIGHT)

    def names(self) -> list[str]:
        return [name for name in self.zip.names() if not name.endswith("/")]

    def read_many(self, names: list[str]) -> list[bytes]:
        return self.zip.read_many(names)


class FolderTree:
    """The files below a folder (local path, ``hf://`` or anything fsspec can list)."""

    def __init__(self, root: str) -> None:
        self.location = root.rstrip("/")
        self.fs, self.root = remote.filesystem(self.location)
        self._pool: ThreadPoolExecutor | None = None

    def names(self) -> list[str]:
        prefix = self.root.rstrip("/") + "/"
        found = remote.listing(self.fs, self.location)
        return sorted(path[len(prefix):] for path in found if path.startswith(prefix))

    def _read(self, name: str) -> bytes:
        return remote.read(self.fs, f"{self.location}/{name}")

    def read_many(self, names: list[str]) -> list[bytes]:
        if len(names) <= 1:
            return [self._read(name) for name in names]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="mattehub-read")
        return list(self._pool.map(self._read, names))

    def __getstate__(self) -> dict:
        return dict(self.__dict__, _pool=None)


def open_tree(data_dir: str, archive: str | None) -> ArchiveTree | FolderTree:
    """The release archive ``data_dir/archive`` if it exists, else ``data_dir`` as a folder."""
    data_dir = str(data_dir).rstrip("/")
    if data_dir.lower().endswith(".zip"):
        return ArchiveTree(data_dir)
    if archive:
        url = f"{data_dir}/{archive}"
        if remote.exists(remote.filesystem(url)[0], url):
            return ArchiveTree(url)
    return FolderTree(data_dir)

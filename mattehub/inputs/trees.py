"""A file tree to read samples from: a zip archive (split or not) or a folder, local or remote.

Both give the same two calls, ``names()`` and ``read_many(names)``, so the layout code does
not care whether a release was extracted. Member reads of one sample go out together with
bounded concurrency, so streaming over HTTP is not latency-bound.

A local folder's symbolic links to folders are followed when they resolve inside the folder
(an extracted release rearranged with links lists as the same tree), and refused with a
clear error when they lead outside it, or back into a folder that holds them (a loop):
the data folder bounds what a build reads.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from fsspec.implementations.local import LocalFileSystem

from mattehub.core.errors import SourceError
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

    def __init__(self, root: str, bound: str | None = None) -> None:
        self.location = root.rstrip("/")
        self.fs, self.root = remote.filesystem(self.location)
        self.bound = bound
        """The local folder that folder links must resolve inside (default: ``root``), e.g.
        ``--data-dir`` when ``root`` is one folder of it."""
        self._pool: ThreadPoolExecutor | None = None

    def names(self) -> list[str]:
        if isinstance(self.fs, LocalFileSystem) and os.path.isdir(self.root):
            bound = os.path.realpath(self.bound or self.root)
            return sorted(_local_files(self.root, os.path.realpath(self.root), "", (bound,)))
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


def _local_files(folder: str, real: str, relative: str, above: tuple[str, ...] = ()
                 ) -> list[str]:
    """Paths (relative to the tree root) of the files below the local ``folder`` (real path
    ``real``); symbolic links to folders are followed when they resolve inside the bound
    ``above[0]`` (then the real paths from the root down), else SourceError naming the link."""
    chain = (*above, real)
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise SourceError(folder, f"cannot be listed: {exc.strerror or exc}") from None
    found = []
    for entry in entries:
        name = relative + entry.name
        if not _is_folder(entry):
            found.append(name)
            continue
        target = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real, entry.name)
        if entry.is_symlink():
            _check_link(entry.path, target, chain)
        found += _local_files(entry.path, target, name + "/", chain)
    return found


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop the OS itself refuses to follow: listed as a file, unread
        return False


def _check_link(link: str, target: str, chain: tuple[str, ...]) -> None:
    """Refuse a folder link leading outside the bound ``chain[0]`` or into a folder on its own
    path (``chain[1:]``: the real paths from the tree root down to the link's folder)."""
    root = chain[0]
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        raise SourceError(link, "is a symbolic link to a folder that resolves outside the data "
                                "folder (--data-dir); mattehub reads only files inside it",
                          "copy or move that folder into the data folder instead of linking it")
    if target in chain[1:]:
        raise SourceError(link, "is a symbolic link to a folder that holds it (a loop)",
                          "remove the link")


def open_tree(data_dir: str, archive: str | None, bound: str | None = None
              ) -> ArchiveTree | FolderTree:
    """The release archive ``data_dir/archive`` if it exists, else ``data_dir`` as a folder
    (``bound``: the local folder its folder links must stay inside; default ``data_dir``)."""
    data_dir = str(data_dir).rstrip("/")
    if data_dir.lower().endswith(".zip"):
        return ArchiveTree(data_dir)
    if archive:
        url = f"{data_dir}/{archive}"
        if remote.exists(remote.filesystem(url)[0], url):
            return ArchiveTree(url)
    return FolderTree(data_dir, bound)

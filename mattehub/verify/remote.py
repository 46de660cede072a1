"""``mattehub verify URL``: an output written to an fsspec URL (``--out memory://...``,
``s3://...``, ``file://...``) is verified like a folder. A ``file://`` URL is the local folder
it names; any other URL is listed and read through fsspec into a temporary copy (removed
afterwards), without the demo's sources and the push staging, which are never uploaded.
Plain HTTP cannot be listed, so it is refused with what to do instead."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from mattehub.core.errors import BuildError
from mattehub.inputs import remote
from mattehub.output.layout import CACHE_DIR, SOURCES_DIR
from mattehub.output.target import FsspecTarget

LEFT_OUT = (f"{SOURCES_DIR}/", f"{CACHE_DIR}/")
"""Folders of an output that are not part of it (never uploaded), so not copied to verify."""


@contextmanager
def local_copy(url: str) -> Iterator[Path]:
    """The local folder holding the output at ``url``: the folder a ``file://`` URL names,
    else a temporary copy read through fsspec."""
    if remote.is_http(url):
        raise BuildError(f"{url}: verify must list the folder's files, which plain HTTP cannot; "
                         "download the folder and verify it locally, or give its hf:// or "
                         "fsspec URL")
    try:
        target = FsspecTarget(url)
    except BuildError as exc:
        raise BuildError(f"{url}: cannot be opened to verify it ({exc})") from None
    if isinstance(target.fs, LocalFileSystem):
        yield Path(target.root)
        return
    rels = [rel for rel in _listing(target) if not rel.startswith(LEFT_OUT)]
    if not rels:
        raise BuildError(f"{url}: does not exist or holds no files; give the URL you passed "
                         "to `mattehub build --out`")
    with target.staged() as layout:
        target.download(layout, rels)
        yield layout.root


def _listing(target: FsspecTarget) -> list[str]:
    """Every file below the target's folder, relative to it (a failure is a clear error)."""
    try:
        found = target.fs.find(target.root)
    except Exception as exc:  # noqa: BLE001 - any file system's failure, named for the user
        raise BuildError(f"{target.out}: cannot be listed ({type(exc).__name__}: {exc})") from None
    return sorted(str(path)[len(target.root) + 1:] for path in found)

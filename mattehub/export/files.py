"""Where ``mattehub export`` writes: ``--out`` checked, files written atomically and only
inside it, stored bytes never re-encoded.

``check_out`` refuses a ``--out`` that is a file, lies among the shard folder's files, or
is not empty (unless ``--overwrite``). ``Files`` is the ``Sink`` an exporter puts files
through: each path is checked (relative, no ``..``, no control character, not an index file),
its folder resolved inside ``--out`` and outside the shard folder (a symbolic link could
point anywhere), its extension matched to the bytes' format, and the file written under a
temporary name and renamed. Index files (``label_data.csv``...) are written line by line
under temporary names and renamed after every data file (``finish``), so an interrupted
export never leaves a truncated file under a final name nor an index naming missing files.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import IO

from mattehub.contract.codecs import sniff_format
from mattehub.core.errors import BuildError
from mattehub.output.checks import create_output_folder, inside_out
from mattehub.output.layout import STATS_DIR, temp_path

EXTENSIONS = {"jpg": (".jpg", ".jpeg"), "png": (".png",)}
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


def check_out(folder: Path, out: Path, overwrite: bool = False,
              index_files: tuple[str, ...] = ()) -> None:
    """Refuse an ``out`` that is a file, lies inside the shard folder, or is not empty
    (``overwrite``: files at the paths export writes are replaced, others are left alone);
    create it otherwise (an unwritable place is an error naming it)."""
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a folder: choose a folder")
    if among_shards(folder, out):
        raise BuildError(f"--out {out} lies inside the shard folder {folder}: exporting there "
                         "would mix the original layout into the shards; choose a folder "
                         "outside it (or below a `_`-prefixed side folder such as _sources)")
    if not overwrite and out.is_dir() and any(out.iterdir()):
        earlier = [name for name in reversed(index_files) if (out / name).exists()]
        held = f"an earlier export's {earlier[0]}" if earlier else "files"
        raise BuildError(f"--out {out} is not empty (it holds {held}): export writes into a "
                         "new or empty folder only, so it never overwrites a file; choose "
                         "another --out, empty this one, or pass --overwrite")
    create_output_folder(out)


def among_shards(folder: Path, out: Path) -> bool:
    """True when ``out`` is the shard folder or lies where its shards, stats, previews or
    cards go; a side folder whose name starts with ``_`` (the demo's ``_sources``, never
    read as data files by ``datasets``) is allowed, except ``_stats``."""
    try:
        rel = out.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return not rel.parts or not rel.parts[0].startswith("_") or rel.parts[0] == STATS_DIR


class Files:
    """The files written so far under ``out``: the path checks, the duplicate rule (a path
    written twice must get the same bytes) and the counts."""

    def __init__(self, out: Path, shards: Path, index_files: tuple[str, ...] = ()) -> None:
        self.out = out
        self.root = out.resolve()
        self.shards = shards.resolve()
        self.index_files = index_files
        self.writers: dict[str, str] = {}
        self.checked: set[Path] = set()
        self.count = self.size = self.renamed = 0
        self._index: dict[str, tuple[Path, IO[str]]] = {}
        self.indexed: list[str] = []
        """Index files renamed into place by ``finish``."""

    def put(self, path: str, data: bytes, who: str) -> str:
        """Write ``data`` at ``path`` (extension matched to the bytes); returns the path
        written. A path written before must receive identical bytes."""
        safe_path(path, who, self.index_files)
        final = matching_extension(path, data)
        target = self.target(final)
        first = self.writers.get(final)
        if first is not None:
            if target.read_bytes() != data:
                raise BuildError(f"{who} and {first} both write {final} with different bytes: "
                                 "the layout has room for one file there; check the two "
                                 "samples' meta")
            return final
        write_atomic(target, data)
        self.writers[final] = who
        self.count, self.size = self.count + 1, self.size + len(data)
        self.renamed += final != path
        return final

    def line(self, name: str, text: str) -> None:
        """Append ``text`` and a newline to index file ``name`` (under a temporary name)."""
        if name not in self._index:
            if name not in self.index_files:
                raise BuildError(f"index file {name!r} is not declared by the exporter")
            final = self.target(name)
            temp = temp_path(final, hidden=True)
            self._index[name] = (temp, open(temp, "w", encoding="utf-8", newline=""))
        self._index[name][1].write(text + "\n")

    def finish(self) -> None:
        """Rename the index files into place, in the exporter's order (after every data file)."""
        for name in self.index_files:
            if name in self._index:
                temp, handle = self._index[name]
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
                os.replace(temp, self.out / name)
                self.indexed.append(name)
        self._index.clear()

    def discard(self) -> None:
        """Remove the temporary index files of an export that failed."""
        for temp, handle in self._index.values():
            handle.close()
            temp.unlink(missing_ok=True)
        self._index.clear()

    def target(self, path: str) -> Path:
        """``out/path`` after checking (once per folder) that its folder resolves inside
        ``out`` and outside the shard folder (a symlink could point anywhere)."""
        target = self.out / path
        parent = target.parent
        if parent not in self.checked:
            real = inside_out(parent, self.out)
            if real.is_relative_to(self.shards) and not self.root.is_relative_to(self.shards):
                raise BuildError(f"{target} resolves to {real}, inside the shard folder: "
                                 "remove the symbolic link on the way")
            parent.mkdir(parents=True, exist_ok=True)
            self.checked.add(parent)
        return target


def safe_path(path: str, who: str, reserved: tuple[str, ...] = ()) -> None:
    """BuildError unless ``path`` is a plain relative POSIX file path: not absolute, no
    ``..``/``.``/empty component, no backslash or control character, not an index file."""
    parts = path.split("/") if isinstance(path, str) else []
    problem = (not parts or path.startswith("/") or bool(DRIVE_LETTER.match(path)) or "\\" in path
               or any(part in ("", ".", "..") for part in parts)
               or any(ord(char) < 32 for char in path) or path in reserved)
    if problem:
        raise BuildError(f"{who}: path {path!r} is not a safe relative path (absolute, '..', "
                         f"empty component, control character or an index file); export "
                         "writes only inside --out, so the sample's meta must be fixed")


def matching_extension(path: str, data: bytes) -> str:
    """``path`` with its extension replaced when the bytes' format (sniffed: PNG or JPEG)
    says otherwise; unchanged for unknown formats. Export never re-encodes."""
    fmt = sniff_format(data)
    pure = PurePosixPath(path)
    if fmt is None or pure.suffix.lower() in EXTENSIONS[fmt]:
        return path
    return str(pure.with_suffix(f".{fmt}"))


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``target`` via a temporary name in the same folder and a rename, so a crash
    leaves a stray temporary file, never a truncated file under the final name."""
    temp = temp_path(target, hidden=True)
    try:
        temp.write_bytes(data)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)

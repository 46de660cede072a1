"""A Hub mirror's Parquet files read in place: the rows of one split, their images and masks.

A mirror made with ``datasets`` (``nobg/HIM-2K``, ``nobg/AIM-500``) stores each image as a
``datasets.Image`` value: an Arrow struct ``{bytes: binary, path: string}`` holding the
file's own bytes (``path`` its original file name, or null). A mask column is one such
struct (AIM-500: one alpha matte) or a list of them (HIM-2K: one matte per instance).

``--data-dir`` is a folder of Parquet files (a local copy of the Hub repo, ``hf://datasets/
<repo>`` or an http(s) folder whose listing names them) or one Parquet file. Every
``*.parquet`` below it belongs to one split: the part of its name before
``-NNNNN-of-NNNNN`` (``data/test-00000-of-00001.parquet``, the Hub's convention), else the
name of its folder (``test/0000.parquet``, the Hub's Parquet conversion), else ``train``
(what ``datasets`` calls files that name no split). Files are read in sorted path order,
rows in file order; one sample per row.

Nothing is converted or extracted: pyarrow reads a file's footer at scan time and one row
group at a time when samples are made (local files memory-mapped, remote ones by byte
ranges through fsspec), and the last row group read is kept, so the consecutive rows of a
build task or a stream cost one read. A file whose footer cannot be read, or which lacks
the columns, is a counted ``Skip`` naming it; a row group that cannot be decoded, or a
value without bytes, makes its samples counted skips naming the file and row.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.inputs import remote
from mattehub.inputs.listing import Skip, skip_lines

SHARD_NAME = re.compile(r"^(?P<split>.+?)-\d+-of-\d+(-[0-9a-f]+)?\.parquet$")
META_COLUMNS = ("subset", "category", "type", "image_name")
"""Columns the published mirrors carry besides image and mask, recorded in ``meta``."""
SINGLE, LIST = "single", "list"


@dataclass(frozen=True)
class MirrorFile:
    """One Parquet file of the split: its URL or path, its name below ``--data-dir``, and
    the row count of each of its row groups."""

    url: str
    name: str
    groups: tuple[int, ...]


@dataclass(frozen=True)
class MirrorScan:
    """What ``scan`` found for one split (the sources a Hub-mirror config reads)."""

    location: str
    split: str
    files: tuple[MirrorFile, ...]
    image_column: str
    mask_column: str
    meta_columns: tuple[str, ...]
    skipped: tuple[Skip, ...] = ()

    @property
    def blocks(self) -> list[tuple[int, int, int]]:
        """``(first row id, file number, group number)`` of every row group, in id order."""
        out, first = [], 0
        for number, found in enumerate(self.files):
            for group, rows in enumerate(found.groups):
                out.append((first, number, group))
                first += rows
        return out

    def __len__(self) -> int:
        return sum(sum(found.groups) for found in self.files)

    def locate(self, index: int) -> tuple[int, int, int]:
        """(file number, group number, row in the group) of sample ``index``."""
        blocks = self.blocks
        at = bisect.bisect_right([block[0] for block in blocks], index) - 1
        first, number, group = blocks[at]
        return number, group, index - first

    def where(self, index: int) -> str:
        """How sample ``index``'s row is named in events: ``<file> row <n>``."""
        number, group, row = self.locate(index)
        before = sum(self.files[number].groups[:group])
        return f"{self.files[number].name} row {before + row}"

    def listing(self) -> list:
        """Each file's name and row-group sizes, as fingerprinted."""
        return [[found.name, list(found.groups)] for found in self.files]

    def row(self, index: int) -> dict:
        """Sample ``index``'s values (image, mask and meta columns) as Python objects;
        SourceError naming the file when its row group cannot be read."""
        number, group, row = self.locate(index)
        table = _group(self.files[number], group,
                       (self.image_column, self.mask_column) + self.meta_columns)
        return {name: table.column(name)[row].as_py() for name in table.column_names}


_LAST: dict = {}
"""The last row group read in this process: ``{key: table}`` (one entry)."""


def _group(found: MirrorFile, group: int, columns: tuple[str, ...]) -> pa.Table:
    """Row group ``group`` of ``found`` (the last one read is kept, see the module text)."""
    key = (found.url, group, columns)
    if key not in _LAST:
        _LAST.clear()
        try:
            _LAST[key] = _open(found).read_row_group(group, columns=list(columns))
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(found.name, f"row group {group} cannot be read ({exc})",
                              "download the file again") from None
    return _LAST[key]


def _open(found: MirrorFile | str) -> pq.ParquetFile:
    url = found.url if isinstance(found, MirrorFile) else found
    if remote.is_http(url) or "://" in url:
        fs, path = remote.filesystem(url)
        return pq.ParquetFile(fs.open(path, "rb"))
    return pq.ParquetFile(url, memory_map=True)


def split_of(name: str) -> str:
    """The split of a Parquet file named ``name`` below ``--data-dir`` (module text)."""
    path = PurePosixPath(name)
    match = SHARD_NAME.match(path.name)
    if match:
        return match["split"]
    return path.parent.name if path.parent.name not in ("", "data") else "train"


def _files(data_dir: str, origin: str) -> list[tuple[str, str]]:
    """``(url, name below data_dir)`` of every Parquet file under ``data_dir``, sorted."""
    data_dir = str(data_dir).rstrip("/")
    fs, root = remote.filesystem(data_dir)
    if data_dir.endswith(".parquet"):
        return [(data_dir, PurePosixPath(data_dir).name)]
    try:
        found = remote.listing(fs, root)
    except SourceError as exc:
        raise SourceError(exc.path, exc.problem, origin) from None
    base = root.rstrip("/") + "/"
    names = sorted(path[len(base):] if path.startswith(base) else PurePosixPath(path).name
                   for path in found)
    names = [n for n in names if n.endswith(".parquet")
             and not any(part.startswith(".") for part in n.split("/"))]
    return [(f"{data_dir}/{name}", name) for name in names]


def source_splits(data_dir: str, origin: str) -> list[str]:
    """The splits of the Parquet files under ``data_dir``; SourceError when there are none."""
    files = _files(data_dir, origin)
    if not files:
        raise SourceError(public_name(data_dir), "holds no Parquet file", origin)
    return sorted({split_of(name) for _, name in files})


def scan(data_dir: str, split: str, image_column: str, mask_column: str, mask_kind: str,
         origin: str) -> MirrorScan:
    """The files and row groups of ``split`` under ``data_dir``, their columns checked
    (SourceError when the split has no readable file with the columns)."""
    location = public_name(data_dir)
    every = _files(data_dir, origin)
    chosen = [(url, name) for url, name in every if split_of(name) == split]
    if not chosen:
        splits = sorted({split_of(name) for _, name in every})
        raise SourceError(location, f"has no Parquet file of split {split!r} (splits found: "
                          f"{', '.join(splits) or 'none, no *.parquet file'})",
                          f"choose --split among those; {origin}")
    files, skipped, columns = [], [], None
    for url, name in chosen:
        try:
            parquet = _open(url)
        except (pa.ArrowException, OSError) as exc:
            skipped.append(Skip(name, f"is not a readable Parquet file ({exc})"))
            continue
        schema = parquet.schema_arrow
        problem = column_problem(schema, image_column, mask_column, mask_kind)
        if problem:
            skipped.append(Skip(name, problem))
            continue
        columns = schema.names
        files.append(MirrorFile(url, name, tuple(parquet.metadata.row_group(g).num_rows
                                                 for g in range(parquet.num_row_groups))))
    if not files:
        raise SourceError(location, f"has no usable Parquet file of split {split!r}"
                          + skip_lines(skipped), origin)
    meta = tuple(c for c in META_COLUMNS if c in columns and c not in (image_column, mask_column))
    return MirrorScan(location, split, tuple(files), image_column, mask_column, meta,
                      tuple(skipped))


def _is_image(kind: pa.DataType) -> bool:
    """Whether ``kind`` is a ``datasets.Image`` storage struct (a binary ``bytes`` field)."""
    if not pa.types.is_struct(kind) or kind.get_field_index("bytes") < 0:
        return False
    stored = kind.field("bytes").type
    return pa.types.is_binary(stored) or pa.types.is_large_binary(stored)


def column_problem(schema: pa.Schema, image_column: str, mask_column: str, mask_kind: str
                   ) -> str | None:
    """Why a file with ``schema`` cannot be read as a mirror (None: it can): a missing
    column, or one that is not a datasets Image (or list of them, ``mask_kind`` LIST)."""
    found = ", ".join(f"{f.name} ({f.type})" for f in schema)
    wanted = {image_column: "a datasets Image (struct of bytes, path)",
              mask_column: ("a list of datasets Images" if mask_kind == LIST
                            else "a datasets Image (struct of bytes, path)")}
    for column, what in wanted.items():
        if column not in schema.names:
            return (f"has no column {column!r} (columns: {found}); name the columns with "
                    "--image-column and --mask-column")
        kind = schema.field(column).type
        ok = (_is_image(kind) if column == image_column or mask_kind == SINGLE
              else (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _is_image(kind.value_type))
        if not ok:
            return f"column {column!r} is {kind}, not {what} (columns: {found})"
    return None


def image_bytes(value: object, where: str, what: str) -> bytes:
    """The stored bytes of a datasets Image value (SourceError when there are none: a null
    value, or a value naming only an external ``path``)."""
    if not isinstance(value, dict) or not value.get("bytes"):
        path = value.get("path") if isinstance(value, dict) else None
        why = f"stores no bytes (only the path {path!r})" if path else "is empty (null)"
        raise SourceError(f"{where} ({what})", why, "the mirror must embed its files")
    return value["bytes"]

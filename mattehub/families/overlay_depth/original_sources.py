"""The original "Monocular Depth Estimation and Segmentation" dataset, read in place.

Upstream ships ``Dataset.zip`` (folders ``Dataset/bg<B>/fg_<F>/{overlay,mask,depth}/<k>.jpg``
and ``Dataset/bg/...``) and ``label_data.csv``: no header, ``;``-separated, every field
quoted, columns ``bg;overlay;mask;depth``, paths relative to the csv's folder. This module
finds the csv (beside the data, beside ``Dataset.zip`` or inside it), parses it line by line
and keeps the rows whose files exist, in csv order. Files are read through the existing
``open_tree`` trees (zip, Info-ZIP split zip or folder; local or remote), never extracted.

Why line by line: upstream says some files are missing, and a hand-edited csv may carry bad
lines; each such row becomes a counted ``Skip`` naming ``label_data.csv:LINE`` instead of
failing the whole build or being dropped silently.
"""
from __future__ import annotations

import codecs
import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from fsspec.implementations.local import LocalFileSystem

from mattehub.inputs import remote
from mattehub.core.errors import SourceError
from mattehub.core.redact import public_name
from mattehub.inputs.trees import ArchiveTree, FolderTree, open_tree
from mattehub.inputs.listing import Skip, skip_lines
from mattehub.families.overlay_depth.sidecar import SIDECAR, parse_sidecar

CSV_NAME = "label_data.csv"
ARCHIVE = "Dataset.zip"
COLUMNS = ("bg", "overlay", "mask", "depth")
REQUIRED = ("bg", "overlay", "mask")
UPSTREAM_SCALES = (1.0, 0.8, 0.6, 0.4)
UPSTREAM_POSITIONS = 5
UPSTREAM_OVERLAYS = 2 * len(UPSTREAM_SCALES) * UPSTREAM_POSITIONS  # 40: 1-20 as is, 21-40 flipped
ORIGIN = (f'expected {CSV_NAME} (rows "bg";"overlay";"mask";"depth") beside its Dataset/ folder, '
          f'beside {ARCHIVE} or inside it, as published with the "Monocular Depth Estimation and '
          f'Segmentation" dataset; pass that folder, or {ARCHIVE} itself, as --data-dir')
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
"""A Windows drive prefix: such a path is absolute wherever it is read."""

Tree = ArchiveTree | FolderTree


@dataclass(frozen=True)
class Row:
    """One usable csv row: its 1-based line and four paths relative to the csv's folder
    (``depth`` is "" when the row has none)."""

    line: int
    bg: str
    overlay: str
    mask: str
    depth: str

    def paths(self) -> dict[str, str]:
        """Column -> path, the four of them (``meta.paths`` of the sample)."""
        return {"bg": self.bg, "overlay": self.overlay, "mask": self.mask, "depth": self.depth}


@dataclass
class OriginalScan:
    """What ``open_original`` found: the tree to read from and the usable rows."""

    tree: Tree
    location: str
    """Public name of the data (folder or zip name): safe in messages and build records."""
    csv_name: str
    """The csv as named in skips: ``label_data.csv``, or its member path inside the zip."""
    rows: list[Row]
    skipped: list[Skip] = field(default_factory=list)
    prefix: str = ""
    """What joins a csv path to a tree member name: the csv's folder inside the tree."""
    carried: dict[int, dict] = field(default_factory=dict)
    """csv line -> meta carried by an export's ``mattehub_meta.jsonl`` (empty without one)."""
    real_root: str | None = None
    """The local folder's real path (symbolic links resolved), None for archives and remote
    folders: what every file read must resolve inside (see ``check_inside``)."""

    def member(self, path: str) -> str:
        """The tree member name of csv path ``path``."""
        return self.prefix + path

    def read(self, row: Row) -> dict[str, bytes]:
        """Column -> stored bytes of ``row``'s files (no ``depth`` key when it has none),
        fetched together; SourceError naming a file that resolves outside the data folder."""
        columns = [name for name, path in row.paths().items() if path]
        for name in columns:
            check_inside(self.real_root, self.member(row.paths()[name]))
        data = self.tree.read_many([self.member(row.paths()[name]) for name in columns])
        return dict(zip(columns, data))


def local_root(tree: Tree) -> str | None:
    """The real path of a local folder tree; None for an archive (its members are read in
    place, never followed) or a remote folder."""
    if isinstance(tree, FolderTree) and isinstance(tree.fs, LocalFileSystem):
        return os.path.realpath(tree.root)
    return None


def check_inside(real_root: str | None, member: str) -> None:
    """Refuse member ``member`` of a local folder when it, or a folder on its way, is a
    symbolic link resolving outside the folder: ``--data-dir`` bounds what a build reads
    (the target is not named: it is a local path)."""
    if real_root is None:
        return
    real = os.path.realpath(os.path.join(real_root, member))
    if not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise SourceError(member, "is a symbolic link (or inside a linked folder) that resolves "
                                  "outside --data-dir; mattehub reads only files inside it",
                          "copy the file into the data folder instead of linking it")


def open_original(data_dir: str) -> OriginalScan:
    """Open the original dataset at ``data_dir`` and list its usable rows.

    ``data_dir`` is a folder holding ``label_data.csv`` and the ``Dataset/`` files, a
    ``Dataset.zip`` path (split or not), or a folder holding ``Dataset.zip``; the csv lies
    beside the zip, else inside it at its root or one folder down. SourceError when there
    is no csv or no usable row.
    """
    data_dir = str(data_dir).rstrip("/")
    tree = open_tree(data_dir, ARCHIVE)
    names, real_root = tree.names(), local_root(tree)
    data, csv_name, prefix = _find_csv(data_dir, tree, names, real_root)
    location = public_name(tree.location)
    rows, skipped = parse_rows(data, csv_name)
    prefix = _resolve_prefix(rows, set(names), prefix)
    rows, missing = _present(rows, set(names), prefix, csv_name, location)
    skipped = sorted(skipped + missing, key=_skip_line)
    if not rows:
        raise SourceError(data_dir, f"{csv_name} has no usable row ({len(skipped)} skipped)"
                          + skip_lines(skipped), ORIGIN)
    carried, problem = _carried_meta(tree, names, csv_name, real_root)
    skipped += [Skip(csv_name[: -len(CSV_NAME)] + SIDECAR, problem)] if problem else []
    return OriginalScan(tree, location, csv_name, rows, skipped, prefix, carried, real_root)


def _carried_meta(tree: Tree, names: list[str], csv_name: str,
                  real_root: str | None) -> tuple[dict[int, dict], str | None]:
    """The export sidecar beside the csv (a tree member, or a file beside the zip)."""
    member = csv_name[: -len(CSV_NAME)] + SIDECAR
    if member in names:
        try:
            check_inside(real_root, member)
        except SourceError as exc:
            return {}, exc.problem
        return parse_sidecar(tree.read_many([member])[0])
    if isinstance(tree, ArchiveTree) and "/" in tree.location:
        beside = f"{tree.location.rsplit('/', 1)[0]}/{SIDECAR}"
        fs = remote.filesystem(beside)[0]
        if remote.exists(fs, beside):
            return parse_sidecar(remote.read(fs, beside))
    return {}, None


def _find_csv(data_dir: str, tree: Tree, names: list[str],
              real_root: str | None) -> tuple[bytes, str, str]:
    """(csv bytes, csv name, member prefix): beside the zip first, then a tree member at the
    root, then one folder down (exactly one such); a csv linked from outside a local
    folder is refused like any other file."""
    if isinstance(tree, ArchiveTree):
        beside = f"{tree.location.rsplit('/', 1)[0]}/{CSV_NAME}" if "/" in tree.location \
            else CSV_NAME
        fs = remote.filesystem(beside)[0]
        if remote.exists(fs, beside):
            return remote.read(fs, beside), CSV_NAME, ""
    if CSV_NAME in names:
        check_inside(real_root, CSV_NAME)
        return tree.read_many([CSV_NAME])[0], CSV_NAME, ""
    nested = sorted(name for name in names
                    if name.count("/") == 1 and name.endswith("/" + CSV_NAME))
    if len(nested) > 1:
        raise SourceError(data_dir, f"holds several {CSV_NAME} one folder down ("
                          f"{', '.join(nested)}), so which one describes the data is unclear",
                          "keep one, or pass the folder holding it as --data-dir")
    if not nested:
        raise SourceError(data_dir, f"has no {CSV_NAME}", ORIGIN)
    check_inside(real_root, nested[0])
    return tree.read_many(nested)[0], nested[0], nested[0][: -len(CSV_NAME)]


def parse_rows(data: bytes, csv_name: str = CSV_NAME) -> tuple[list[Row], list[Skip]]:
    """Rows of ``label_data.csv`` bytes, and skips naming ``csv_name:LINE`` for bad lines.

    Lines are numbered as a text editor shows them (1-based; LF or CRLF); blank lines are
    ignored and a UTF-8 BOM is dropped. Each line is decoded and parsed on its own, so one
    bad line (not UTF-8, stray quote) cannot shift or swallow the others.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    rows, skipped = [], []
    for number, raw in enumerate(data.split(b"\n"), 1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            rows.append(parse_line(raw, number))
        except ValueError as exc:
            skipped.append(Skip(f"{csv_name}:{number}", str(exc)))
    return rows, skipped


def parse_line(raw: bytes, number: int) -> Row:
    """One csv line as a Row; ValueError saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text (byte {exc.start} of the line)") from None
    fields = split_fields(text)
    if len(fields) != len(COLUMNS):
        raise ValueError(f"has {len(fields)} fields, expected {len(COLUMNS)} "
                         f"({';'.join(COLUMNS)})")
    paths = [value.strip() for value in fields]
    for name, value in zip(COLUMNS, paths):
        if not value and name in REQUIRED:
            raise ValueError(f"has an empty {name} field")
    return Row(number, *(clean_path(value, name) for name, value in zip(COLUMNS, paths)))


def split_fields(text: str) -> list[str]:
    """The ``;``-separated fields of one csv line; ValueError when its quoting is broken.

    The upstream form (four quoted fields, no quote inside) is split directly: the csv
    module's reader costs more than the rest of the parsing on a 400k-line file.
    """
    if text.count('"') == 2 * len(COLUMNS) and text.startswith('"') and text.endswith('"'):
        fields = text[1:-1].split('";"')
        if len(fields) == len(COLUMNS):
            return fields
    try:
        return next(csv.reader([text], delimiter=";", quotechar='"', strict=True))
    except csv.Error as exc:
        raise ValueError(f"is not a valid csv line ({exc})") from None


def clean_path(value: str, column: str) -> str:
    """``value`` as a relative POSIX path (backslashes read as separators, ``.`` and empty
    components dropped); ValueError for an absolute path or a ``..`` component, which
    would point outside the dataset."""
    if not value:
        return ""
    if not (value.startswith((".", "/")) or value.endswith("/") or "\\" in value
            or "//" in value or "/." in value or ":" in value):
        return value  # already clean: the common case, kept cheap for 400k-row csvs
    path = value.replace("\\", "/")
    if path.startswith("/") or DRIVE_LETTER.match(path):
        raise ValueError(f"{column} path {value!r} is absolute (paths must be relative to "
                         f"the csv's folder)")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{column} path {value!r} has a '..' component (it would point "
                         "outside the dataset)")
    if not parts:
        raise ValueError(f"{column} path {value!r} names no file")
    return "/".join(parts)


def _resolve_prefix(rows: list[Row], names: set[str], prefix: str, probe: int = 100) -> str:
    """The csv's folder inside the tree, or "" when its paths are relative to the tree's
    root instead (a csv zipped inside ``Dataset/`` that still says ``Dataset/bg1/...``):
    whichever finds more of the first ``probe`` rows' overlays (the csv's folder on a tie)."""
    if not prefix:
        return prefix
    sample = [row.overlay for row in rows[:probe]]
    inside = sum(prefix + path in names for path in sample)
    at_root = sum(path in names for path in sample)
    return "" if at_root > inside else prefix


def _present(rows: list[Row], names: set[str], prefix: str, csv_name: str,
             location: str) -> tuple[list[Row], list[Skip]]:
    """The rows whose files all exist in the tree, and skips naming the missing paths."""
    kept, skipped = [], []
    for row in rows:
        missing = [prefix + path for path in row.paths().values() if path and prefix + path not in names]
        if missing:
            skipped.append(Skip(f"{csv_name}:{row.line}",
                                f"missing from {location}: {', '.join(missing)}"))
        else:
            kept.append(row)
    return kept, skipped


def _skip_line(skip: Skip) -> int:
    """The line number of a csv skip (for sorting skips into file order)."""
    return int(skip.path.rsplit(":", 1)[1])


def parse_position(overlay_path: str) -> tuple[bool | None, int | None]:
    """(flipped, scale index) of an upstream overlay from its number k in 1..40.

    Upstream numbered the 40 overlays of a (bg, fg) pair 1-20 unflipped and 21-40 flipped;
    within each 20, 5 positions per scale with scales in the order 1.0, 0.8, 0.6, 0.4
    (``UPSTREAM_SCALES[index]``). (None, None) when the file name is not such a number.
    """
    stem = PurePosixPath(overlay_path.replace("\\", "/")).stem
    if not (stem.isascii() and stem.isdigit()):
        return None, None
    k = int(stem)
    if not 1 <= k <= UPSTREAM_OVERLAYS:
        return None, None
    half = UPSTREAM_OVERLAYS // 2
    return k > half, ((k - 1) % half) // UPSTREAM_POSITIONS

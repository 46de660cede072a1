"""``mattehub export``: an ``overlay-depth`` shard folder written back in the original layout.

Each sample's ``meta.paths`` says where its files go (the csv row it was read from, or the
layout synthesis would have written); the bg / overlay (field ``image``) / mask / depth
bytes are written there exactly as stored, and ``OUT/label_data.csv`` gets one row per
sample in shard order (``"bg";"overlay";"mask";"depth"``, every field quoted, no header), so
code written for the upstream dataset runs on a mattehub build unchanged.

Nothing is re-encoded: when the bytes' format differs from the path's extension (a PNG
mask under a ``.jpg`` name) the extension changes instead, in the file and in the csv.
Files are written under a temporary name and renamed, and ``label_data.csv`` last, so an
interrupted export never leaves a truncated file under a final name nor a csv promising
files that are not there.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from mattehub.contract.codecs import sniff_format
from mattehub.contract.schema import KEY_FIELD
from mattehub.core.errors import BuildError
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import ParquetShardReader
from mattehub.output.layout import NAMES, STATS_DIR, temp_path
from mattehub.output.checks import inside_out, os_error
from mattehub.output.folder import ShardFolder
from mattehub.output.target import open_target
from mattehub.families.overlay_depth.original_sources import CSV_NAME, DRIVE_LETTER
from mattehub.families.overlay_depth.sidecar import SIDECAR, sidecar_line

FAMILY = "overlay-depth"
# csv column -> sample field, in csv order
COLUMNS = {"bg": "bg", "overlay": "image", "mask": "mask", "depth": "depth"}
OPTIONAL = ("depth",)
EXTENSIONS = {"jpg": (".jpg", ".jpeg"), "png": (".png",)}


@dataclass
class ExportReport:
    """What an export wrote, for the CLI to print."""

    samples: int
    files: int
    """Distinct data files written (``label_data.csv`` not counted)."""
    bytes: int
    """Their total size."""
    out: Path
    renamed: int = 0
    """Distinct files whose extension was changed to match their bytes."""

    def format(self) -> str:
        """One line for the CLI."""
        renamed = (f"; {self.renamed} extension(s) changed to match the stored bytes"
                   if self.renamed else "")
        return (f"exported {self.samples} samples: {self.files} files "
                f"({self.bytes / 1e6:.1f} MB) and {CSV_NAME} in {self.out}{renamed}")


def export_original(folder: Path, out: Path, split: str = "train", config: str = FAMILY,
                    progress: bool = True) -> ExportReport:
    """Write ``split`` of ``config`` in shard folder ``folder`` to ``out`` in the original
    layout (see the module docstring). BuildError for an unsuitable ``out``, an unsafe or
    conflicting path, or a config that is not of the overlay-depth family."""
    folder, out = Path(folder), Path(out)
    shards, total = _shard_paths(folder, config, split)
    check_out(folder, out)
    files = _Files(out, folder)
    final, side = out / CSV_NAME, out / SIDECAR
    temp, side_temp = (temp_path(path, hidden=True) for path in (final, side))
    samples = 0
    try:
        with open(temp, "w", encoding="utf-8", newline="") as handle, \
                open(side_temp, "w", encoding="utf-8") as metas, \
                tqdm(total=total, unit="sample", disable=not progress,
                     desc=f"export {config}/{split}") as bar:
            rows = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
            for key, fields in _samples(shards):
                rows.writerow(export_sample(files, key, fields))
                samples += 1
                metas.write(sidecar_line(samples, fields.get("meta") or {}) + "\n")
                bar.update(1)
            for stream in (handle, metas):
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(side_temp, side)
        os.replace(temp, final)  # last: a csv only once every file it names is there
    except OSError as exc:
        raise os_error(exc, out) from None
    finally:
        temp.unlink(missing_ok=True)
        side_temp.unlink(missing_ok=True)
    return ExportReport(samples, files.count, files.size, out, files.renamed)


def _shard_paths(folder: Path, config: str, split: str) -> tuple[list[Path], int]:
    """The split's Parquet shards in order and its sample count; BuildError when the
    folder lacks the split or the config is not an overlay-depth one."""
    shard_folder = ShardFolder(str(folder), config)
    try:
        splits = shard_folder.splits()
        if split not in splits:
            raise BuildError(f"{folder} has no split {split!r} of {config} (it has "
                             f"{', '.join(splits) or 'none'}): pass one of those as --split")
        summary = shard_folder.summary(split)
        if "parquet" not in summary.get("files", {}):
            raise BuildError(f"export reads the Parquet shards, and {folder} has none for "
                             f"{config}/{split} (built with --format webdataset): rebuild with "
                             "--format parquet,webdataset")
        urls = shard_folder.parquet_urls(summary)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    if summary.get("family") != FAMILY:
        raise BuildError(f"{folder}: {config} is of family {summary.get('family')!r}; export "
                         f"writes the original layout of {FAMILY} configs only")
    _check_shards(folder, config, split, summary["files"]["parquet"])
    return [Path(url) for url in urls], int(summary.get("num_examples", 0))


def _check_shards(folder: Path, config: str, split: str, paths: list[str]) -> None:
    """BuildError unless every Parquet shard has the size and sha256 its stats recorded:
    a damaged shard is refused before any file is exported."""
    target = open_target(folder)
    for number, path in enumerate(paths):
        rel = NAMES.relative(NAMES.shard_stats(config, split, number))
        info = ((target.read_json(rel) or {}).get("files") or {}).get("parquet")
        if not isinstance(info, dict) or info.get("path") != path:
            raise _damaged(folder / path, f"has no shard stats {rel} describing it")
        if not target.matches(info):
            raise _damaged(folder / path, f"does not have the size and sha256 its stats {rel} "
                                          "recorded; nothing was exported")


def check_out(folder: Path, out: Path) -> None:
    """Refuse an ``out`` that is a file, lies inside the shard folder, or is not empty (the
    help promises a new or empty folder: nothing is overwritten); create it otherwise."""
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a folder: choose a folder")
    if _among_shards(folder, out):
        raise BuildError(f"--out {out} lies inside the shard folder {folder}: exporting there "
                         "would mix the original layout into the shards; choose a folder "
                         "outside it (or below a `_`-prefixed side folder such as _sources)")
    if out.is_dir() and any(out.iterdir()):
        held = "an earlier export's " + CSV_NAME if (out / CSV_NAME).exists() else "files"
        raise BuildError(f"--out {out} is not empty (it holds {held}): export writes into a "
                         "new or empty folder only, so it never overwrites a file; choose "
                         "another --out, or empty this one")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, out) from None


def _among_shards(folder: Path, out: Path) -> bool:
    """True when ``out`` is the shard folder or lies where its shards, stats, previews or
    cards go; a side folder whose name starts with ``_`` (the demo's ``_sources``, never
    read as data files by ``datasets``) is allowed, except ``_stats``."""
    try:
        rel = out.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return not rel.parts or not rel.parts[0].startswith("_") or rel.parts[0] == STATS_DIR


def _samples(shards: list[Path]) -> Iterator[tuple[str, dict]]:
    """(key, fields) of every row of the shards in order, one row group in memory at a
    time; image fields are their bytes, absent fields are missing from ``fields``."""
    for shard in shards:
        reader = ParquetShardReader(shard)
        try:
            columns = _columns(shard, reader)
            for _, table in reader.tables(columns):
                values = {name: table.column(name).to_pylist() for name in columns}
                for i in range(table.num_rows):
                    yield values[KEY_FIELD][i], {name: _image_bytes(values[name][i]) if name != "meta"
                                                 else values[name][i] for name in columns[1:]}
        except Unreadable as exc:
            problem = "cannot be opened" if exc.group is None else f"row group {exc.group} cannot be read"
            raise _damaged(shard, f"{problem} ({exc.cause})") from None


def _columns(shard: Path, reader: ParquetShardReader) -> list[str]:
    """The columns export reads: key, meta, the required images, the optional ones present;
    BuildError when a required one is missing (not an overlay-depth shard)."""
    present = set(reader.columns())
    needed = [KEY_FIELD, "meta"] + [name for name in COLUMNS.values() if name not in OPTIONAL]
    lacking = [name for name in needed if name not in present]
    if lacking:
        raise BuildError(f"{shard} has no {', '.join(lacking)} column: not an {FAMILY} shard")
    return needed + [name for name in OPTIONAL if name in present]


def _image_bytes(value) -> bytes | None:
    """The bytes of an ``Image()`` struct (None for a null value)."""
    return value.get("bytes") if isinstance(value, dict) else value


def _damaged(shard: Path, problem: str) -> BuildError:
    return BuildError(f"{shard} {problem}: truncated or damaged? `mattehub verify` the folder, "
                      "and rebuild the split if it fails")


def export_sample(files: _Files, key: str, fields: dict) -> list[str]:
    """Write one sample's files; returns its csv row (paths as written)."""
    paths = (fields.get("meta") or {}).get("paths")
    if not isinstance(paths, dict):
        raise BuildError(f"sample {key} has no meta.paths: the folder was not built by an "
                         f"{FAMILY} recipe that records where its files go")
    row = []
    for column, name in COLUMNS.items():
        data, path = fields.get(name), paths.get(column) or ""
        if name in OPTIONAL and data is None:
            row.append("")
            continue
        if data is None:
            raise BuildError(f"sample {key} has no {name} bytes, so {column} {path!r} cannot "
                             "be written; rebuild the split")
        if not path:
            raise BuildError(f"sample {key} has {name} bytes but an empty meta.paths.{column}: "
                             "there is no place for them in the original layout")
        row.append(files.put(path, data, f"sample {key} ({name})"))
    return row


class _Files:
    """The data files written so far under ``out``: the path checks, the duplicate rule
    and the counts."""

    def __init__(self, out: Path, shards: Path) -> None:
        self.out = out
        self.root = out.resolve()
        self.shards = shards.resolve()
        self.writers: dict[str, str] = {}
        self.checked: set[Path] = set()
        self.count = self.size = self.renamed = 0

    def put(self, path: str, data: bytes, who: str) -> str:
        """Write ``data`` at ``path`` (extension matched to the bytes); returns the path
        written. A path written before must receive identical bytes."""
        safe_path(path, who)
        final = matching_extension(path, data)
        target = self.target(final)
        first = self.writers.get(final)
        if first is not None:
            if target.read_bytes() != data:
                raise BuildError(f"{who} and {first} both write {final} with different bytes: "
                                 "the original layout has room for one file there; check "
                                 "meta.paths of the two samples")
            return final
        write_atomic(target, data)
        self.writers[final] = who
        self.count, self.size = self.count + 1, self.size + len(data)
        self.renamed += final != path
        return final

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


def safe_path(path: str, who: str) -> None:
    """BuildError unless ``path`` is a plain relative POSIX file path: not absolute, no
    ``..``/``.``/empty component, no backslash or control character, not the csv itself."""
    parts = path.split("/") if isinstance(path, str) else []
    problem = (not parts or path.startswith("/") or bool(DRIVE_LETTER.match(path)) or "\\" in path
               or any(part in ("", ".", "..") for part in parts)
               or any(ord(char) < 32 for char in path) or path == CSV_NAME)
    if problem:
        raise BuildError(f"{who}: meta path {path!r} is not a safe relative path (absolute, "
                         f"'..', empty component, control character or {CSV_NAME}); export "
                         "writes only inside --out, so the sample's meta.paths must be fixed")


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

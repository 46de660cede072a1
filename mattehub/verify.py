"""``mattehub verify DIR``: check every shard of an output folder against its stats, streaming.

What is checked, per split (``_stats/<config>/<split>.json``) and per shard stats file
(``_stats/<config>/<split>-NNNNNN.json``):

* **records**: the split summary exists (the build finished), lists the same shard files,
  sample and byte totals as the shard stats; shard numbers run 0, 1, ... without gaps and
  their index ranges follow each other;
* **files**: every recorded shard of every format exists at its layout path, with the
  recorded size and sha256; a shard file (or temp file) on disk that no stats record is
  reported too;
* **rows**: the row count equals the stats' ``samples`` (Parquet rows; tar samples grouped
  by key), keys are unique and the same, in the same order, in both formats;
* **fields**: each sample has the fields the split summary declares, and every field
  decodes (images with OpenCV after a chunk/CRC check, msgpack lists and clips of PNG/JPEG
  bytes, meta JSON);
* **sizes**: every picture of a sample has the size of its ``image`` (image samples) or of
  its first frame (clips), and ``meta.width``/``meta.height`` say the same;
* **mattes**: where a sample has ``alpha`` and ``instance_alphas``,
  ``|alpha - min(255, sum(instance_alphas))| <= n`` at every pixel for n instances. The
  stored mattes are quantised separately (i-him) so the sum may be off by up to one level
  per instance; measured on 1500 i-him samples the largest difference was 1 level (with 3
  or 4 instances), 0 with 1 or 2; release configs store ``alpha`` as exactly that sum.

Shards are read one at a time (Parquet: one row group at a time), and damaged files become
problem lines naming the shard file (and row, key and field), never a traceback. Rows are
numbered from 0 within their shard file.
"""
from __future__ import annotations

import json
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import cv2
import msgpack
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from .contract import CLIP, IMAGE, IMAGE_LIST, KEY_FIELD, META
from .errors import BuildError, SourceError
from .jsonio import read_json
from .layout import FORMAT_SUFFIX, TMP_MARK, OutputLayout, _is_shard_stats
from .shards import file_digests
from .sources.gate import check_complete

MAX_PROBLEMS_PER_FILE = 20
MATTE_FIELDS = ("alpha", "instance_alphas", "instance_masks", "mask")
FIX = ("To rebuild from a damaged shard: delete its stats file _stats/<config>/<split>-NNNNNN.json, "
       "then re-run the same `mattehub build` command (the shards before it are kept).")


@dataclass
class VerifyReport:
    """What ``verify_folder`` found: ``ok`` is True when ``problems`` is empty."""

    root: Path
    problems: list[str] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)
    """How many were checked: ``split``, ``shard file`` and ``row`` (rows of every format)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        """A readable report: one line when all is well, else one line per problem."""
        counts = ", ".join(_plural(self.checked[what], what) for what in ("split", "shard file", "row"))
        if self.ok:
            return f"{self.root}: OK ({counts} checked)"
        lines = [f"{self.root}: {_plural(len(self.problems), 'problem')} ({counts} checked)"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines + [FIX])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass
class _Split:
    """The records of one config/split: its summary (None if unfinished) and shard stats."""

    config: str
    name: str
    summary: dict | None = None
    stats: dict[int, dict] = field(default_factory=dict)
    unreadable: set[int] = field(default_factory=set)
    """Shard numbers whose stats file exists but is not readable JSON (already reported)."""

    @property
    def label(self) -> str:
        return f"{self.config}/{self.name}"

    def expected(self, fmt: str) -> dict[str, str] | None:
        """Declared ``{field name: contract kind}`` of format ``fmt``, or None (no summary)."""
        try:
            features = self.summary["features"][fmt]
        except (KeyError, TypeError):
            return None
        return {name: _feature_kind(f) for name, f in features.items()
                if name not in (KEY_FIELD, "__url__")}


class _Unreadable(Exception):
    """A shard file cannot be read on from some point (message says where)."""


class _BadField(Exception):
    """One field of one sample is damaged (message says how)."""


def verify_folder(root: str | Path, progress: bool = True) -> VerifyReport:
    """Check every shard of every format in the output folder ``root`` against its stats."""
    layout = _open_layout(root)
    report = VerifyReport(layout.root)
    splits = _find_splits(layout, report)
    if not splits and report.ok:
        report.problems.append("_stats/: holds no split summary or shard stats (nothing to verify)")
    for split in splits:
        where = layout.relative(layout.split_summary(split.config, split.name))
        _guarded(report, where, _check_records, layout, split, report)
    jobs = sum(len(_files(stats)) for split in splits for stats in split.stats.values())
    with tqdm(total=jobs, unit="shard", desc="verify", disable=not progress) as bar:
        for split in splits:
            report.checked["split"] += 1
            for number in sorted(split.stats):
                where = layout.relative(layout.shard_stats(split.config, split.name, number))
                _guarded(report, where, _check_shard, layout, split, number, report, bar)
    _check_unrecorded(layout, splits, report)
    return report


def _guarded(report: VerifyReport, where: str, check, *args) -> None:
    """Run one check; a record of the wrong shape (damaged JSON) becomes a problem line."""
    try:
        check(*args)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        report.problems.append(f"{where}: malformed record, cannot be checked "
                               f"({type(exc).__name__}: {exc})")


def _files(stats: dict) -> dict:
    """The ``files`` entry of shard stats: ``{format: {bytes, sha256, path}}``."""
    files = stats.get("files")
    return files if isinstance(files, dict) else {}


def _open_layout(root: str | Path) -> OutputLayout:
    layout = OutputLayout(root)
    if not layout.root.is_dir():
        raise BuildError(f"{layout.root}: does not exist or is not a folder; give the folder "
                         "you passed to `mattehub build --out`")
    if not (layout.root / "_stats").is_dir():
        raise BuildError(f"{layout.root}: not a mattehub output folder (it has no _stats/ "
                         "folder); give the folder you passed to `mattehub build --out`")
    return layout


# -- records --------------------------------------------------------------------------------
def _find_splits(layout: OutputLayout, report: VerifyReport) -> list[_Split]:
    """Every split with a summary or shard stats, its records read (unreadable ones reported)."""
    splits: dict[tuple[str, str], _Split] = {}

    def split_of(path: Path, name: str) -> _Split:
        key = (path.parent.name, name)
        return splits.setdefault(key, _Split(*key))

    for path in layout.summaries():
        split_of(path, path.stem).summary = _read_record(layout, path, report)
    for path in sorted(layout.root.glob("_stats/*/*.json")):
        if _is_shard_stats(path):
            name, number = path.stem.rsplit("-", 1)
            stats = _read_record(layout, path, report)
            split = split_of(path, name)
            if stats is None:
                split.unreadable.add(int(number))
            else:
                split.stats[int(number)] = stats
    return [splits[key] for key in sorted(splits)]


def _read_record(layout: OutputLayout, path: Path, report: VerifyReport) -> dict | None:
    data = read_json(path)
    if not isinstance(data, dict):
        report.problems.append(f"{layout.relative(path)}: not readable JSON (damaged record)")
        return None
    return data


def _check_records(layout: OutputLayout, split: _Split, report: VerifyReport) -> None:
    """Summary and shard stats agree; shard numbers and index ranges have no gaps."""
    add = report.problems.append
    summary_rel = layout.relative(layout.split_summary(split.config, split.name))
    if split.summary is None and not (layout.root / summary_rel).exists():
        add(f"{summary_rel}: missing, so {split.label} is unfinished; re-run its build")
    count = split.summary.get("shards", 0) if split.summary else max(split.stats, default=-1) + 1
    for number in range(count):
        if number not in split.stats and number not in split.unreadable:
            add(f"{layout.relative(layout.shard_stats(split.config, split.name, number))}: "
                f"missing (shard {number} of {split.label}; its files cannot be checked)")
    for number in sorted(n for n in split.stats if n >= count):
        add(f"{layout.relative(layout.shard_stats(split.config, split.name, number))}: shard "
            f"{number} is not counted in {summary_rel} ({count} shards)")
    _check_index_ranges(layout, split, report)
    if split.summary is not None and len(split.stats) == count:
        _check_summary(split, summary_rel, report)


def _check_index_ranges(layout: OutputLayout, split: _Split, report: VerifyReport) -> None:
    numbers = sorted(split.stats)
    for before, after in zip(numbers, numbers[1:]):
        end, first = split.stats[before].get("end_index"), split.stats[after].get("first_index")
        if after == before + 1 and end != first:
            report.problems.append(
                f"{layout.relative(layout.shard_stats(split.config, split.name, after))}: starts "
                f"at index {first} but shard {before} ends at {end}")


def _check_summary(split: _Split, summary_rel: str, report: VerifyReport) -> None:
    """The summary's file lists and totals are those of the shard stats."""
    stats = [split.stats[n] for n in sorted(split.stats)]
    files = split.summary.get("files", {})
    for fmt in sorted(set(files) | {f for s in stats for f in _files(s)}):
        recorded = [_files(s).get(fmt, {}).get("path") for s in stats]
        if files.get(fmt) != recorded:
            report.problems.append(f"{summary_rel}: lists {files.get(fmt)} as the {fmt} shards, "
                                   f"but the shard stats record {recorded}")
        total = sum(_files(s).get(fmt, {}).get("bytes") or 0 for s in stats)
        if split.summary.get("num_bytes", {}).get(fmt) != total:
            report.problems.append(f"{summary_rel}: num_bytes of {fmt} is "
                                   f"{split.summary.get('num_bytes', {}).get(fmt)}, the shard "
                                   f"stats add up to {total}")
    samples = sum(s.get("samples") or 0 for s in stats)
    if split.summary.get("num_examples") != samples:
        report.problems.append(f"{summary_rel}: num_examples is {split.summary.get('num_examples')}"
                               f", the shard stats add up to {samples}")


def _check_unrecorded(layout: OutputLayout, splits: list[_Split], report: VerifyReport) -> None:
    """Shard files (and temp files) in a config's shard folders that no stats record."""
    recorded = {info.get("path") for split in splits for stats in split.stats.values()
                for info in _files(stats).values() if isinstance(info, dict)}
    for config in sorted({split.config for split in splits}):
        for fmt, suffix in FORMAT_SUFFIX.items():
            folder = layout.shard_dir(config, fmt)
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                rel = layout.relative(path)
                if TMP_MARK in path.name:
                    report.problems.append(f"{rel}: temp file of an interrupted build; re-run "
                                           "the build, or delete it")
                elif path.suffix == suffix and rel not in recorded:
                    report.problems.append(f"{rel}: not recorded in any shard stats (left from "
                                           "another build?); delete it or rebuild")


# -- one shard --------------------------------------------------------------------------------
def _check_shard(layout: OutputLayout, split: _Split, number: int, report: VerifyReport,
                 bar: tqdm) -> None:
    """Check every format's file of shard ``number``, then that they hold the same keys."""
    stats = split.stats[number]
    keys: dict[str, list[str]] = {}
    for fmt, info in sorted(_files(stats).items()):
        problems = _FileProblems(info.get("path") or f"{split.label} shard {number} ({fmt})")
        found = _check_file(layout, split, number, fmt, info, problems)
        if found is not None:
            keys[problems.rel] = found
        report.problems += problems.lines()
        report.checked["shard file"] += 1
        report.checked["row"] += len(found or [])
        bar.update(1)
    _compare_keys(keys, report)


def _compare_keys(keys: dict[str, list[str]], report: VerifyReport) -> None:
    """Shards with the same number hold the same samples, in the same order, in every format."""
    (first, reference), *others = keys.items() if keys else [(None, [])]
    for rel, found in others:
        if found != reference:
            row = next((i for i, pair in enumerate(zip(reference, found)) if pair[0] != pair[1]),
                       min(len(reference), len(found)))
            report.problems.append(f"{rel}: holds other samples than {first} (from row {row} on)")


class _FileProblems:
    """Problem lines of one shard file, capped so one ruined file does not flood the report."""

    def __init__(self, rel: str) -> None:
        self.rel, self.found, self.seen = rel, [], set()

    def add(self, message: str) -> None:
        self.found.append(f"{self.rel}: {message}")

    def add_once(self, message: str, where: str) -> None:
        """Add ``message + where`` unless ``message`` was added before (a per-file problem)."""
        if message not in self.seen:
            self.seen.add(message)
            self.add(message + where)

    def lines(self) -> list[str]:
        if len(self.found) <= MAX_PROBLEMS_PER_FILE:
            return self.found
        more = len(self.found) - MAX_PROBLEMS_PER_FILE
        return self.found[:MAX_PROBLEMS_PER_FILE] + [f"{self.rel}: ... and {more} more problems"]


def _check_file(layout: OutputLayout, split: _Split, number: int, fmt: str, info: dict,
                problems: _FileProblems) -> list[str] | None:
    """Existence, size, sha256 and content of one shard file; its keys, or None if unread."""
    stats_rel = layout.relative(layout.shard_stats(split.config, split.name, number))
    expected_rel = layout.relative(layout.shard(split.config, split.name, number, fmt))
    if problems.rel != expected_rel:
        problems.add(f"recorded in {stats_rel}, but shard {number} should be {expected_rel}")
    path = layout.root / problems.rel
    if not path.is_file():
        problems.add(f"missing (recorded in {stats_rel})")
        return None
    digests = file_digests(path)
    if digests["bytes"] != info.get("bytes"):
        problems.add(f"is {digests['bytes']} bytes, {stats_rel} records {info.get('bytes')} "
                     "(truncated or changed)")
    if digests["sha256"] != info.get("sha256"):
        problems.add(f"sha256 is {digests['sha256']}, {stats_rel} records {info.get('sha256')} "
                     "(damaged or changed after it was written)")
    rows = _parquet_rows(path) if fmt == "parquet" else _tar_rows(path)
    keys = _check_rows(rows, split.expected("parquet"), problems)
    samples = split.stats[number].get("samples")
    if keys is not None and len(keys) != samples:
        problems.add(f"holds {len(keys)} samples, {stats_rel} records {samples}")
    return keys


def _check_rows(rows: Iterator, expected: dict[str, str] | None,
                problems: _FileProblems) -> list[str] | None:
    """Check each (row, key, fields) ``rows`` yields; the keys, or None if the file broke off."""
    keys: list[str] = []
    seen: set[str] = set()
    try:
        for row, key, fields in rows:
            where = f"row {row} (key {key})"
            if key in seen:
                problems.add(f"{where}: key appears twice in this shard")
            keys.append(key)
            seen.add(key)
            for message in _schema_problems(fields, expected):
                problems.add_once(message, f" (first in {where})")
            for message in _sample_problems(fields):
                problems.add(f"{where}, {message}")
    except _Unreadable as exc:
        problems.add(str(exc))
        return None
    return keys


# -- reading shards ---------------------------------------------------------------------------
def _parquet_rows(path: Path) -> Iterator[tuple[int, str, dict]]:
    """(row, key, fields) of a Parquet shard, one row group in memory at a time."""
    try:
        parquet = pq.ParquetFile(path)
        kinds = _parquet_kinds(parquet)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _Unreadable(f"cannot be opened as Parquet, truncated or damaged? ({exc})") from None
    row = 0
    for group in range(parquet.num_row_groups):
        try:
            table = parquet.read_row_group(group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise _Unreadable(f"row group {group} (rows from {row} on) cannot be read, truncated "
                              f"or damaged? ({exc})") from None
        for i in range(table.num_rows):
            values = table.slice(i, 1).to_pylist()[0]
            key = values.pop(KEY_FIELD, None)
            yield row, key, {name: _unwrap(value, kinds.get(name)) for name, value in values.items()}
            row += 1


def _parquet_kinds(parquet: pq.ParquetFile) -> dict[str, str]:
    """Contract kind of each column, from the ``datasets`` features the writer embedded."""
    metadata = parquet.schema_arrow.metadata or {}
    if b"huggingface" not in metadata:
        raise ValueError("no `huggingface` features in its schema metadata")
    features = json.loads(metadata[b"huggingface"])["info"]["features"]
    return {name: _feature_kind(feature) for name, feature in features.items()}


def _unwrap(value: Any, kind: str | None) -> Any:
    """A Parquet value in the recipe's terms: image structs become their bytes."""
    if value is None or kind in (None, META):
        return value
    if kind == IMAGE:
        return value.get("bytes") if isinstance(value, dict) else value
    inner = IMAGE if kind == IMAGE_LIST else IMAGE_LIST
    return [_unwrap(item, inner) for item in value]


def _feature_kind(feature: Any) -> str | None:
    """The contract kind of a ``datasets`` feature dict (``Features.to_dict()`` form)."""
    if not isinstance(feature, dict):
        return None
    if feature.get("_type") == "Image":
        return IMAGE
    if feature.get("_type") in ("List", "Sequence", "LargeList"):
        return {IMAGE: IMAGE_LIST, IMAGE_LIST: CLIP}.get(_feature_kind(feature.get("feature")))
    return None if "_type" in feature else META


def _tar_rows(path: Path) -> Iterator[tuple[int, str, dict]]:
    """(row, key, fields) of a WebDataset tar: consecutive members sharing a key."""
    row = 0
    try:
        with tarfile.open(path, "r|") as tar:
            key, members = None, {}
            for info in tar:
                if not info.isfile():
                    continue
                name_key, _, suffix = info.name.partition(".")
                if members and name_key != key:
                    yield row, key, _tar_fields(members)
                    row, members = row + 1, {}
                key, members[suffix] = name_key, tar.extractfile(info).read()
            if members:
                yield row, key, _tar_fields(members)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise _Unreadable(f"row {row}: the tar is truncated or damaged here ({exc})") from None


def _tar_fields(members: dict[str, bytes]) -> dict[str, Any]:
    """Field name -> value (``.json`` parsed, ``.mp`` unpacked; a _BadField if that fails)."""
    fields: dict[str, Any] = {}
    for suffix, data in members.items():
        name, _, ext = suffix.partition(".")
        try:
            if ext == "json":
                fields[name] = json.loads(data)
            elif ext == "mp":
                fields[name] = msgpack.unpackb(data, raw=False)
            else:
                fields[name] = data
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            fields[name] = _BadField(f"member {suffix} cannot be parsed ({type(exc).__name__})")
    return fields


# -- one sample -------------------------------------------------------------------------------
def _sample_problems(fields: dict[str, Any]) -> Iterator[str]:
    """Decoding, size and matte problems of one sample, as '<field>: <problem>'."""
    sizes: dict[str, tuple[int, int]] = {}
    mattes: dict[str, np.ndarray] = {}
    for name, value in fields.items():
        if isinstance(value, _BadField):
            yield f"{name}: {value}"
            continue
        if isinstance(value, dict):  # meta
            continue
        for label, data in _pictures(name, value):
            try:
                array = _decode(data, name)
            except _BadField as exc:
                yield f"{label}: {exc}"
                continue
            sizes[label] = (array.shape[1], array.shape[0])
            if name in ("alpha", "instance_alphas"):
                mattes[label] = array
    yield from _size_problems(sizes, fields.get("meta"))
    yield from _matte_problems(fields, mattes)


def _schema_problems(fields: dict[str, Any], expected: dict[str, str] | None) -> Iterator[str]:
    """Fields missing, unexpected or of another kind than the split summary declares."""
    if expected is None:
        return
    for name in sorted(set(expected) - set(fields)):
        yield f"{name}: missing (the split summary declares it)"
    for name in sorted(set(fields) - set(expected)):
        yield f"{name}: not declared in the split summary"
    for name in sorted(set(fields) & set(expected)):
        actual, declared = _kind_of(fields[name]), expected[name]
        if None not in (actual, declared) and actual != declared and not (
                fields[name] == [] and declared in (IMAGE_LIST, CLIP)):
            yield f"{name}: holds kind {actual!r}, the split summary declares {declared!r}"


def _kind_of(value: Any) -> str | None:
    """The contract kind a decoded value has (None for a _BadField or something unknown)."""
    if isinstance(value, bytes):
        return IMAGE
    if isinstance(value, dict):
        return META
    if isinstance(value, list):
        if all(isinstance(item, list) for item in value) and value:
            return CLIP
        return IMAGE_LIST if all(isinstance(item, bytes) for item in value) else None
    return None


def _pictures(label: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(label, encoded bytes) of every picture in a field: ``fg[1]``, ``instance_alphas[3][0]``."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _pictures(f"{label}[{i}]", item)
    else:
        yield label, value


def _decode(data: Any, name: str) -> np.ndarray:
    """Decode one picture; a matte field must be 8-bit single-channel."""
    if not isinstance(data, bytes) or not data:
        raise _BadField("holds no image bytes")
    try:
        check_complete(data, name)
    except SourceError as exc:
        raise _BadField(exc.problem) from None
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise _BadField("cannot be decoded as an image (damaged bytes)")
    if name in MATTE_FIELDS and (array.ndim != 2 or array.dtype != np.uint8):
        raise _BadField(f"is not an 8-bit single-channel matte ({array.dtype}, shape {array.shape})")
    return array


def _size_problems(sizes: dict[str, tuple[int, int]], meta: Any) -> Iterator[str]:
    """Every picture has the size of the image (or first frame), as meta says."""
    if not sizes:
        return
    reference = next((label for label in ("image", "frames[0]") if label in sizes), next(iter(sizes)))
    width, height = sizes[reference]
    for label, (w, h) in sizes.items():
        if (w, h) != (width, height):
            yield f"{label}: is {w}x{h}, {reference} is {width}x{height}"
    if isinstance(meta, dict) and {"width", "height"} <= set(meta):
        if (meta["width"], meta["height"]) != (width, height):
            yield f"meta: says {meta['width']}x{meta['height']}, {reference} is {width}x{height}"


def _matte_problems(fields: dict[str, Any], mattes: dict[str, np.ndarray]) -> Iterator[str]:
    """|alpha - min(255, sum of instance mattes)| <= n (one level of rounding per instance)."""
    alpha, count = mattes.get("alpha"), len(fields.get("instance_alphas") or [])
    instances = [mattes.get(f"instance_alphas[{i}]") for i in range(count)]
    if alpha is None or not instances or any(m is None or m.shape != alpha.shape for m in instances):
        return
    total = np.zeros(alpha.shape, np.int32)
    for matte in instances:
        total += matte
    diff = np.abs(alpha.astype(np.int32) - np.minimum(total, 255))
    worst = int(diff.max())
    if worst > count:
        yield (f"alpha: differs from min(255, sum of its {count} instance_alphas) by up to "
               f"{worst} levels at {int((diff > count).sum())} pixels (at most {count} allowed): "
               "an instance matte does not belong to this sample")

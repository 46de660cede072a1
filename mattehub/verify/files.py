"""The checks of one shard for ``mattehub verify``: each format's file exists at its layout
path with the recorded size and sha256, holds the recorded number of rows with unique keys,
and every format holds the same keys in the same order."""
from __future__ import annotations

from typing import Iterator

from tqdm.auto import tqdm

from mattehub.output.layout import OutputLayout
from mattehub.build.sequence import file_digests
from mattehub.formats import READERS
from mattehub.formats.base import Unreadable
from mattehub.verify.records import Split, shard_files
from mattehub.verify.report import FileProblems, VerifyReport
from mattehub.verify.samples import sample_problems, schema_problems


def check_shard(layout: OutputLayout, split: Split, number: int, report: VerifyReport,
                bar: tqdm) -> None:
    """Check every format's file of shard ``number``, then that they hold the same keys."""
    stats = split.stats[number]
    keys: dict[str, list[str]] = {}
    for fmt, info in sorted(shard_files(stats).items()):
        problems = FileProblems(info.get("path") or f"{split.label} shard {number} ({fmt})")
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


def _check_file(layout: OutputLayout, split: Split, number: int, fmt: str, info: dict,
                problems: FileProblems) -> list[str] | None:
    """Existence, size, sha256 and content of one shard file; its keys, or None if unread."""
    stats_rel = layout.relative(layout.shard_stats(split.config, split.name, number))
    expected_rel = layout.relative(layout.shard(split.config, split.name, number, fmt))
    if problems.rel != expected_rel:
        problems.add(f"recorded in {stats_rel}, but shard {number} should be {expected_rel}")
    path = layout.root / problems.rel
    if not path.is_file():
        problems.add(f"missing (recorded in {stats_rel})")
        return None
    digests = file_digests(path, with_md5="md5" in info)
    if digests["bytes"] != info.get("bytes"):
        problems.add(f"is {digests['bytes']} bytes, {stats_rel} records {info.get('bytes')} "
                     "(truncated or changed)")
    if digests["sha256"] != info.get("sha256"):
        problems.add(f"sha256 is {digests['sha256']}, {stats_rel} records {info.get('sha256')} "
                     "(damaged or changed after it was written)")
    elif digests.get("md5", info.get("md5")) != info.get("md5"):
        problems.add(f"md5 is {digests['md5']}, {stats_rel} records {info.get('md5')} (the wids "
                     "index lists that md5)")
    rows = READERS[fmt](path).rows()
    keys = _check_rows(rows, split.expected("parquet"), problems)
    samples = split.stats[number].get("samples")
    if keys is not None and len(keys) != samples:
        problems.add(f"holds {len(keys)} samples, {stats_rel} records {samples}")
    return keys


def _check_rows(rows: Iterator, expected: dict[str, str] | None,
                problems: FileProblems) -> list[str] | None:
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
            for message in schema_problems(fields, expected):
                problems.add_once(message, f" (first in {where})")
            for message in sample_problems(fields):
                problems.add(f"{where}, {message}")
    except Unreadable as exc:
        problems.add(str(exc))
        return None
    return keys

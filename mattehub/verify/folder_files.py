"""The checks of ``mattehub verify`` on the files beside the shards that users and loaders
depend on: each split summary's keys and types, the build record it came from, the wids
index of its tars, its preview sheet, the folder index ``_stats/index.json`` and both dataset
cards. Each file is compared with what the build writes from the (checked) shard stats and
summaries, so a deleted, damaged, stale or replaced file is a problem line naming it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2

from mattehub.build.finalize import wids_index
from mattehub.core.jsonio import read_json
from mattehub.output.card import render_card
from mattehub.output.card_templates import by_config
from mattehub.output.layout import CONFIG_SUFFIX, FORMAT_SUFFIX, OutputLayout
from mattehub.verify.records import Split, shard_files
from mattehub.verify.report import VerifyReport

SUMMARY_TYPES: dict[str, type | tuple[type, ...]] = {
    "config": str, "split": str, "num_examples": int, "num_bytes": dict, "shards": int,
    "files": dict, "features": dict, "build": dict}
"""Keys every split summary must have (loaders, cards and verify read them), with their types."""
ROOT_NAME = "@@mattehub-root@@"
"""Stands in for the output folder's name when the expected card text is rendered: the
cards' snippets name the folder, which may have been renamed or moved since."""


def summary_problems(summary: dict, split: Split) -> list[str]:
    """What is missing or of the wrong type in a split summary (empty: its shape is sound)."""
    problems = [f"{key}: missing" if key not in summary else
                f"{key}: is {type(summary[key]).__name__}, not {_type_name(kind)}"
                for key, kind in SUMMARY_TYPES.items()
                if key not in summary or not _is(summary[key], kind)]
    if problems:
        return problems
    if (summary["config"], summary["split"]) != (split.config, split.name):
        problems.append(f"says config {summary['config']!r} split {summary['split']!r}, but it "
                        f"is the summary of {split.label}")
    for fmt, paths in summary["files"].items():
        if fmt not in FORMAT_SUFFIX or not _is_list(paths, str):
            problems.append(f"files: {fmt!r} is not a format with a list of shard paths")
        elif not isinstance(summary["features"].get(fmt), dict):
            problems.append(f"features: declares no {fmt} features (its shards are listed)")
        elif not isinstance(summary["num_bytes"].get(fmt), int):
            problems.append(f"num_bytes: has no byte count for {fmt}")
    return problems


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _is_list(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _type_name(kind: type | tuple[type, ...]) -> str:
    return kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)


def check_split_files(layout: OutputLayout, split: Split, report: VerifyReport) -> None:
    """The build record, wids index and preview sheet of one finished split (sound summary)."""
    add = report.add
    summary, config, name = split.summary, split.config, split.name
    record_rel = layout.relative(layout.build_record(config, name))
    record = read_json(layout.root / record_rel)
    if not isinstance(record, dict):
        add(f"{record_rel}: {_absent(layout, record_rel)} (the build record of {split.label}: "
            "its options, fingerprint and source report); re-run its build")
    elif record.get("fingerprint") != summary["build"].get("fingerprint"):
        add(f"{record_rel}: records fingerprint {record.get('fingerprint')}, the split summary "
            f"{summary['build'].get('fingerprint')} (from another build?)")
    if "webdataset" in summary["files"]:
        _check_wids(layout, split, report)
    preview_rel = layout.relative(layout.preview(config, name))
    if summary["num_examples"] and not _is_picture(layout.root / preview_rel):
        add(f"{preview_rel}: {_absent(layout, preview_rel, 'a readable PNG')} (the preview sheet "
            f"of {split.label}); re-run its build to write it again")


def _check_wids(layout: OutputLayout, split: Split, report: VerifyReport) -> None:
    """The wids index lists every tar with the size, md5 and sample count its stats record."""
    rel = layout.relative(layout.wids_index(split.config, split.name))
    found = read_json(layout.root / rel)
    stats = [split.stats[n] for n in sorted(split.stats)]
    if sorted(split.stats) != list(range(split.summary["shards"])) or not all(
            "md5" in shard_files(s).get("webdataset", {}) for s in stats):
        return   # stats missing (reported) or without md5: nothing to compare the index with
    expected = wids_index(layout, split.config, split.name, stats)
    if not isinstance(found, dict):
        report.add(f"{rel}: {_absent(layout, rel)} (the wids index of "
                               f"{split.label}'s tars); re-run its build to write it again")
    elif found != expected:
        report.add(f"{rel}: does not list the tars as their shard stats record "
                               f"them ({_first_difference(found, expected)})")


def _first_difference(found: dict, expected: dict) -> str:
    """Where a wids index first differs from the expected one, for the problem line."""
    listed = found.get("shardlist")
    if not isinstance(listed, list) or len(listed) != len(expected["shardlist"]):
        return f"expected {len(expected['shardlist'])} shards"
    for entry, want in zip(listed, expected["shardlist"]):
        if entry != want:
            keys = sorted(k for k in want if not isinstance(entry, dict) or entry.get(k) != want[k])
            return f"{want['url']}: {', '.join(keys)} differ"
    return "other header fields"


def _is_picture(path: Path) -> bool:
    return path.is_file() and cv2.imread(str(path), cv2.IMREAD_UNCHANGED) is not None


def _absent(layout: OutputLayout, rel: str, what: str = "readable JSON") -> str:
    return "not " + what if (layout.root / rel).exists() else "missing"


def check_folder_files(layout: OutputLayout, summaries: list[dict], report: VerifyReport) -> None:
    """The folder index and both cards declare exactly the finished splits of ``summaries``."""
    rel = layout.relative(layout.folder_index())
    expected = {config: {"splits": [s["split"] for s in splits],
                         "formats": sorted(splits[0]["files"])}
                for config, splits in by_config(summaries).items()}
    found = read_json(layout.root / rel)
    if not isinstance(found, dict):
        report.add(f"{rel}: {_absent(layout, rel)} (loaders find the configs and "
                               "splits there); re-run a build into the folder to write it again")
    elif found != expected:
        report.add(f"{rel}: declares {_configs(found)}, the split summaries "
                               f"{_configs(expected)}")
    if all(layout.preview(s["config"], s["split"]).is_file() or not s["num_examples"]
           for s in summaries):   # else reported: the cards link each sheet only if present
        for fmt in CONFIG_SUFFIX:
            _check_card(layout, summaries, fmt, report)


def _configs(index: dict) -> str:
    return "; ".join(f"{config}: {entry.get('splits') if isinstance(entry, dict) else entry}"
                     for config, entry in sorted(index.items())) or "nothing"


def _check_card(layout: OutputLayout, summaries: list[dict], fmt: str,
                report: VerifyReport) -> None:
    """The card of ``fmt`` is the text the card writer makes from the split summaries."""
    expected = render_card(OutputLayout(layout.root, ROOT_NAME), summaries, fmt)
    path = layout.card(fmt)
    rel = layout.relative(path)
    if expected is None:
        return
    if not path.is_file():
        report.add(f"{rel}: missing (the dataset card of the {fmt} shards); re-run "
                               "a build into the folder to write it again")
    elif not _card_pattern(expected).fullmatch(path.read_text(encoding="utf-8", errors="replace")):
        report.add(f"{rel}: is not the card the split summaries make (replaced, "
                               "edited or stale: it must declare exactly their configs, splits "
                               "and files); re-run a build into the folder to write it again")


def _card_pattern(expected: str) -> re.Pattern:
    """``expected`` as a regex in which the folder name may be any one name, used throughout."""
    first, *rest = expected.split(ROOT_NAME)
    parts = [re.escape(first)]
    for number, piece in enumerate(rest):
        parts.append(r"(?P<root>[^/\s\"'`]+)" if number == 0 else "(?P=root)")
        parts.append(re.escape(piece))
    return re.compile("".join(parts), re.DOTALL)

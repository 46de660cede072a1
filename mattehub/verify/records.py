"""The records checks of ``mattehub verify``: split summaries against shard stats, shard
numbers and index ranges without gaps, and shard files on disk that no stats record."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mattehub.build.finalize import SplitState
from mattehub.build.plan import record_plan
from mattehub.contract.schema import KEY_FIELD
from mattehub.core.jsonio import read_json
from mattehub.output.layout import FORMAT_SUFFIX, TMP_MARK, OutputLayout
from mattehub.formats.parquet import feature_kind
from mattehub.verify.report import VerifyReport


@dataclass
class Split:
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
        return {name: feature_kind(f) for name, f in features.items()
                if name not in (KEY_FIELD, "__url__")}


def shard_files(stats: dict) -> dict:
    """The ``files`` entry of shard stats: ``{format: {bytes, sha256, path}}``."""
    files = stats.get("files")
    return files if isinstance(files, dict) else {}


def find_splits(layout: OutputLayout, report: VerifyReport) -> list[Split]:
    """Every split with a summary or shard stats, its records read (unreadable ones reported)."""
    splits: dict[tuple[str, str], Split] = {}

    def split_of(path: Path, name: str) -> Split:
        key = (path.parent.name, name)
        return splits.setdefault(key, Split(*key))

    for path in layout.summaries():
        split_of(path, path.stem).summary = _read_record(layout, path, report)
    for path in layout.all_shard_stats():
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


def check_records(layout: OutputLayout, split: Split, report: VerifyReport) -> None:
    """Summary and shard stats agree; shard numbers and index ranges have no gaps."""
    add = report.problems.append
    summary_rel = layout.relative(layout.split_summary(split.config, split.name))
    state = None
    if split.summary is None and not (layout.root / summary_rel).exists():
        state = planned_state(layout, split)
        if state is None:
            add(f"{summary_rel}: missing, so {split.label} is unfinished; re-run its build")
        else:
            report_incomplete(layout, state, summary_rel, report)
    count = split.summary.get("shards", 0) if split.summary else max(split.stats, default=-1) + 1
    if state is not None:
        count = len(state.stats) + len(state.missing)
    for number in range(count if state is None else 0):
        if number not in split.stats and number not in split.unreadable:
            add(f"{layout.relative(layout.shard_stats(split.config, split.name, number))}: "
                f"missing (shard {number} of {split.label}; its files cannot be checked)")
    for number in sorted(n for n in split.stats if n >= count):
        add(f"{layout.relative(layout.shard_stats(split.config, split.name, number))}: shard "
            f"{number} is not counted in {summary_rel} ({count} shards)")
    _check_index_ranges(layout, split, report)
    if split.summary is not None and len(split.stats) == count:
        _check_summary(split, summary_rel, report)


def planned_state(layout: OutputLayout, split: Split) -> SplitState | None:
    """Where an unfinished split stands against the shards its build record plans (complete
    shards, missing ones and their id ranges), as ``mattehub finalize`` says it; None when
    there is no readable record or the shards on disk are not cut as it plans."""
    record = read_json(layout.build_record(split.config, split.name))
    try:
        shards = record_plan(record)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    state = SplitState(split.config, split.name)
    for shard in shards:
        stats = split.stats.get(shard.number)
        if stats is None:
            state.missing.append(shard.number)
            state.ranges.append((shard.start, shard.stop))
        elif (stats.get("first_index"), stats.get("end_index")) != (shard.start, shard.stop):
            return None
        else:
            state.stats.append(stats)
    return state


def report_incomplete(layout: OutputLayout, state: SplitState, summary_rel: str,
                      report: VerifyReport) -> None:
    """The line of a split whose shards are not all there (or not finalised yet), with how to
    complete it: build the missing ranges, then ``mattehub finalize``."""
    finalize = f"`mattehub finalize {report.root}`"
    if not state.missing:
        report.add(f"{state.config}/{state.split}: all {len(state.stats)} shards complete but "
                   f"not finalised ({summary_rel} missing): run {finalize}")
        return
    label, rest = state.describe().split(": ", 1)
    report.add(f"{label}: incomplete: {rest}, so {summary_rel} is not written yet",
               f"To complete a split: build its missing shards with `mattehub build ... "
               f"--index-range A:B --out {report.root}` (the ranges above), then run {finalize}.")


def _check_index_ranges(layout: OutputLayout, split: Split, report: VerifyReport) -> None:
    numbers = sorted(split.stats)
    for before, after in zip(numbers, numbers[1:]):
        end, first = split.stats[before].get("end_index"), split.stats[after].get("first_index")
        if after == before + 1 and end != first:
            report.problems.append(
                f"{layout.relative(layout.shard_stats(split.config, split.name, after))}: starts "
                f"at index {first} but shard {before} ends at {end}")


def _check_summary(split: Split, summary_rel: str, report: VerifyReport) -> None:
    """The summary's file lists and totals are those of the shard stats."""
    stats = [split.stats[n] for n in sorted(split.stats)]
    files = split.summary.get("files", {})
    for fmt in sorted(set(files) | {f for s in stats for f in shard_files(s)}):
        recorded = [shard_files(s).get(fmt, {}).get("path") for s in stats]
        if files.get(fmt) != recorded:
            report.problems.append(f"{summary_rel}: lists {files.get(fmt)} as the {fmt} shards, "
                                   f"but the shard stats record {recorded}")
        total = sum(shard_files(s).get(fmt, {}).get("bytes") or 0 for s in stats)
        if split.summary.get("num_bytes", {}).get(fmt) != total:
            report.problems.append(f"{summary_rel}: num_bytes of {fmt} is "
                                   f"{split.summary.get('num_bytes', {}).get(fmt)}, the shard "
                                   f"stats add up to {total}")
    samples = sum(s.get("samples") or 0 for s in stats)
    if split.summary.get("num_examples") != samples:
        report.problems.append(f"{summary_rel}: num_examples is {split.summary.get('num_examples')}"
                               f", the shard stats add up to {samples}")


def check_unrecorded(layout: OutputLayout, splits: list[Split], report: VerifyReport) -> None:
    """Shard files (and temp files) in a config's shard folders that no stats record."""
    recorded = {info.get("path") for split in splits for stats in split.stats.values()
                for info in shard_files(stats).values() if isinstance(info, dict)}
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

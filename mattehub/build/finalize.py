"""What happens once every shard of a split is complete: summary, wids index, card, preview."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mattehub.output.card import STATISTICS, write_card
from mattehub.core.errors import BuildError
from mattehub.core.jsonio import read_json, write_json
from mattehub.output.layout import NAMES, OutputLayout, is_summary, record_names
from mattehub.output.checks import os_error, refuse_links
from mattehub.output.target import OutputTarget, local_path, open_target
from mattehub.output.preview import write_preview
from mattehub.contract.sample import EncodedSample
from mattehub.formats import READERS
from mattehub.build.plan import record_plan

WIDS_KIND = "wids-shard-index-v1"
PREVIEW_SAMPLES = 8


def split_summary(record: dict, split: str, all_stats: list[dict]) -> dict:
    """Totals of a finished split, plus the features the card declares for it (from the build
    record, so ``mattehub finalize`` needs no recipe). ``sha256`` lists each shard file's
    digest beside ``files``, so a re-run can tell whether the data changed
    (``kept_statistics``)."""
    counts: Counter = Counter()
    for stats in all_stats:
        counts.update(stats["event_counts"])
    files = {fmt: [s["files"][fmt]["path"] for s in all_stats] for fmt in record["formats"]}
    sha256 = {fmt: [s["files"][fmt]["sha256"] for s in all_stats] for fmt in record["formats"]}
    return {"config": record["config"], "family": record["family"], "summary": record["summary"],
            "split": split,
            "num_examples": sum(s["samples"] for s in all_stats),
            "num_bytes": {fmt: sum(s["files"][fmt]["bytes"] for s in all_stats)
                          for fmt in record["formats"]},
            "skipped_samples": sum(len(s["skipped_samples"]) for s in all_stats),
            "event_counts": dict(sorted(counts.items())), "shards": len(all_stats),
            "files": files, "sha256": sha256, "features": record["features"],
            "build": {k: v for k, v in record.items() if k not in ("features", "fields", "summary")}}


def wids_index(layout: OutputLayout, config: str, split: str, all_stats: list[dict]) -> dict:
    """A wids shard index: lets ``wids`` open the tars for random access."""
    folder = layout.shard_dir(config, "webdataset")
    shardlist = []
    for stats in all_stats:
        info = stats["files"]["webdataset"]
        url = (layout.root / info["path"]).relative_to(folder).as_posix()
        shardlist.append({"url": url, "md5sum": info["md5"], "nsamples": stats["samples"],
                          "filesize": info["bytes"]})
    return {"__kind__": WIDS_KIND, "wids_version": 1, "name": f"{config}/{split}",
            "shardlist": shardlist}


def kept_statistics(previous: dict | None, summary: dict) -> dict | None:
    """The ``statistics`` of the ``previous`` summary of this split when the new ``summary``
    lists exactly its shard files with the same sha256 (a re-run that kept every shard):
    the data did not change, so ``mattehub stats`` need not be run again. Anything else
    (other files, other bytes, an older summary without sha256) drops them."""
    if not isinstance(previous, dict) or not previous.get(STATISTICS):
        return None
    same = all(previous.get(key) == summary[key] for key in ("files", "sha256"))
    return previous[STATISTICS] if same else None


def finalize_split(layout: OutputLayout, record: dict, split: str, all_stats: list[dict],
                   preview: list[EncodedSample] | None = None) -> None:
    """Write the split summary, the wids index, the preview sheet and the dataset card, from
    the build record and the shards' stats alone (``preview``: the samples to show; read from
    the first shard when None and the sheet is missing)."""
    config = record["config"]
    if "webdataset" in record["formats"]:
        write_json(layout.wids_index(config, split), wids_index(layout, config, split, all_stats))
    sheet = layout.preview(config, split)
    if preview is None and not sheet.exists():
        preview = shard_samples(layout, record, all_stats, PREVIEW_SAMPLES)
    if preview:
        write_preview(sheet, preview)
    path = layout.split_summary(config, split)
    summary = split_summary(record, split, all_stats)
    statistics = kept_statistics(read_json(path), summary)
    if statistics:
        summary[STATISTICS] = statistics
    write_json(path, summary)
    write_card(layout)


def shard_samples(layout: OutputLayout, record: dict, all_stats: list[dict],
                  limit: int) -> list[EncodedSample]:
    """The first ``limit`` samples stored in the split's shards (Parquet, else tar)."""
    fmt = "parquet" if "parquet" in record["formats"] else "webdataset"
    samples: list[EncodedSample] = []
    for stats in all_stats:
        for _, key, fields in READERS[fmt](layout.root / stats["files"][fmt]["path"]).rows():
            samples.append(EncodedSample(len(samples), key, fields))
            if len(samples) == limit:
                return samples
    return samples


@dataclass
class SplitState:
    """Where one planned split stands: complete shards' stats, missing shard numbers (with
    their id ranges), shards above the byte limit, and whether it was finalised now."""

    config: str
    split: str
    stats: list[dict] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    oversized: list[int] = field(default_factory=list)
    finalized: bool = False

    def describe(self) -> str:
        """One line for the user."""
        if not self.missing:
            return f"{self.config}/{self.split}: {len(self.stats)} shards complete, finalised"
        ids = ", ".join(f"{a}:{b}" for a, b in self.ranges[:8]) + (", ..." if len(self.ranges) > 8 else "")
        return (f"{self.config}/{self.split}: {len(self.missing)} of "
                f"{len(self.stats) + len(self.missing)} shards missing (shards "
                f"{', '.join(map(str, self.missing[:8]))}{', ...' if len(self.missing) > 8 else ''}; "
                f"--index-range {ids}); not finalised")


def finalize_if_complete(target: OutputTarget, record: dict, split: str,
                         known: dict[int, dict] | None = None) -> SplitState:
    """Finalise ``split`` (summary, wids index, preview, cards; leftover temp files removed)
    when every shard its build record plans is complete; otherwise say which are missing.
    ``known``: stats of shards this run just verified or wrote, by number (not read and
    hashed again)."""
    config, max_bytes, known = record["config"], record["limits"]["max_bytes"], known or {}
    state = SplitState(config, split)
    for shard in record_plan(record):
        stats = known.get(shard.number) or target.complete_stats(
            config, split, shard.number, record["fingerprint"], tuple(record["formats"]))
        if stats is None:
            state.missing.append(shard.number)
            state.ranges.append((shard.start, shard.stop))
        else:
            state.stats.append(stats)
    state.oversized = [s["shard"] for s in state.stats
                       if max_bytes is not None and s["payload_bytes"] > max_bytes]
    if not state.missing:
        with target.staged() as layout:
            _finalize_staged(target, layout, record, split, state.stats)
        state.finalized = True
    return state


def _finalize_staged(target: OutputTarget, layout: OutputLayout, record: dict, split: str,
                     all_stats: list[dict]) -> None:
    """``finalize_split`` in ``layout`` (the folder itself, or a staging copy of what it
    reads: every summary for the cards, the old preview, the shards the preview shows), then
    the written files uploaded."""
    config = record["config"]
    preview = layout.relative(layout.preview(config, split))
    if target.remote:
        summaries = [rel for rel in target.glob(NAMES.summary_candidates()) if is_summary(Path(rel))]
        target.download(layout, summaries + [preview])
        if not (layout.root / preview).exists():
            fmt = "parquet" if "parquet" in record["formats"] else "webdataset"
            target.download(layout, [s["files"][fmt]["path"] for s in _first_samples(all_stats)])
    else:
        target.remove_shards(config, split, len(all_stats))  # temp files of dead writers only
    finalize_split(layout, record, split, all_stats)
    written = [layout.wids_index(config, split), layout.preview(config, split),
               layout.split_summary(config, split), layout.card("parquet"),
               layout.card("webdataset"), layout.folder_index()]
    target.upload(layout, [layout.relative(p) for p in written if p.exists()])


def _first_samples(all_stats: list[dict]) -> list[dict]:
    """The first shards holding PREVIEW_SAMPLES samples (the preview reads no further)."""
    chosen, count = [], 0
    for stats in all_stats:
        if count >= PREVIEW_SAMPLES:
            break
        chosen.append(stats)
        count += stats["samples"]
    return chosen


def finalize_folder(root: str | Path, config: str | None = None) -> list[SplitState]:
    """``mattehub finalize OUT``: every split with a build record (of ``config``, if given);
    OUT is a folder or an fsspec URL."""
    target = open_target(root)
    records = [rel for rel in target.glob(NAMES.record_pattern())
               if config is None or record_names(rel)[0] == config]
    if not records:
        raise BuildError(f"{target.out} has no build record{f' of {config}' if config else ''} "
                         f"({NAMES.relative(NAMES.build_record('<config>', '<split>'))}): start the build with "
                         "`mattehub build ... --index-range A:B --out` this folder first")
    local = local_path(root)
    for name in sorted({record_names(rel)[0] for rel in records} if local is not None else ()):
        refuse_links(local, name)
    try:
        return [finalize_if_complete(target, target.read_json(rel), record_names(rel)[1])
                for rel in records]
    except OSError as exc:  # a read-only or full folder: which file, and what to do
        raise os_error(exc, root, "folder") from None

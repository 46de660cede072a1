"""What happens once every shard of a split is complete: summary, wids index, card, preview."""
from __future__ import annotations

from collections import Counter

from .card import STATISTICS, write_card
from .jsonio import read_json, write_json
from .layout import OutputLayout
from .preview import write_preview
from .recipes.base import Recipe
from .sample import EncodedSample

WIDS_KIND = "wids-shard-index-v1"


def split_summary(recipe: Recipe, record: dict, split: str, all_stats: list[dict]) -> dict:
    """Totals of a finished split, plus the features the card declares for it. ``sha256``
    lists each shard file's digest beside ``files``, so a re-run can tell whether the data
    changed (``kept_statistics``)."""
    counts: Counter = Counter()
    for stats in all_stats:
        counts.update(stats["event_counts"])
    schema = recipe.schema()
    files = {fmt: [s["files"][fmt]["path"] for s in all_stats] for fmt in record["formats"]}
    sha256 = {fmt: [s["files"][fmt]["sha256"] for s in all_stats] for fmt in record["formats"]}
    return {"config": recipe.name, "family": recipe.family, "summary": recipe.summary,
            "split": split,
            "num_examples": sum(s["samples"] for s in all_stats),
            "num_bytes": {fmt: sum(s["files"][fmt]["bytes"] for s in all_stats)
                          for fmt in record["formats"]},
            "skipped_samples": sum(len(s["skipped_samples"]) for s in all_stats),
            "event_counts": dict(sorted(counts.items())), "shards": len(all_stats),
            "files": files, "sha256": sha256,
            "features": {"parquet": schema.parquet_features().to_dict(),
                         "webdataset": schema.wds_features().to_dict()},
            "build": record}


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


def finalize_split(layout: OutputLayout, recipe: Recipe, record: dict, split: str,
                   all_stats: list[dict], preview: list[EncodedSample] | None) -> None:
    """Write the split summary, the wids index, the preview sheet and the dataset card."""
    if "webdataset" in record["formats"]:
        write_json(layout.wids_index(recipe.name, split), wids_index(layout, recipe.name, split,
                                                                      all_stats))
    sheet = layout.preview(recipe.name, split)
    if preview is None and not sheet.exists():
        preview = [o.sample for o in map(recipe.make, range(min(8, record["num_samples"])))
                   if o.sample is not None]
    if preview:
        write_preview(sheet, preview)
    path = layout.split_summary(recipe.name, split)
    summary = split_summary(recipe, record, split, all_stats)
    statistics = kept_statistics(read_json(path), summary)
    if statistics:
        summary[STATISTICS] = statistics
    write_json(path, summary)
    write_card(layout)

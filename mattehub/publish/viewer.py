"""What the Hub's dataset viewer will show of the staged Parquet configs (read, never changed).

The viewer reads a Parquet split row group by row group. Its published limits: it reads at
most ``SCAN_LIMIT`` bytes (300 MB, "max=286.10 MiB" in its errors) of a row group, unless the
file has a page index (``OffsetIndex`` per column chunk), which lets it read single pages;
its first-rows response is capped at ``FIRST_ROWS_LIMIT`` (200 kB), cells beyond it are
truncated. mattehub's Parquet writer writes a page index and row groups sized by
``--row-group-bytes``; this module checks every staged shard against both limits from the
footers alone (``pyarrow.parquet.ParquetFile.metadata``: nothing is decoded) and says what the
viewer will show: image cells as thumbnails; clip cells (lists of lists of frames or
mattes) as lists it does not draw, so a clip config's card points to its preview sheets.
Changing the shards to suit the viewer would change their bytes: this only reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mattehub.core.jsonio import read_json
from mattehub.output.layout import OutputLayout

SCAN_LIMIT = 300_000_000
"""Bytes of one row group the viewer reads at most (without a page index)."""
FIRST_ROWS_LIMIT = 200_000
"""Bytes of the viewer's first-rows response."""


@dataclass
class ConfigView:
    """One config's Parquet shards as the viewer sees them."""

    config: str
    row_groups: int
    largest_row_group: int
    """Uncompressed (Arrow) bytes of the largest row group."""
    page_index: bool
    """Every column chunk of every shard has an offset index."""
    largest_row: int
    """Encoded bytes of the largest row (row group bytes / rows, the largest mean)."""
    clip: bool

    def verdict(self) -> str:
        readable = self.page_index or self.largest_row_group <= SCAN_LIMIT
        rows = ("its rows fit the first-rows response" if self.largest_row <= FIRST_ROWS_LIMIT
                else "its rows are larger than the first-rows response: cells are truncated")
        shows = ("clip cells are lists of lists of images, which the viewer lists without "
                 f"drawing them: the staged repo adds `{self.config}-preview` (thumbnails)"
                 if self.clip else "images as thumbnails")
        return (f"{self.config}: {self.row_groups} row group(s), largest "
                f"{self.largest_row_group / 1e6:.1f} MB of Arrow, page index "
                f"{'present' if self.page_index else 'ABSENT'}: "
                f"{'readable by the viewer' if readable else 'too big for the viewer'}; {rows}; "
                f"{shows}")


def _is_clip(features: dict) -> bool:
    """A list of lists of images somewhere in the features (frames x instances)."""
    def nested(feature, depth: int) -> bool:
        if isinstance(feature, dict) and feature.get("_type") == "List":
            return nested(feature.get("feature"), depth + 1)
        return isinstance(feature, dict) and feature.get("_type") == "Image" and depth >= 2
    return any(nested(feature, 0) for feature in features.values())


def config_views(root: Path) -> list[ConfigView]:
    """One ``ConfigView`` per config with Parquet shards in the (staged) output folder."""
    import pyarrow.parquet as pq

    layout, views = OutputLayout(root), {}
    for path in layout.summaries():
        summary = read_json(path)
        if not summary or "parquet" not in summary.get("files", {}):
            continue
        config = summary["config"]
        view = views.setdefault(config, ConfigView(config, 0, 0, True, 0,
                                                   _is_clip(summary["features"]["parquet"])))
        for shard in sorted(layout.shard_dir(config, "parquet").glob(f"{summary['split']}-*.parquet")):
            meta = pq.ParquetFile(shard).metadata
            for i in range(meta.num_row_groups):
                group = meta.row_group(i)
                view.row_groups += 1
                view.largest_row_group = max(view.largest_row_group, group.total_byte_size)
                view.largest_row = max(view.largest_row, group.total_byte_size // max(group.num_rows, 1))
                view.page_index &= all(group.column(c).has_offset_index
                                       for c in range(group.num_columns))
    return [views[name] for name in sorted(views)]


def viewer_report(root: Path) -> str:
    """The dry run's lines: each Parquet config against the viewer's limits."""
    views = config_views(root)
    return "\n".join(["dataset viewer (Parquet repo; limits: 300 MB per row group read, "
                      "page index, 200 kB first rows):"] + [f"  {v.verdict()}" for v in views])


def viewer_notes(root: Path) -> dict[str, str]:
    """Per repo format, the card paragraph on what the viewer shows."""
    views = config_views(root)
    unreadable = [v.config for v in views if not (v.page_index or v.largest_row_group <= SCAN_LIMIT)]
    clips = [v.config for v in views if v.clip]
    note = "**Dataset viewer.** " + (
        f"The row groups of {', '.join(f'`{c}`' for c in unreadable)} are too big for the "
        "viewer (over 300 MB without a page index): it shows no rows of them." if unreadable
        else "Every Parquet shard has a page index and row groups the viewer can read.")
    note += " Image fields show as thumbnails."
    if clips:
        note += (f" Clip configs ({', '.join(f'`{c}`' for c in clips)}) hold per row a list "
                 "of frames and a list of lists of mattes: expect the viewer to truncate "
                 "these cells (a row is often larger than its 200 kB first-rows response) "
                 "rather than draw every frame. Each has a viewer-friendly `<config>-preview` "
                 "config: the first frame and its union alpha of its first clips, as "
                 "thumbnails (made when the repo was staged; the preview sheets show more).")
    return {"parquet": note, "webdataset": "**Dataset viewer.** For the tars, the viewer reads "
            "the first samples of the first shard; the Parquet repo shows the same samples."}

"""``overlay-depth`` from the original dataset, read in place: one sample per usable row of
``label_data.csv``, in csv order, with the four files' bytes passed through untouched.

Every member passes the gate's pass-through check (complete, a readable image header, as
for release members); the mask must have its overlay's size, the depth may have any (the
published depth maps' size was the model's business), and the mask must hold a pixel
>= 128 (an all-zero or 0/1 mask under a visible overlay is refused). Nothing is converted: a
colour-stored mask stays as published. A row whose files fail is a counted skip naming the csv line.
Meta comes from the file names under the original's numbering, or from the sidecar an
export wrote (``sidecar.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mattehub.core.errors import SourceError
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.inputs import gate
from mattehub.inputs.listing import Skip
from mattehub.families.overlay_depth.original_sources import (UPSTREAM_SCALES, OriginalScan, Row, open_original,
                                                               parse_position)
from mattehub.recipes.outcomes import read_outcome
from mattehub.families.overlay_depth.meta import DEPTH_KINDS, empty_meta
from mattehub.families.overlay_depth.sources import MASK_FIX, empty_mask

TASK_ROWS = 16
"""Rows per build task: enough to amortise sending work to a process, small in memory."""


def _line_of(name: str) -> int:
    """The line number of a ``label_data.csv:LINE`` skip (other skips sort last)."""
    tail = name.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 1 << 62


def _ext(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return "jpg" if suffix in ("jpg", "jpeg", "") else suffix


def _check_mask(data: bytes, name: str) -> None:
    """Refuse a mask with no foreground pixel (all zero, or a 0/1 label map): stored, it
    would say there is nothing under a visible cut-out. Its bytes are not converted (the
    reader passes files through), so a 0/1 mask is refused rather than scaled."""
    problem = empty_mask(gate.decode_matte(data, name, keep_lossy=True).array)
    if problem:
        raise SourceError(name, problem, MASK_FIX)


@dataclass(frozen=True)
class OriginalRows:
    """The original dataset's usable rows in csv order, and the scan that reads their files."""

    scan: OriginalScan
    rows: tuple[Row, ...]
    with_depth: bool
    """Some row has a depth file (then rows without one are skipped)."""

    def listing(self) -> list:
        """Each row's line and files, as fingerprinted."""
        return [[row.line, row.bg, row.overlay, row.mask, row.depth] for row in self.rows]


class OriginalSource:
    """The rows of ``label_data.csv`` (folder or ``Dataset.zip``, local or remote):
    ``scan`` once, or ``bind`` the rows scanned elsewhere, then ``make_many``."""

    def __init__(self, opts: Any, name: str, seed: int) -> None:
        self.opts, self.name, self.seed = opts, name, seed
        self.sources: OriginalRows | None = None

    def bind(self, sources: OriginalRows) -> "OriginalSource":
        """Make samples from ``sources``."""
        self.sources = sources
        self.files, self.csv_name = sources.scan, sources.scan.csv_name
        self.rows, self.with_depth = sources.rows, sources.with_depth
        return self

    def scan(self) -> tuple[OriginalRows, dict]:
        """Read the csv and list the usable rows; bind the result."""
        scan = open_original(self.opts.data_dir)
        rows, skipped = scan.rows, list(scan.skipped)
        if any(row.depth for row in rows):
            skipped += [Skip(f"{scan.csv_name}:{row.line}", "has no depth file while other rows "
                             "have one") for row in rows if not row.depth]
            skipped.sort(key=lambda skip: _line_of(skip.path))
            rows = [row for row in rows if row.depth]
        sources = OriginalRows(scan, tuple(rows), any(row.depth for row in scan.rows))
        self.bind(sources)
        return sources, {"location": scan.location, "rows": len(rows), "samples": len(rows),
                         "skipped_inputs": [s.as_dict() for s in skipped]}

    def available(self) -> int:
        return len(self.rows)

    def fields(self) -> list[tuple[str, str, str]]:
        first = self.rows[0]
        fields = [("image", _ext(first.overlay), "the overlay, as published"),
                  ("mask", _ext(first.mask), "the mask, as published (JPEG: not exactly binary)")]
        if self.with_depth:
            fields.append(("depth", _ext(first.depth), "relative depth as published, bright = far"))
        return fields + [("bg", _ext(first.bg), "the background, as published")]

    def task_ranges(self, start: int, stop: int):
        for first in range(start, stop, TASK_ROWS):
            yield range(first, min(stop, first + TASK_ROWS))

    def make_many(self, indices: range) -> list[Outcome]:
        return [self._outcome(index) for index in indices]

    def _outcome(self, index: int) -> Outcome:
        row = self.rows[index]
        return read_outcome(index, lambda events: self._sample(index, row, events),
                            f"{self.csv_name}:{row.line}")

    def _sample(self, index: int, row: Row, events: list[dict]) -> EncodedSample:
        blobs = self.files.read(row)
        size = gate.image_header(blobs["overlay"], row.overlay)
        mask_size = gate.image_header(blobs["mask"], row.mask)
        if mask_size != size:
            raise SourceError(row.mask, f"is {mask_size[0]}x{mask_size[1]} but its overlay "
                                        f"{row.overlay} is {size[0]}x{size[1]}",
                              "a mask must have its overlay's size")
        _check_mask(blobs["mask"], row.mask)
        gate.image_header(blobs["bg"], row.bg)
        if self.with_depth:
            gate.image_header(blobs["depth"], row.depth)
        fields = {"image": blobs["overlay"], "mask": blobs["mask"]}
        fields.update({"depth": blobs["depth"]} if self.with_depth else {})
        fields["bg"] = blobs["bg"]
        fields["meta"] = self._meta(index, row)
        return EncodedSample(index, sample_key(index), fields)

    def _meta(self, index: int, row: Row) -> dict:
        flipped, scale_index = parse_position(row.overlay)
        meta = empty_meta()
        meta.update(DEPTH_KINDS["original" if self.with_depth else "none"].meta())
        meta.update(recipe=self.name, source="original", bg=row.bg, flipped=flipped,
                    scale=None if scale_index is None else UPSTREAM_SCALES[scale_index],
                    paths={"bg": row.bg, "overlay": row.overlay, "mask": row.mask,
                           "depth": row.depth if self.with_depth else ""},
                    csv_line=row.line, image_format=_ext(row.overlay), seed=self.seed,
                    index=index)
        meta.update(self.files.carried.get(row.line, {}))
        return meta

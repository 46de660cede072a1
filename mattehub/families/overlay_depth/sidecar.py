"""``mattehub_meta.jsonl``: the meta an overlay-depth export carries beside ``label_data.csv``.

The original layout only holds file paths, so an exported build read back in place would
otherwise get its meta from the file names under the original dataset's conventions (scales
1.0/0.8/0.6/0.4, 8-bit JPEG depth), which is wrong for a build made with other ``--scales``
or ``--depth exact``. ``mattehub export`` therefore writes one JSON object per csv row, and
the reader takes these values when the file is there. Older code ignores the extra file.
"""
from __future__ import annotations

import json

SIDECAR = "mattehub_meta.jsonl"
CARRIED = ("source", "bg", "fg", "flipped", "scale", "position", "box_size", "depth_mode",
           "depth_units", "depth_polarity", "depth_model", "size", "image_format", "jpeg_quality")
"""Meta keys that describe a sample's content (not where it sits: paths, csv line, index)."""


def sidecar_line(csv_line: int, meta: dict) -> str:
    """The sidecar line of the sample on ``csv_line`` (compact JSON, keys sorted)."""
    carried = {key: meta.get(key) for key in CARRIED if key in meta}
    return json.dumps({"csv_line": csv_line, **carried}, sort_keys=True, separators=(",", ":"))


def parse_sidecar(data: bytes) -> tuple[dict[int, dict], str | None]:
    """csv line -> carried meta, and None; or ({}, why) when the file is not a sidecar
    mattehub wrote (then the reader falls back to the file names, and says so)."""
    found: dict[int, dict] = {}
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            line = int(record.pop("csv_line"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return {}, f"line {number} is not a mattehub meta record; meta comes from the file names"
        found[line] = {key: record[key] for key in CARRIED if key in record}
    return found, None

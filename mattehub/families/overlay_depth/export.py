"""The original overlay-depth layout: how ``overlay-depth`` is exported.

Each sample's ``meta.paths`` says where its files go (the csv row it was read from, or the
layout synthesis would have written); the bg / overlay (field ``image``) / mask / depth
bytes are written there exactly as stored, and ``label_data.csv`` gets one row per sample in
shard order (``"bg";"overlay";"mask";"depth"``, every field quoted, no header), so code
written for the upstream dataset runs on a mattehub build unchanged. ``mattehub_meta.jsonl``
(``sidecar.py``) carries each row's meta beside it, for mattehub's own reader.

When the bytes' format differs from the path's extension (a PNG mask under a ``.jpg`` name)
the extension changes instead, in the file and in the csv (the engine's ``Sink.put``
returns the path written). The csv and the sidecar are index files: renamed after every data
file, the csv last, so a csv never names files that are not there.
"""
from __future__ import annotations

import csv
import io

from mattehub.core.errors import BuildError
from mattehub.families.exporting import Exporter, Sink
from mattehub.families.overlay_depth.original_sources import CSV_NAME
from mattehub.families.overlay_depth.sidecar import SIDECAR, sidecar_line

COLUMNS = {"bg": "bg", "overlay": "image", "mask": "mask", "depth": "depth"}
"""csv column -> sample field, in csv order."""
OPTIONAL = ("depth",)


class OverlayDepthOriginal(Exporter):
    layout = "overlay-depth original"
    families = ("overlay-depth",)
    needs = ("image", "mask", "bg", "meta")
    index_files = (SIDECAR, CSV_NAME)

    def __init__(self, split: str) -> None:
        super().__init__(split)
        self.rows = 0

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        row = export_sample(sink, key, fields)
        self.rows += 1
        text = io.StringIO()
        csv.writer(text, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="").writerow(row)
        sink.line(CSV_NAME, text.getvalue())
        sink.line(SIDECAR, sidecar_line(self.rows, fields.get("meta") or {}))


def export_sample(sink: Sink, key: str, fields: dict) -> list[str]:
    """Write one sample's files; returns its csv row (paths as written)."""
    paths = (fields.get("meta") or {}).get("paths")
    if not isinstance(paths, dict):
        raise BuildError(f"sample {key} has no meta.paths: the folder was not built by an "
                         "overlay-depth recipe that records where its files go")
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
        row.append(sink.put(path, data, f"sample {key} ({name})"))
    return row

"""AIM-500's published folders: how ``aim-500`` is exported: ``AIM-500/{original,mask,trimap}``
(the stored bytes) and ``AIM-500/aim_category_type.json`` (each image's ``meta.type`` and
``meta.category``, the images the category list had), written after the last sample."""
from __future__ import annotations

import json

from mattehub.families.aim500.layout import AIM500_LAYOUT, CATEGORIES
from mattehub.families.benchmark_export import BenchmarkExporter
from mattehub.families.exporting import Sink


class Aim500Export(BenchmarkExporter):
    benchmark = AIM500_LAYOUT
    layout = "AIM-500"
    families = ("aim500",)

    def __init__(self, split: str) -> None:
        super().__init__(split)
        self.listed: dict[str, dict] = {}

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        super().sample(sink, key, fields)
        meta = fields.get("meta") or {}
        if meta.get("type") is not None or meta.get("category") is not None:
            self.listed[meta["name"]] = {"type": meta.get("type"), "category": meta.get("category")}

    def finish(self, sink: Sink) -> None:
        if self.listed:
            data = json.dumps(self.listed, indent=1, sort_keys=True).encode()
            sink.put(f"{AIM500_LAYOUT.top}/{CATEGORIES}", data, "the category list")

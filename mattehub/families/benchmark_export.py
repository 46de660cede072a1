"""The exporter of the image benchmarks read by ``recipes/benchmark.py`` (P3M-10k, AM-2k...):
each stored field back in its published folder, ``<top>/<folder>/<meta.name>.<ext>``, the
extension that of the stored bytes (nothing re-encoded). Shared by those families the way
``exporting.py`` is: a family's ``export.py`` names its layout and family."""
from __future__ import annotations

from typing import ClassVar

from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required
from mattehub.recipes.benchmark import BenchmarkLayout, export_folders


class BenchmarkExporter(Exporter):
    """Subclasses set ``benchmark`` (the layout), ``layout`` (its name) and ``families``."""

    benchmark: ClassVar[BenchmarkLayout]
    needs = ("image", "alpha")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        name = component(meta_of(fields, key, "name")[0], key, "meta.name")
        for field, folder in export_folders(self.benchmark, self.split):
            data = required(fields, field, key, self.layout)
            sink.put(f"{folder}/{named(name, data)}", data, f"sample {key} ({field})")

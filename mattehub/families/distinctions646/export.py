"""Distinctions-646's published folders: how ``distinctions-646`` is exported.

``<Split>/FG/<fg>`` and ``<Split>/GT/<fg>`` (``Split`` = ``Train`` or ``Test``, ``fg`` =
``meta.fg``), written once per foreground from its first sample: the stored ``fg`` and
``alpha`` bytes (a foreground is stored as the FG file's colour, so an RGBA FG comes back as
its RGB), which ``distinctions-646`` reads again as ``--data-dir``. The composites and
backgrounds have no place in the release's layout (it ships FG and GT only) and are not
written.
"""
from __future__ import annotations

from mattehub.families.distinctions646.options import SPLITS
from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required, stem


class Distinctions646Folders(Exporter):
    layout = "Distinctions-646"
    families = ("distinctions-646",)
    needs = ("fg", "alpha")

    def __init__(self, split: str) -> None:
        super().__init__(split)
        self.written: set[str] = set()

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        fg = component(meta_of(fields, key, "fg")[0], key, "meta.fg")
        if fg in self.written:
            return
        self.written.add(fg)
        top = SPLITS.get(self.split) or component(self.split, key, "split")
        for folder, field in (("FG", "fg"), ("GT", "alpha")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{top}/{folder}/{named(stem(fg), data)}", data, f"sample {key} ({field})")

"""The Deep Image Matting tool's SURREAL folders: how ``surreal-alpha`` is exported.

The data-creation tool of "Data creation for Deep Image Matting" (docs/sources.md, SURREAL)
writes, per frame ``n`` (a running counter) and background ``k``, ``eps/<n>/<k>.png`` (the
foreground on the canvas), ``alpha/<n>/<k>.png`` and ``bg/<n>/<k>.png``, and composites
online. Export writes the same folders from the stored ``fg``, ``alpha`` and ``bg``: ``n``
numbers the (clip, frame) pairs in sample order from 0, ``k`` is
``meta.background_number``, and ``frames.txt`` (``n;clip;frame`` per line) says which SURREAL
frame each ``n`` is. Two differences from the tool, both because export writes stored bytes
only: ``eps`` is mattehub's ``fg``, the frame where alpha > 0 and black elsewhere (the tool
kept the rendered LSUN background around the body; mattehub does not store it), and the
``fg`` / ``bg`` files are JPEG with a ``.jpg`` name when the build stored JPEG (the default;
build with ``--image-format png`` for PNG files). Depth, part labels and the composite have
no folder in the tool's layout and are not written.
"""
from __future__ import annotations

from mattehub.families.exporting import Exporter, Sink, meta_of, named, required

INDEX = "frames.txt"


class DimTool(Exporter):
    layout = "DIM tool"
    families = ("surreal-alpha",)
    needs = ("fg", "alpha", "bg")
    index_files = (INDEX,)

    def __init__(self, split: str) -> None:
        super().__init__(split)
        self.frames: dict[tuple[str, int], int] = {}

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        clip, frame, k = meta_of(fields, key, "clip", "frame", "background_number")
        n = self.frames.get((clip, frame))
        if n is None:
            n = self.frames[(clip, frame)] = len(self.frames)
            sink.line(INDEX, f"{n};{clip};{frame}")
        who = f"sample {key}"
        for folder, field in (("eps", "fg"), ("alpha", "alpha"), ("bg", "bg")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{folder}/{n}/{named(str(int(k)), data)}", data, f"{who} ({field})")

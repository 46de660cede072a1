"""Adobe Image Matting's folders: how ``aim`` and ``composition-1k`` are exported.

``aim`` (split ``train``) -> Adobe's training layout as Deep Image Matting's composition
script leaves it, under ``train/``: ``fg/<fg name>`` and ``alpha/<fg name>`` once per
foreground (``<fg stem>.<ext>``, the extension of the stored bytes: the stored ``fg``, raw
or re-estimated with ``--fg-reestimate``; the 8-bit matte as PNG), and per sample ``merged/<fg stem>_<k>.<ext>`` (the composite) and
``bg/<fg stem>_<k>.<ext>`` (the background as composited: scaled and cropped, not the
COCO original), ``k`` = ``meta.background_number``. ``train/fg`` + ``train/alpha`` is what
mattehub's ``aim`` reads, so the export is a ``--data-dir`` again.

``composition-1k`` (split ``test``) -> the published test layout, ``test/merged/<fg>_<i>``,
``test/trimaps/<fg>_<i>.png``, ``test/alpha_copy/<fg>_<i>.png``: what mattehub's
``composition-1k`` (and GCA / MatteFormer / ViTMatte test loaders) read.

A file keeps its stored bytes; a name whose extension disagrees with them is renamed
(``.png`` for a PNG), never re-encoded.
"""
from __future__ import annotations

from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required, stem


class AdobeTrain(Exporter):
    layout = "Adobe training"
    families = ("aim",)
    needs = ("image", "alpha", "fg", "bg")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        fg_name, number = meta_of(fields, key, "fg", "background_number")
        fg_name = component(fg_name, key, "meta.fg")
        root, who, name = component(self.split, key, "split"), f"sample {key}", stem(fg_name)
        for folder, field, base in (("fg", "fg", name), ("alpha", "alpha", name),
                                    ("merged", "image", f"{name}_{number}"),
                                    ("bg", "bg", f"{name}_{number}")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{root}/{folder}/{named(base, data)}", data, f"{who} ({field})")


class Composition1k(Exporter):
    layout = "Composition-1k test"
    families = ("aim",)
    needs = ("image", "alpha", "trimap")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        fg, number = meta_of(fields, key, "fg", "background_number")
        name = component(f"{fg}_{number}", key, "composite name")
        root, who = component(self.split, key, "split"), f"sample {key}"
        for folder, field in (("merged", "image"), ("trimaps", "trimap"), ("alpha_copy", "alpha")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{root}/{folder}/{named(name, data)}", data, f"{who} ({field})")

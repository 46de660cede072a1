"""Adobe Image Matting's folders: how ``aim`` and ``composition-1k`` are exported.

``aim`` (split ``train``) -> Adobe's training layout as Deep Image Matting's composition
script leaves it, under ``train/``: ``fg/<fg name>`` and ``alpha/<fg name>`` once per
foreground (the stored ``fg``: raw, or re-estimated with ``--fg-reestimate``; the 8-bit
matte as PNG), and per sample ``merged/<fg stem>_<k>.<ext>`` (the composite) and
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

from mattehub.families.exporting import Exporter, Sink, component, meta_of, required, stem


class AdobeTrain(Exporter):
    layout = "Adobe training"
    families = ("aim",)
    needs = ("image", "alpha", "fg", "bg")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        fg_name, number = meta_of(fields, key, "fg", "background_number")
        fg_name = component(fg_name, key, "meta.fg")
        root, who, name = component(self.split, key, "split"), f"sample {key}", stem(fg_name)
        ext = fg_name.rsplit(".", 1)[-1] if "." in fg_name else "png"
        for folder, field, file in (("fg", "fg", fg_name), ("alpha", "alpha", f"{name}.png"),
                                    ("merged", "image", f"{name}_{number}.{ext}"),
                                    ("bg", "bg", f"{name}_{number}.{ext}")):
            sink.put(f"{root}/{folder}/{file}", required(fields, field, key, self.layout),
                     f"{who} ({field})")


class Composition1k(Exporter):
    layout = "Composition-1k test"
    families = ("aim",)
    needs = ("image", "alpha", "trimap")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        fg, number = meta_of(fields, key, "fg", "background_number")
        name = component(f"{fg}_{number}", key, "composite name")
        root, who = component(self.split, key, "split"), f"sample {key}"
        for folder, field in (("merged", "image"), ("trimaps", "trimap"), ("alpha_copy", "alpha")):
            sink.put(f"{root}/{folder}/{name}.png", required(fields, field, key, self.layout),
                     f"{who} ({field})")

"""DUTS's published folders: how ``duts`` is exported.

``<TOP>/<TOP>-Image/<name>.jpg`` and ``<TOP>/<TOP>-Mask/<name>.png`` with ``TOP`` =
``DUTS-TR`` (split ``train``) or ``DUTS-TE`` (``test``), ``name`` = ``meta.name``: the layout
of ``DUTS-TR.zip`` / ``DUTS-TE.zip``, which saliency and matting code (and mattehub's
``duts``) reads. The image is the stored JPEG (DUTS's own bytes unless the gate normalised
it), the mask the stored ``alpha`` (DUTS's own PNG when it was 8-bit grey). The DUTS trimap
mattehub computes has no place in the published layout and is not written.
"""
from __future__ import annotations

from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required

TOPS = {"train": "DUTS-TR", "test": "DUTS-TE"}


class DutsTrain(Exporter):
    layout = "DUTS"
    families = ("duts",)
    needs = ("image", "alpha")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        name = component(meta_of(fields, key, "name")[0], key, "meta.name")
        top = TOPS.get(self.split, f"DUTS-{component(self.split, key, 'split')}")
        who = f"sample {key}"
        for folder, field, default in (("Image", "image", "jpg"), ("Mask", "alpha", "png")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{top}/{top}-{folder}/{named(name, data, default)}", data, f"{who} ({field})")

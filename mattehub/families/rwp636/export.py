"""RWP-636's published folders: how ``rwp-636`` is exported.

``RealWorldPortrait-636/image/<name>.jpg`` (the stored image) and ``alpha/<name>.png`` (the
stored alpha), ``name`` = ``meta.name``: the folders MG Matting's evaluation and later papers'
loaders read, and ``rwp-636`` reads again. ``detailmap/`` is not stored, so not written.
"""
from __future__ import annotations

from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required

TOP = "RealWorldPortrait-636"


class RwpFolders(Exporter):
    layout = "RWP-636"
    families = ("rwp-636",)
    needs = ("image", "alpha")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        name = component(meta_of(fields, key, "name")[0], key, "meta.name")
        for folder, field, default in (("image", "image", "jpg"), ("alpha", "alpha", "png")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{TOP}/{folder}/{named(name, data, default)}", data, f"sample {key} ({field})")

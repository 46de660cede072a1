"""AIM-500's published folders: how ``hub-aim500`` is exported.

``AIM-500/original/<name>.jpg`` (the stored image) and ``AIM-500/mask/<name>.png`` (the
stored alpha), ``name`` = ``meta.name`` (the mirror's ``image_name``): the folders the
authors publish (docs/sources.md), which AIM's test code reads. The mirror has no trimaps,
so none are written (a ``--with trimap`` trimap is mattehub's, not AIM-500's).

``hub-him2k`` goes back to HIM-2K's published folders, ``images/<subset>/<name>.jpg`` and
``alphas/<subset>/<name>/NN.png`` (``subset`` = ``meta.split``: ``comp`` or ``natural``, the
mirror's ``subset`` column), which the ``him2k`` release config reads with ``--data-dir OUT``.
The union ``alpha`` has no place in that layout and is not written.
"""
from __future__ import annotations

from mattehub.families.exporting import (Exporter, Sink, component, meta_of, named, numbered,
                                         required)

TOP = "AIM-500"


class Aim500Folders(Exporter):
    layout = "AIM-500"
    families = ("hub-mirror",)
    needs = ("image", "alpha")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        name = component(meta_of(fields, key, "name")[0], key, "meta.name")
        for folder, field, default in (("original", "image", "jpg"), ("mask", "alpha", "png")):
            data = required(fields, field, key, self.layout)
            sink.put(f"{TOP}/{folder}/{named(name, data, default)}", data, f"sample {key} ({field})")


class Him2kFolders(Exporter):
    layout = "HIM-2K"
    families = ("image-him",)
    needs = ("image", "instance_alphas")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        name, subset = meta_of(fields, key, "name", "split")
        name, subset = component(name, key, "meta.name"), component(subset, key, "meta.split")
        image = required(fields, "image", key, self.layout)
        sink.put(f"images/{subset}/{named(name, image, 'jpg')}", image, f"sample {key} (image)")
        for number, data in numbered(required(fields, "instance_alphas", key, self.layout)):
            sink.put(f"alphas/{subset}/{name}/{number}.png", data, f"sample {key} (instance_alphas)")

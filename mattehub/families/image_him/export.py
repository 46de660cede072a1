"""MaGGIe's "own dataset" image layout: how ``i-him`` and the image releases (``i-him50k``,
``him2k``, ``m-him2k``) are exported.

MaGGIe's image training loader reads ``<root>/<split>/images/<name>.jpg`` with one folder
of instance mattes per image, ``<root>/<split>/<alpha_dir>/<name>/NN.png`` (``00.png``,
``01.png``... in ``instance_alphas`` order), and optional guidance masks
``<root>/<split>/<mask_dir>/<name>/NN.png``; its validation loader reads the same folders
with the split one level down (``<root>/images/<split>/...``, the HIM2K release's own
layout). Split ``train`` is written in the training layout, any other split (``comp``,
``natural``...) in the validation one. Export writes ``alphas`` and ``masks``, the names
mattehub's release readers default to (``--alpha-dir``, ``--mask-dir``), so the export reads
back as ``i-him50k`` / ``him2k`` / ``m-him2k`` with ``--data-dir OUT``. ``name`` is the
release's image name (``meta.name``), or the sample key for ``i-him``. A mask the release
did not publish (``meta.mask_present`` false: mattehub stores an all-zero matte there) is
not written. ``i-him``'s ``fg`` and ``bg`` go where MaGGIe's synthesis script put them,
``fg/<name>/NN.jpg`` and ``bg/<name>.jpg``; the union ``alpha`` and a ``--with trimap``
trimap have no place in the layout and are not written.
"""
from __future__ import annotations

from mattehub.families.exporting import Exporter, Sink, component, named, numbered, required

ALPHA_DIR, MASK_DIR = "alphas", "masks"


class MaggieImage(Exporter):
    layout = "MaGGIe image"
    families = ("image-him",)
    needs = ("image", "instance_alphas")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        meta = fields.get("meta") or {}
        name = component(meta.get("name") or key, key, "image name")
        split, who = component(self.split, key, "split"), f"sample {key}"
        place = self.folder(split)
        image = required(fields, "image", key, self.layout)
        sink.put(f"{place('images')}/{named(name, image, 'jpg')}", image, who)
        mattes = required(fields, "instance_alphas", key, self.layout)
        for number, data in numbered(mattes):
            sink.put(f"{place(ALPHA_DIR)}/{name}/{number}.png", data, f"{who} (instance_alphas)")
        present = meta.get("mask_present") or [True] * len(mattes)
        for (number, data), published in zip(numbered(fields.get("instance_masks") or []), present):
            if published:
                sink.put(f"{place(MASK_DIR)}/{name}/{number}.png", data, f"{who} (instance_masks)")
        for number, data in numbered(fields.get("fg") or []):
            sink.put(f"{place('fg')}/{name}/{named(number, data, 'jpg')}", data, f"{who} (fg)")
        if fields.get("bg") is not None:
            sink.put(f"{place('bg')}/{named(name, fields['bg'], 'jpg')}", fields["bg"], f"{who} (bg)")

    @staticmethod
    def folder(split: str):
        """``kind -> path`` of a kind's folder: ``train/images`` (training layout) or
        ``images/comp`` (validation layout, every split but ``train``)."""
        if split == "train":
            return lambda kind: f"{split}/{kind}"
        return lambda kind: f"{kind}/{split}"

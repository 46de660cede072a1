"""MaGGIe's "own dataset" video layout: how ``v-him`` and the video releases (``v-him2k5``,
``v-him60``) are exported.

MaGGIe's video loader reads ``<root>/<split>/fgr/<video>/<frame>.jpg`` and, per frame, one
matte per instance ``<root>/<split>/<alpha_dir>/<video>/<frame>/NN.png`` (every frame
holds every instance, all-zero mattes included), with optional guidance masks under
``<mask_dir>`` in the same shape; export writes ``alphas`` and ``masks`` (mattehub's
release readers' default ``--alpha-dir`` / ``--mask-dir``: the export reads back as
``v-him2k5`` with ``--data-dir OUT``; MaGGIe's own V-HIM2K5 config names the folder
``pha``: set ``alpha_dir_name`` to ``alphas`` there). ``video`` is the release's clip name
(``meta.video``) or, for ``v-him``, the sample key; frame names are ``meta.frame_names``
(releases) or ``00000``, ``00001``... (``v-him``: the synthesis script's names). Windows
of one clip (``--clip-length``) write the same files again: identical bytes are written
once, different bytes for one path are an error.
"""
from __future__ import annotations

from mattehub.core.errors import BuildError
from mattehub.families.exporting import Exporter, Sink, component, named, numbered, required

ALPHA_DIR, MASK_DIR = "alphas", "masks"


class MaggieVideo(Exporter):
    layout = "MaGGIe video"
    families = ("video-him",)
    needs = ("frames", "instance_alphas")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        meta = fields.get("meta") or {}
        frames = required(fields, "frames", key, self.layout)
        video = component(meta.get("video") or key, key, "video name")
        names = meta.get("frame_names") or [f"{i:05d}" for i in range(len(frames))]
        if len(names) != len(frames):
            raise BuildError(f"sample {key}: meta.frame_names has {len(names)} names for "
                             f"{len(frames)} frames; rebuild the split")
        root, who = f"{component(self.split, key, 'split')}", f"sample {key}"
        mattes = required(fields, "instance_alphas", key, self.layout)
        masks = fields.get("instance_masks") or [[] for _ in frames]
        for name, frame, alphas, guides in zip(names, frames, mattes, masks):
            name = component(name, key, "frame name")
            sink.put(f"{root}/fgr/{video}/{named(name, frame, 'jpg')}", frame, f"{who} (frames)")
            for number, data in numbered(alphas):
                sink.put(f"{root}/{ALPHA_DIR}/{video}/{name}/{number}.png", data,
                         f"{who} (instance_alphas)")
            for number, data in numbered(guides):
                sink.put(f"{root}/{MASK_DIR}/{video}/{name}/{number}.png", data,
                         f"{who} (instance_masks)")

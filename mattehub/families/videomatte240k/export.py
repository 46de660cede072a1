"""VideoMatte240K's frame folders: how ``videomatte240k`` and ``videomatte240k-comp`` are
exported.

``<split>/fgr/<video>/<frame>.jpg`` and ``<split>/pha/<video>/<frame>.png``: the layout of
the JPEG releases, which RVM's and BGMv2's loaders read (``video`` = ``meta.video``,
``frame`` = ``meta.frame_names``; the clips of one video go back into its folder). Frames are
the stored bytes (the published JPEGs when they were passed through); alphas are the stored
lossless PNGs, so a file is named ``.png`` where the release had ``.jpg``: mattehub's own
``videomatte240k`` reads the export back (it pairs frames and alphas by stem), while RVM's
loader opens ``pha/<video>/<fgr file name>`` and needs the names to match (rename or
convert the alphas for it). ``videomatte240k-rvm-eval`` goes back to RVM's evaluation layout
(``RvmEvalFolders``). ``videomatte240k-comp`` writes its composites under ``com/``
(RVM's evaluation sets' name for composites) in one folder per clip, ``<split>/com/<key>/``
and ``<split>/pha/<key>/``, since clips of one video sit on different backgrounds.
"""
from __future__ import annotations

from mattehub.core.errors import BuildError
from mattehub.families.exporting import Exporter, Sink, component, meta_of, named, required


class VideoMatteFolders(Exporter):
    layout = "VideoMatte240K frame folders"
    families = ("videomatte240k",)
    needs = ("frames", "instance_alphas")
    frames_folder = "fgr"

    def folder(self, key: str, fields: dict) -> str:
        """The video folder a sample's frames go in."""
        return component(meta_of(fields, key, "video")[0], key, "meta.video")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        split, folder = component(self.split, key, "split"), self.folder(key, fields)
        who = f"sample {key}"
        for name, frame, alpha in clip_files(self.layout, key, fields):
            sink.put(f"{split}/{self.frames_folder}/{folder}/{named(name, frame, 'jpg')}", frame,
                     f"{who} (frames)")
            if alpha is not None:
                sink.put(f"{split}/pha/{folder}/{named(name, alpha)}", alpha, f"{who} (instance_alphas)")


def clip_files(layout: str, key: str, fields: dict) -> list[tuple[str, bytes, bytes | None]]:
    """(frame name, frame bytes, alpha bytes or None) of every frame of a stored clip;
    BuildError when the frame names, frames and alphas do not match."""
    frames = required(fields, "frames", key, layout)
    alphas = required(fields, "instance_alphas", key, layout)
    names = meta_of(fields, key, "frame_names")[0]
    if not len(names) == len(frames) == len(alphas):
        raise BuildError(f"sample {key}: {len(names)} frame names, {len(frames)} frames and "
                         f"{len(alphas)} alphas; rebuild the split")
    return [(component(name, key, "frame name"), frame, alpha[0] if alpha else None)
            for name, frame, alpha in zip(names, frames, alphas)]


class VideoMatteComposites(VideoMatteFolders):
    layout = "VideoMatte240K composites"
    frames_folder = "com"

    def folder(self, key: str, fields: dict) -> str:
        return component(key, key, "sample key")


class RvmEvalFolders(Exporter):
    """``videomatte240k-rvm-eval`` back in the layout RVM's scripts wrote:
    ``<dataset>/<clip>/com/<frame>.png`` and ``<dataset>/<clip>/pha/<frame>.png`` (the stored
    bytes: the generated files themselves where they were passed through), whatever the
    split (``combined`` writes every dataset folder). ``fgr/`` and ``bgr/`` are not stored, so
    not written: run ``evaluate_lr.py`` on it with ``--metrics pha_mad pha_mse pha_grad
    pha_conn pha_dtssd`` (its default also reads ``fgr``)."""

    layout = "RVM evaluation sets"
    families = ("videomatte240k",)
    needs = ("frames", "instance_alphas")

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        dataset, clip = meta_of(fields, key, "dataset", "clip")
        folder = f"{component(dataset, key, 'meta.dataset')}/{component(clip, key, 'meta.clip')}"
        who = f"sample {key}"
        for name, frame, alpha in clip_files(self.layout, key, fields):
            sink.put(f"{folder}/com/{named(name, frame)}", frame, f"{who} (frames)")
            if alpha is not None:
                sink.put(f"{folder}/pha/{named(name, alpha)}", alpha, f"{who} (instance_alphas)")

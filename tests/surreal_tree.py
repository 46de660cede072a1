"""A SURREAL-format tree for the surreal-alpha tests, written independently of
``mattehub.families.surreal_alpha.standin`` (docs/sources.md, 'SURREAL').

``<root>/cmu/<split>/run0/<seq>/<seq>_c<NNNN>`` with:

* ``.mp4``: H.264 (PyAV, libx264, yuv420p), 320x240, 30 fps. Frames are flat 16x16-aligned
  colour blocks (a "rendered scene" plus a "person" of axis-aligned parts, one of them pure
  red), so the lossy codec changes little; checks compare against the frames decoded back
  with ``av`` anyway (``decoded_frames``).
* ``_segm.mat``: ``segm_1..T`` uint8 (240, 320), 0 = background, parts 1..24 (every label
  used, hard edges).
* ``_depth.mat``: ``depth_1..T`` float32 metres, background 1e10, and on the person a few
  pixels that must come out invalid (70 m, 500 m, 1000 m, NaN, -1, 0) or just valid (65.535 m).
* ``_info.mat``: SURREAL's keys and shapes (``gender`` 1xT, ``camLoc`` 3x1, ``camDist``,
  ``zrot`` Tx1, ``pose`` 72xT, ``shape`` 10xT, ``joints2D`` 2x24xT, ``joints3D`` 3x24xT,
  ``light`` 9xT, ``bg`` cell, ``sequence``, ``clipNo``, ``source``, ``stride``, ``cloth``).

Every mat is written with ``scipy.io.savemat(..., do_compression=True)`` as the release is.
Backgrounds are JPEG/PNG files of different sizes and aspects (one portrait, one exactly
320x240 so that the native layout can pass its bytes through).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import scipy.io
from PIL import Image

WIDTH, HEIGHT = 320, 240
RED = (255, 0, 0)
RED_LABEL = 17
"""The part drawn in pure red (SMPL left arm): a BGR/RGB swap would turn it blue."""

# Invalid or borderline depths (metres) written on the torso, with the millimetres expected.
SPECIAL_DEPTHS = ((70.0, 0), (500.0, 0), (1000.0, 0), (float("nan"), 0), (-1.0, 0), (0.0, 0),
                  (65.535, 65535), (1e10, 0))

# (split, seq, clip number, frames) of the default tree; clips sort by name within a split.
DEFAULT_CLIPS = (("train", "01_01", 1, 4), ("train", "01_01", 2, 3), ("train", "02_03", 1, 3),
                 ("val", "05_02", 1, 2))
# (relative path, width, height) of the default backgrounds.
DEFAULT_BACKGROUNDS = (("exact.jpg", 320, 240), ("landscape.jpg", 400, 300),
                       ("portrait.png", 180, 300), ("sub/wide.jpg", 480, 200))


@dataclass
class ClipFiles:
    """One written clip: its public name and file paths."""

    name: str
    """``cmu/<split>/run0/<seq>/<seq>_c<NNNN>``"""
    base: Path
    frames: int
    """Label frames written (the mp4 may hold another count, see ``video_frames``)."""
    video_frames: int

    def path(self, kind: str) -> Path:
        suffix = {"video": ".mp4", "segm": "_segm.mat", "depth": "_depth.mat",
                  "info": "_info.mat"}[kind]
        return self.base.with_name(self.base.name + suffix)


@dataclass
class SurrealTree:
    root: Path
    """The folder holding ``cmu/``."""
    bg_root: Path
    clips: dict[str, ClipFiles] = field(default_factory=dict)
    backgrounds: list[str] = field(default_factory=list)
    """Relative background paths, sorted."""

    @property
    def cmu(self) -> Path:
        return self.root / "cmu"

    def split_clips(self, split: str) -> list[ClipFiles]:
        """The clips of one split, sorted by name (the recipe's order)."""
        return [self.clips[name] for name in sorted(self.clips) if name.split("/")[1] == split]


def _scene(rng: np.random.Generator) -> np.ndarray:
    """The rendered "LSUN" scene baked into a clip's frames: 16x16 blocks of flat colour."""
    blocks = rng.integers(30, 226, (HEIGHT // 16, WIDTH // 16, 3), dtype=np.uint8)
    return np.repeat(np.repeat(blocks, 16, axis=0), 16, axis=1)


def _colour(label: int) -> tuple[int, int, int]:
    if label == RED_LABEL:
        return RED
    return (40 + (label * 53) % 180, 40 + (label * 97) % 180, 40 + (label * 29) % 180)


def _parts(t: int, shift: int) -> list[tuple[int, int, int, int, int]]:
    """(label, y0, y1, x0, x1) of the person's parts at frame ``t`` (later parts on top)."""
    x = 64 + shift + 16 * t
    parts = [(1, 96, 160, x, x + 48),            # torso
             (15, 48, 96, x + 8, x + 40),          # head
             (RED_LABEL, 96, 144, x - 32, x),      # left arm, pure red
             (18, 96, 144, x + 48, x + 64),        # right arm
             (4, 160, 224, x, x + 16),             # legs
             (5, 160, 224, x + 32, x + 48)]
    # a belt of 8x8 blocks using every other label, so all of 1..24 appear
    others = [label for label in range(1, 25) if label not in {p[0] for p in parts}]
    for number, label in enumerate(others):
        row, col = divmod(number, 6)
        parts.append((label, 200 + 8 * row, 208 + 8 * row, 176 + 8 * col + shift % 32,
                      184 + 8 * col + shift % 32))
    return parts


def clip_arrays(frames: int, seed: int):
    """(rgb frames, label maps, depth maps in metres) of one clip."""
    rng = np.random.default_rng(seed)
    scene, shift = _scene(rng), int(rng.integers(0, 3)) * 16
    rgbs, labels, depths = [], [], []
    for t in range(frames):
        rgb, label = scene.copy(), np.zeros((HEIGHT, WIDTH), np.uint8)
        for part, y0, y1, x0, x1 in _parts(t, shift):
            label[y0:y1, x0:x1], rgb[y0:y1, x0:x1] = part, _colour(part)
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
        metres = np.where(label > 0, 2.0 + 0.05 * label + 0.0013 * xs + 0.0007 * ys,
                          1e10).astype(np.float32)
        y0, x0 = 100, 64 + shift + 16 * t + 4  # inside the torso
        for number, (value, _) in enumerate(SPECIAL_DEPTHS):
            metres[y0 + 2 * number:y0 + 2 * number + 2, x0:x0 + 3] = value
        rgbs.append(rgb)
        labels.append(label)
        depths.append(metres)
    return rgbs, labels, depths


def info_dict(frames: int, seed: int, seq: str, clip_no: int) -> dict:
    """An ``_info.mat`` with SURREAL's keys and shapes (frames on the last axis)."""
    rng = np.random.default_rng(seed + 1000)
    return {"sequence": seq, "clipNo": np.array([[clip_no]], np.float64), "source": "cmu",
            "bg": np.array([f"lsun/bedroom/{seed}_{t}.jpg" for t in range(frames)], dtype=object),
            "gender": np.full((1, frames), seed % 2, np.uint8),
            "light": rng.normal(size=(9, frames)).astype(np.float32),
            "stride": np.array([[50]], np.float64),
            "camDist": np.array([[rng.uniform(5, 9)]]),
            "camLoc": rng.normal(size=(3, 1)),
            "zrot": rng.uniform(-3, 3, (frames, 1)).astype(np.float32),
            "pose": rng.normal(0, 0.3, (72, frames)).astype(np.float32),
            "shape": rng.normal(size=(10, frames)).astype(np.float32),
            "joints2D": rng.uniform(0, 320, (2, 24, frames)),
            "joints3D": rng.normal(size=(3, 24, frames)),
            "cloth": "nongrey_female_0001.jpg"}


def write_mp4(path: Path, frames: list[np.ndarray], faststart: bool = False) -> None:
    """H.264 yuv420p mp4 of RGB frames (PyAV, libx264); ``faststart`` puts the index
    (``moov``) before the frame data, so a cut file still opens and says how many frames
    it should have."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "12"}
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_clip(cmu: Path, split: str, seq: str, clip_no: int, frames: int, seed: int, *,
               video_frames: int | None = None, depth: bool = True, info: bool = True,
               run: str = "run0", faststart: bool = False) -> ClipFiles:
    """Write one clip; ``video_frames`` other than ``frames`` makes the mp4 disagree with
    the labels (the arrays of the longer one are generated, the other is cut)."""
    video_frames = frames if video_frames is None else video_frames
    rgbs, labels, depths = clip_arrays(max(frames, video_frames), seed)
    base = cmu / split / run / seq / f"{seq}_c{clip_no:04d}"
    files = ClipFiles(f"cmu/{split}/{run}/{seq}/{base.name}", base, frames, video_frames)
    write_mp4(files.path("video"), rgbs[:video_frames], faststart)
    scipy.io.savemat(files.path("segm"), {f"segm_{t + 1}": labels[t] for t in range(frames)},
                     do_compression=True)
    if depth:
        scipy.io.savemat(files.path("depth"), {f"depth_{t + 1}": depths[t] for t in range(frames)},
                         do_compression=True)
    if info:
        scipy.io.savemat(files.path("info"), info_dict(frames, seed, seq, clip_no),
                         do_compression=True)
    return files


def write_backgrounds(bg_root: Path, specs=DEFAULT_BACKGROUNDS, seed: int = 7) -> list[str]:
    """Blocky random backgrounds; returns their relative paths, sorted."""
    rng = np.random.default_rng(seed)
    for rel, width, height in specs:
        blocks = rng.integers(0, 256, (height // 20 + 1, width // 20 + 1, 3), dtype=np.uint8)
        array = np.repeat(np.repeat(blocks, 20, axis=0), 20, axis=1)[:height, :width]
        path = bg_root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(array)).save(path, quality=95)
    return sorted(rel for rel, _, _ in specs)


def make_surreal_tree(root: Path, clips=DEFAULT_CLIPS, backgrounds=DEFAULT_BACKGROUNDS,
                      **clip_options) -> SurrealTree:
    """``root/cmu/...`` with ``clips`` and ``root/bg`` with ``backgrounds``."""
    root = Path(root)
    tree = SurrealTree(root, root / "bg")
    for number, (split, seq, clip_no, frames) in enumerate(clips):
        files = write_clip(tree.cmu, split, seq, clip_no, frames, seed=number, **clip_options)
        tree.clips[files.name] = files
    tree.backgrounds = write_backgrounds(tree.bg_root, backgrounds)
    return tree


# Reading the ground truth back (what the checks compare with) -------------------------

def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame of an mp4 as RGB uint8, decoded with PyAV."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def mat_frames(path: Path, prefix: str) -> list[np.ndarray]:
    """``prefix_1, prefix_2...`` of a mat file, in order."""
    loaded = scipy.io.loadmat(str(path))
    out = []
    while f"{prefix}_{len(out) + 1}" in loaded:
        out.append(loaded[f"{prefix}_{len(out) + 1}"])
    return out


def expected_millimetres(metres: np.ndarray) -> np.ndarray:
    """docs/format.md: round(metres x 1000) where 0 < m <= 1e3, finite and <= 65535 mm; else 0."""
    m = metres.astype(np.float64)
    with np.errstate(invalid="ignore"):
        mm = np.round(m * 1000.0)
        valid = np.isfinite(m) & (m > 0) & (m <= 1e3) & (mm <= 65535)
    return np.where(valid, mm, 0).astype(np.uint16)

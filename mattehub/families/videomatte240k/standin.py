"""A tiny VideoMatte240K stand-in for the demo, in the published JPEG layout.

``VideoMatte240K_JPEG_SD/{train,test}/{fgr,pha}/<video>/<frame:05d>.jpg`` (the JPEG SD
release's layout, docs/sources.md 'VideoMatte240K'): a person-like figure (a body and a
head, soft-edged) swaying across each video, its colour on black in ``fgr`` and its alpha as
grey JPEG in ``pha``. Videos have different lengths, so cutting them into clips of
``CLIP_LENGTH`` drops a remainder. Backgrounds for ``videomatte240k-comp``: two still JPEGs
and one background video as a folder of frames (shorter than a clip: it wraps), in RVM's
``BackgroundVideos`` layout. For ``videomatte240k-rvm-eval``: two evaluation sets in the layout
RVM's generation scripts write (``videomatte_512x288/<dataset>/<clip>/{com,fgr,pha,bgr}/
<t:04d>.png``), one clip of ``RVM_FRAMES`` frames each. Small frames keep the demo fast.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.videomatte240k.options import RvmEvalOptions, VideoMatteCompOptions, VideoMatteOptions
from mattehub.families.videomatte240k.recipe import VideoMatteCompRecipe, VideoMatteRecipe
from mattehub.families.videomatte240k.rvm_eval import RvmEvalRecipe

SIZE = (160, 96)
CLIP_LENGTH = 8
VIDEOS = {"train": {"0000": 20, "0001": 17, "0002": 12}, "test": {"0000": 16}}
"""split -> video name -> frames (the release names videos 0000, 0001...)."""
RVM_FRAMES = 3
RVM_SETS = ("videomatte_motion", "videomatte_static")


def figure(t: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` of a swaying figure: its colour (black where the alpha is 0), and its 8-bit
    alpha."""
    width, height = SIZE
    rng = np.random.default_rng(seed)
    colour = rng.integers(70, 230, 3).astype(np.float32)
    centre = int(width * (0.35 + 0.3 * np.sin(t / 4 + seed))), int(height * 0.62)
    alpha = np.zeros((height, width), np.uint8)
    cv2.ellipse(alpha, centre, (width // 9, height // 3), 0, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.circle(alpha, (centre[0], centre[1] - height // 3 - 6), height // 9, 255, -1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (5, 5), 0)
    shade = np.linspace(0.7, 1.0, width, dtype=np.float32)[None, :, None]
    rgb = colour * shade * (alpha[..., None] > 0)  # the keyed colour (not premultiplied), black outside
    return np.clip(rgb, 0, 255).astype(np.uint8), alpha


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_videomatte_sources(root: Path) -> Path:
    """Write the stand-in below ``root`` (once); returns the release folder."""
    release = Path(root) / "VideoMatte240K_JPEG_SD"
    if (Path(root) / "done").exists():
        return release
    for split, videos in VIDEOS.items():
        for number, (video, frames) in enumerate(videos.items()):
            for t in range(frames):
                rgb, alpha = figure(t, number + (10 if split == "test" else 0))
                _write(release / split / "fgr" / video / f"{t:05d}.jpg", codecs.encode_jpeg(rgb, 90))
                ok, grey = cv2.imencode(".jpg", alpha, [cv2.IMWRITE_JPEG_QUALITY, 90])
                _write(release / split / "pha" / video / f"{t:05d}.jpg", grey.tobytes())
    ys, xs = np.mgrid[0:120, 0:200].astype(np.float32)
    for number in range(2):
        still = np.dstack([xs, ys * 1.5, 200 - xs * (0.5 + number)]) % 256
        _write(Path(root) / "Backgrounds" / f"bg_{number}.jpg", codecs.encode_jpeg(still.astype(np.uint8)))
    for t in range(6):
        scene = np.dstack([(xs + 9 * t) % 256, ys + 60, np.full_like(xs, 90)]).astype(np.uint8)
        _write(Path(root) / "BackgroundVideos" / "0000" / f"{t:04d}.jpg", codecs.encode_jpeg(scene))
    (Path(root) / "done").write_text("")
    return release


def make_rvm_eval_sources(root: Path) -> Path:
    """Write RVM-style evaluation sets below ``root`` (once); returns the folder holding the
    dataset folders. ``com = fgr * a + bgr * (1 - a)`` on a still background (the image
    script's formula, rounded down as its ``np.uint8`` does)."""
    top = Path(root) / "videomatte_512x288"
    if (Path(root) / "done").exists():
        return top
    ys, xs = np.mgrid[0:SIZE[1], 0:SIZE[0]].astype(np.float32)
    for number, dataset in enumerate(RVM_SETS):
        clip = top / dataset / "0000"
        back = np.dstack([xs * (1 + number), ys * 2, 160 - xs / 2]) % 256
        for t in range(RVM_FRAMES):
            fgr, alpha = figure(t, 20 + number)
            a = alpha.astype(np.float64)[..., None] / 255
            com = (fgr * a + back * (1 - a)).astype(np.uint8)
            for layer, image in (("com", com), ("fgr", fgr), ("pha", alpha)):
                _write(clip / layer / f"{t:04d}.png", codecs.encode_png(image))
        _write(clip / "bgr" / "0000.png", codecs.encode_png(back.astype(np.uint8)))
    (Path(root) / "done").write_text("")
    return top


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``videomatte240k`` (train and test, read in place), ``videomatte240k-comp`` and
    ``videomatte240k-rvm-eval`` (RVM's evaluation sets, split ``combined``)."""
    root = Path(sources_root) / "videomatte-demo"
    release = make_videomatte_sources(root)
    plain = [DemoBuild(VideoMatteRecipe(VideoMatteOptions(data_dir=str(release), split=split,
                                                          clip_length=CLIP_LENGTH), seed=0), split=split)
             for split in ("train", "test")]
    comp = VideoMatteCompRecipe(VideoMatteCompOptions(
        data_dir=str(release), clip_length=CLIP_LENGTH, bg_root=str(root / "Backgrounds"),
        bg_video_root=str(root / "BackgroundVideos")), seed=0)
    sets = make_rvm_eval_sources(root / "RvmEvaluation")
    rvm_eval = RvmEvalRecipe(RvmEvalOptions(data_dir=str(sets), split="combined"), seed=0)
    return FamilyDemo(
        builds=(*plain, DemoBuild(comp), DemoBuild(rvm_eval, split="combined")),
        load_lines=("# VideoMatte240K read in place, as clips of 8 frames (plain, and composited):",
                    f"ds = load_dataset('mattehub', 'videomatte240k', data_dir={str(release)!r}, "
                    "split='train', clip_length=8, streaming=True)",
                    "# RVM's generated evaluation sets, whole clips (then: mattehub evaluate "
                    "videomatte240k-rvm-eval --protocol rvm):",
                    f"ds = load_dataset('mattehub', 'videomatte240k-rvm-eval', data_dir={str(sets)!r}, "
                    "split='combined', streaming=True)"))

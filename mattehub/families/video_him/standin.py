"""Stand-in video sources for ``v-him``: moving people as frame folders, mp4 pairs and RGBA frames.

Layout under ``root`` (lines of ``fg_train.txt`` / ``bg_train.txt`` are relative to it):
``VideoMatte/train/fgr/<clip>/NNNNN.jpg`` + ``.../pha/<clip>/NNNNN.png`` (frame folders),
``VideoMatte/train/fgr/<clip>.mp4`` + ``.../pha/<clip>.mp4`` (H.264, as VideoMatte240K ships),
``Extra/rgba/<clip>/NNNNN.png`` (RGBA frames, no pha), and backgrounds: still JPEGs, a
frame folder and an mp4. The people are the HHM stand-ins, drifting across the frame.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.inputs import gate
from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.standins import HhmDemoSources, make_hhm_sources, write_mp4
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe

FRAMES = 8
SIZE = (256, 320)


def _person(hhm: HhmDemoSources, number: int):
    name = hhm.foreground_names[number % (len(hhm.foreground_names) - 1)]
    rgb = gate.decode_rgb(gate.read_file(hhm.image_root / "images" / name), name)
    alpha = gate.decode_matte(gate.read_file(hhm.image_root / "alphas" / (name[:-4] + ".png")), name).array
    return rgb, alpha


def _moving(hhm: HhmDemoSources, number: int, frames: int = FRAMES):
    """(rgb, alpha) frames of a stand-in person drifting sideways by a few pixels a frame."""
    rgb, alpha = _person(hhm, number)
    rgb, alpha = cv2.resize(rgb, SIZE), cv2.resize(alpha, SIZE)
    step = 3 + number % 4
    for t in range(frames):
        shift = np.float32([[1, 0, step * (t - frames // 2)], [0, 1, 0]])
        yield (cv2.warpAffine(rgb, shift, SIZE, borderMode=cv2.BORDER_REFLECT),
               cv2.warpAffine(alpha, shift, SIZE))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_video_sources(root: Path, hhm: HhmDemoSources) -> Path:
    """Write the stand-in clips and their lists into ``root``; returns ``root``."""
    root = Path(root)
    fg_lines, bg_lines = [], []
    for clip in range(4):
        base = f"VideoMatte/train/fgr/clip_{clip:02d}"
        for t, (rgb, alpha) in enumerate(_moving(hhm, clip)):
            _write(root / base / f"{t:05d}.jpg", codecs.encode_jpeg(rgb))
            _write(root / base.replace("/fgr/", "/pha/") / f"{t:05d}.png", codecs.encode_png(alpha))
        fg_lines.append(base)
    for clip in range(4, 6):
        pairs = list(_moving(hhm, clip))
        base = f"VideoMatte/train/fgr/clip_{clip:02d}.mp4"
        write_mp4(root / base, [rgb for rgb, _ in pairs])
        write_mp4(root / base.replace("/fgr/", "/pha/"), [a for _, a in pairs], gray=True)
        fg_lines.append(base)
    for t, (rgb, alpha) in enumerate(_moving(hhm, 6)):
        _write(root / "Extra/rgba/clip_06" / f"{t:05d}.png", codecs.encode_png(np.dstack([rgb, alpha])))
    fg_lines.append("Extra/rgba/clip_06")
    for number, path in enumerate(sorted(Path(hhm.bg_root).glob("*.jpg"))[:3]):
        _write(root / "BG/stills" / path.name, path.read_bytes())
        bg_lines.append(f"BG/stills/{path.name}")
    scene = gate.decode_rgb(gate.read_file(sorted(Path(hhm.bg_root).glob("*.jpg"))[-1]), "bg")
    pan = [np.roll(scene, 6 * t, axis=1) for t in range(FRAMES + 4)]
    for t, frame in enumerate(pan):
        _write(root / "BG/clips/pan_00" / f"{t:05d}.jpg", codecs.encode_jpeg(frame))
    write_mp4(root / "BG/clips/pan_01.mp4", [np.ascontiguousarray(f[:, ::-1]) for f in pan[:6]])
    bg_lines += ["BG/clips/pan_00", "BG/clips/pan_01.mp4"]
    (root / "fg_train.txt").write_text("\n".join(fg_lines) + "\n")
    (root / "bg_train.txt").write_text("\n".join(bg_lines) + "\n")
    return root


DEMO_CLIPS = 6


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """The ``v-him`` demo: moving stand-in clips (frame folders, mp4, RGBA frames), 6 clips."""
    root = make_video_sources(sources_root / "video-demo", make_hhm_sources(sources_root / "hhm-demo"))
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(root)), seed=0)
    return FamilyDemo(
        builds=(DemoBuild(recipe, num_samples=DEMO_CLIPS, parallel=True),),
        load_lines=(f"ds = load_dataset({str(out)!r}, 'v-him', split='train', streaming=True)   # clips",))

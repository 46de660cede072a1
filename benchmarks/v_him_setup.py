"""``bench_v_him.py``'s settings (work folder, target, the runs and the profiled stages, how
much a full or quick run does) and its generated sources (people drifting across clips)."""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from build_stages import BUILD_KINDS, WRITE_STAGES

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "v_him"
CODE = WORK / "code"
DOCS = HERE.parent / "docs" / "benchmarks.md"
SEED = 0
CONFIG = "v-him"
MARK_START, MARK_END = "<!-- bench_v_him:start -->", "<!-- bench_v_him:end -->"
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset", "av")
TARGET_AB = 2.0
CHOICE_KEYS = ("level", "sources", "start_frames", "background", "background_start",
               "crop_boxes", "boxes", "attempt")
STAGES = (  # (file, function, label) of (a)'s stages by cumulative time; nested ones indented
    ("families/video_him/recipe.py", "scan_sources", "scan sources (once per build)"),
    ("families/video_him/recipe.py", "make", "all attempts of a clip (synthesis + encoding)"),
    ("families/video_him/synth.py", "synthesise_clip", "  synthesis (every attempt, rejected ones too)"),
    ("families/video_him/sources.py", "read_rgb_alpha", "    read + decode frames (fg JPEG + PNG, bg JPEG)"),
    ("families/video_him/synth.py", "_union_box", "    union crop boxes"),
    ("families/video_him/synth.py", "_judge", "    occlusion per frame, from the mattes alone"),
    ("families/video_him/synth.py", "_render", "    per-frame work of an accepted attempt"),
    ("synthesis/layers.py", "resize_patch", "      crop + resize instances (cv2)"),
    ("synthesis/layers.py", "try_place", "      occlusion of earlier instances"),
    ("synthesis/layers.py", "on_canvas", "      canvas-sized 8-bit mattes"),
    ("synthesis/layers.py", "composite", "      blend over the background"),
    ("families/video_him/recipe.py", "_encode", "  encode outputs (JPEG frames, PNG mattes)"),
) + WRITE_STAGES
KINDS = BUILD_KINDS


@dataclass(frozen=True)
class SourceSpec:
    """Synthetic video sources (sizes are w x h): frame folders and still images."""

    name: str
    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    fg_clips: int = 16
    fg_frames: int = 40
    bg_stills: int = 8
    bg_clips: int = 4
    bg_frames: int = 40


@dataclass(frozen=True)
class Plan:
    """How much to run."""

    clips: int
    repeats: int
    rss_counts: tuple[int, ...]
    profile_clips: int


SOURCES = SourceSpec("sources-512x640", fg_size=(512, 640), bg_size=(1024, 576))
FULL = Plan(clips=12, repeats=3, rss_counts=(20, 60), profile_clips=6)
QUICK = Plan(clips=6, repeats=1, rss_counts=(6, 12), profile_clips=3)


# --- sources -----------------------------------------------------------------------------


def _drifting(rgb, alpha, number: int, frames: int):
    """(rgb, alpha) frames of a person drifting sideways (1-3 px a frame) and bobbing."""
    import cv2
    import numpy as np

    height, width = alpha.shape
    step = 1 + number % 3
    for t in range(frames):
        dx = step * (t - frames // 2)
        dy = 3.0 * np.sin(2 * np.pi * t / 12 + number)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        yield (cv2.warpAffine(rgb, shift, (width, height), borderMode=cv2.BORDER_REFLECT),
               cv2.warpAffine(alpha, shift, (width, height)))


def ensure_sources(spec: SourceSpec) -> Path:
    """Write the clips and their lists under ``_work/v_him/<name>`` unless already there.

    People and scenes come from ``mattehub.families.standins.make_hhm_sources``; they are laid out
    like ``mattehub.families.video_him.standin.make_video_sources`` does (VideoMatte-style frame folders
    ``fgr/<clip>/NNNNN.jpg`` + ``pha/<clip>/NNNNN.png``, still JPEGs, background frame
    folders panning across a scene), only larger and longer.
    """
    root = WORK / spec.name
    manifest = root / "sources.json"
    if manifest.is_file() and json.loads(manifest.read_text())["spec"] == json.loads(
            json.dumps(asdict(spec))):
        return root
    import numpy as np

    from mattehub.contract import codecs
    from mattehub.inputs import gate
    from mattehub.families.standins import make_hhm_sources

    shutil.rmtree(root, ignore_errors=True)
    hhm = make_hhm_sources(root / "hhm", num_foregrounds=spec.fg_clips + 1,
                           num_backgrounds=spec.bg_stills + spec.bg_clips, seed=SEED,
                           fg_size=spec.fg_size, bg_size=spec.bg_size)

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    fg_lines, bg_lines = [], []
    for clip, name in enumerate(hhm.foreground_names[:spec.fg_clips]):
        rgb = gate.decode_rgb(gate.read_file(hhm.image_root / "images" / name), name)
        alpha = gate.decode_matte(
            gate.read_file(hhm.image_root / "alphas" / (name[:-4] + ".png")), name).array
        base = f"VideoMatte/train/fgr/clip_{clip:02d}"
        for t, (frame, matte) in enumerate(_drifting(rgb, alpha, clip, spec.fg_frames)):
            write(root / base / f"{t:05d}.jpg", codecs.encode_jpeg(frame))
            write(root / base.replace("/fgr/", "/pha/") / f"{t:05d}.png", codecs.encode_png(matte))
        fg_lines.append(base)
    scenes = sorted(Path(hhm.bg_root).glob("*.jpg"))
    for path in scenes[:spec.bg_stills]:
        write(root / "BG/stills" / path.name, path.read_bytes())
        bg_lines.append(f"BG/stills/{path.name}")
    for clip, path in enumerate(scenes[spec.bg_stills:]):
        scene = gate.decode_rgb(gate.read_file(path), path)
        for t in range(spec.bg_frames):
            write(root / f"BG/clips/pan_{clip:02d}" / f"{t:05d}.jpg",
                  codecs.encode_jpeg(np.roll(scene, 4 * t, axis=1)))
        bg_lines.append(f"BG/clips/pan_{clip:02d}")
    (root / "fg_train.txt").write_text("\n".join(fg_lines) + "\n")
    (root / "bg_train.txt").write_text("\n".join(bg_lines) + "\n")
    manifest.write_text(json.dumps({"spec": asdict(spec)}))
    return root

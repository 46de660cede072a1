"""Backgrounds for ``videomatte240k-comp``, drawn per clip id the way Robust Video Matting
draws them (docs/sources.md, 'VideoMatte240K', composition), and the per-frame composite.

RVM's training set (``dataset/videomatte.py``) draws, per clip, an image background with
probability 0.5, else a background video: a uniformly random start in
``range(max(1, frames - T))`` and frame ``t`` at ``(start + t) % frames`` (a short video
wraps). An image is held for every frame. mattehub draws the same with the clip id's own
random generator (``sample_rng``), so a clip is a pure function of (options, sources, seed,
id); when only one kind of background is given, that kind is used. Each background frame is
resized to the clip's size (bilinear), as RVM's composition scripts for its VideoMatte240K
test sets do (its training instead crops randomly in its augmentation, which mattehub does
not apply), and composited as ``fgr * alpha + bgr * (1 - alpha)``, rounded to 8 bits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background, read_background, scan_backgrounds
from mattehub.inputs.listing import IMAGE_SUFFIXES, Skip, natural_key
from mattehub.inputs.video import decode_video, video_header
from mattehub.families.videomatte240k.sources import VIDEO_SUFFIXES


@dataclass(frozen=True)
class BackgroundVideo:
    """A background video: a folder of frames (``frames``) or a video file (``video``)."""

    path: str
    kind: str
    frames: tuple[str, ...]
    """Frame files, relative to the video's folder, in natural order (``video``: empty)."""
    count: int
    size: tuple[int, int] | None = None


@dataclass(frozen=True)
class Backgrounds:
    """The still backgrounds and background videos a comp build draws from."""

    stills: tuple[Background, ...]
    videos: tuple[BackgroundVideo, ...]
    skipped: tuple[Skip, ...] = ()

    def listing(self) -> list:
        """As fingerprinted: each still and video, with its frame count."""
        return ([[b.path, list(b.size)] for b in self.stills]
                + [[v.path, v.kind, v.count] for v in self.videos])


@dataclass(frozen=True)
class Draw:
    """The background of one clip: which, and from which frame."""

    kind: str
    """``image``, ``frames`` or ``video``."""
    number: int
    start: int
    count: int

    def frame(self, t: int) -> int:
        return (self.start + t) % self.count


def scan(bg_root: str | None, bg_video_root: str | None) -> Backgrounds:
    """Every usable still below ``bg_root`` and background video directly in
    ``bg_video_root``; SourceError when neither holds one."""
    skipped: list[Skip] = []
    stills: list[Background] = []
    if bg_root:
        found = scan_backgrounds(Path(bg_root))
        stills, skipped = found.backgrounds, list(found.skipped)
    videos = _scan_videos(Path(bg_video_root), skipped) if bg_video_root else []
    if not stills and not videos:
        where = bg_root or bg_video_root
        raise SourceError(where, "holds no usable background (no image below --bg-root, no "
                                 "frame folder or video in --bg-video-root)")
    return Backgrounds(tuple(stills), tuple(videos), tuple(skipped))


def _scan_videos(root: Path, skipped: list[Skip]) -> list[BackgroundVideo]:
    if not root.is_dir():
        raise SourceError(root, "is not a folder (--bg-video-root: folders of frames or video files)")
    videos = []
    for entry in sorted(root.iterdir(), key=lambda p: natural_key(p.name)):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            frames = sorted((p.name for p in entry.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                            key=natural_key)
            if frames:
                videos.append(BackgroundVideo(entry.name, "frames", tuple(frames), len(frames)))
            else:
                skipped.append(Skip(entry.name + "/", "holds no frames"))
        elif entry.suffix.lower() in VIDEO_SUFFIXES:
            try:
                count, size = video_header(entry)
            except SourceError as exc:
                skipped.append(Skip(entry.name, exc.problem))
                continue
            videos.append(BackgroundVideo(entry.name, "video", (), count, size))
        else:
            skipped.append(Skip(entry.name, "is not a folder of frames or a video file"))
    return videos


def draw(backgrounds: Backgrounds, rng: np.random.Generator, length: int, still: float) -> Draw:
    """One clip's background (RVM's draw, from ``rng``)."""
    stills, videos = backgrounds.stills, backgrounds.videos
    if stills and (not videos or rng.random() < still):
        return Draw("image", int(rng.integers(len(stills))), 0, 1)
    number = int(rng.integers(len(videos)))
    video = videos[number]
    return Draw(video.kind, number, int(rng.integers(max(1, video.count - length))), video.count)


def describe(backgrounds: Backgrounds, chosen: Draw) -> str:
    """The drawn background's path (relative to its root)."""
    if chosen.kind == "image":
        return backgrounds.stills[chosen.number].path
    return backgrounds.videos[chosen.number].path


def background_frames(options, backgrounds: Backgrounds, chosen: Draw, length: int,
                      size: tuple[int, int]) -> list[np.ndarray]:
    """The clip's ``length`` background frames, RGB at ``size`` (width, height)."""
    if chosen.kind == "image":
        _, rgb = read_background(Path(options.bg_root), backgrounds.stills[chosen.number])
        return [_fit(rgb, size)] * length
    root, video = Path(options.bg_video_root), backgrounds.videos[chosen.number]
    wanted = [chosen.frame(t) for t in range(length)]
    if video.kind == "video":
        decoded = decode_video(root / video.path, set(wanted), "rgb24", video.size)
        missing = sorted(set(wanted) - set(decoded))
        if missing:
            raise SourceError(root / video.path, f"has no frame {missing[0]} (its header states "
                                                 f"{video.count})", gate.FIX)
        return [_fit(decoded[i], size) for i in wanted]
    frames = {}
    for i in sorted(set(wanted)):
        path = root / video.path / video.frames[i]
        frames[i] = _fit(gate.decode_rgb(gate.read_file(path), path), size)
    return [frames[i] for i in wanted]


def _fit(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (rgb.shape[1], rgb.shape[0]) == tuple(size):
        return rgb
    return cv2.resize(rgb, tuple(size), interpolation=cv2.INTER_LINEAR)


def composite(fgr: np.ndarray, alpha: np.ndarray, bgr: np.ndarray) -> np.ndarray:
    """``fgr * a + bgr * (1 - a)`` with ``a = alpha / 255``, rounded to 8 bits (OpenCV's
    ``blendLinear``, as ``mattehub.synthesis.layers`` blends)."""
    weight = alpha.astype(np.float32) / 255.0
    return cv2.blendLinear(fgr, bgr, weight, 1.0 - weight)

"""Stand-in VideoMatte240K releases for the tests, written without mattehub (numpy, OpenCV,
PyAV and Info-ZIP only), in the published layouts (docs/sources.md, 'VideoMatte240K'):

* the JPEG release: ``VideoMatte240K_JPEG_SD/{train,test}/{fgr,pha}/<video>/<frame:05d>.jpg``
  (the release folder one level down, as the download unpacks), alphas as grey JPEGs;
* the mp4 release: ``{train,test}/{fgr,pha}/<video>.mp4`` (H.264 via PyAV; alphas grey);
* a zip of the JPEG release (``zip -r``), read in place.

``expected`` holds what a reader must find, decoded here independently of mattehub: per
split, per video, the frame names, the fgr bytes and the alphas (OpenCV's grey decode of
each JPEG; PyAV's ``gray`` frames of each mp4).
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

VIDEOS = {"train": {"0000": 11, "0001": 7, "0002": 3}, "test": {"0000": 9}}
"""split -> video -> frame count (train 0002 is shorter than a clip of 4)."""
SIZE = (48, 32)
SD = "VideoMatte240K_JPEG_SD"


@dataclass
class Release:
    root: Path
    """What to pass as --data-dir."""
    expected: dict = field(default_factory=dict)
    """split -> video -> {"names": [...], "fgr": [bytes...], "alphas": [array...]}."""


def person(t: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A disc drifting right: RGB colour on black, and an alpha with a soft edge."""
    width, height = SIZE
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot(xs - (10 + 3 * t + seed), ys - height / 2)
    alpha = np.clip((12 - distance) * 40, 0, 255).astype(np.uint8)
    colour = np.array([40 + 50 * seed, 200, 120 - 10 * seed], np.float32) % 256
    rgb = (colour * (alpha[..., None] / 255.0)).astype(np.uint8)
    return rgb, alpha


def _jpeg(array: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


def make_jpeg_release(root: Path) -> Release:
    """The JPEG release below ``root``; ``Release.root`` is ``root`` (the release folder,
    ``VideoMatte240K_JPEG_SD``, sits one level down)."""
    release = Release(Path(root))
    for split, videos in VIDEOS.items():
        for seed, (video, count) in enumerate(videos.items()):
            entry = release.expected.setdefault(split, {}).setdefault(
                video, {"names": [], "fgr": [], "alphas": []})
            for t in range(count):
                rgb, alpha = person(t, seed)
                name = f"{t:05d}"
                fgr, pha = _jpeg(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), _jpeg(alpha)
                for layer, data in (("fgr", fgr), ("pha", pha)):
                    path = Path(root) / SD / split / layer / video / f"{name}.jpg"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                decoded = cv2.imdecode(np.frombuffer(pha, np.uint8), cv2.IMREAD_GRAYSCALE)
                entry["names"].append(name)
                entry["fgr"].append(fgr)
                entry["alphas"].append(decoded)
    return release


def _mp4(path: Path, frames: list[np.ndarray], gray: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"  # alphas too: limited-range luma, as H.264 releases carry them
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="gray" if gray else "rgb24")))
        container.mux(stream.encode())


def decode_mp4(path: Path, pixels: str) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format=pixels) for frame in container.decode(video=0)]


def make_mp4_release(root: Path) -> Release:
    """The mp4 release: ``root/{split}/{fgr,pha}/<video>.mp4``."""
    release = Release(Path(root))
    for split, videos in VIDEOS.items():
        for seed, (video, count) in enumerate(videos.items()):
            pairs = [person(t, seed) for t in range(count)]
            _mp4(Path(root) / split / "fgr" / f"{video}.mp4", [p[0] for p in pairs], gray=False)
            _mp4(Path(root) / split / "pha" / f"{video}.mp4", [p[1] for p in pairs], gray=True)
            release.expected.setdefault(split, {})[video] = {
                "names": [f"{t:05d}" for t in range(count)],
                "rgb": decode_mp4(Path(root) / split / "fgr" / f"{video}.mp4", "rgb24"),
                "alphas": decode_mp4(Path(root) / split / "pha" / f"{video}.mp4", "gray")}
    return release


def zip_release(release: Release, out: Path) -> Path:
    """``out/VideoMatte240K_JPEG_SD.zip`` holding the JPEG release's folder."""
    if shutil.which("zip") is None:
        import pytest

        pytest.skip("needs Info-ZIP zip")
    out.mkdir(parents=True, exist_ok=True)
    target = (out / f"{SD}.zip").resolve()
    subprocess.run(["zip", "-q", "-r", "-X", str(target), SD], cwd=release.root, check=True)
    return target


def clips(release: Release, split: str, length: int) -> list[tuple[str, int]]:
    """(video, first frame) of every clip of ``length`` frames, in the documented order:
    videos by name, consecutive non-overlapping windows, remainders dropped."""
    return [(video, k * length) for video, entry in sorted(release.expected[split].items())
            for k in range(len(entry["names"]) // length)]

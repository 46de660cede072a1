"""Video sources for ``v-him``: frame folders, video files (decoded with PyAV) and still images.

List lines are paths relative to ``--data-dir`` (docs/sources.md, 'V-HIM synthesis'): a foreground line
is a frame folder (``.../fgr/<clip>``, its alpha at ``.../pha/<clip>``, else RGBA frames
with alpha in channel 3) or a video file (``.../fgr/x.mp4`` with ``.../pha/x.mp4``). A
background line ending in an image suffix is a still image; otherwise frames or a video.
Every problem is collected during the scan and reported at once, before any work starts.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.inputs.listing import IMAGE_SUFFIXES, image_size, natural_key
from mattehub.inputs.video import decode_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


@dataclass(frozen=True)
class VideoSource:
    """A scanned clip: ``kind`` is ``frames``, ``video`` or ``image``; ``alpha`` its matte
    source (None: RGBA frames, or a background)."""

    path: str
    kind: str
    alpha: str | None
    frames: int
    size: tuple[int, int]
    rgba: bool = False  # foreground frames carrying their own alpha channel


@dataclass(frozen=True)
class VideoHimSources:
    """What a ``v-him`` build draws from: the listed foreground clips and backgrounds, in
    list order (paths relative to ``--data-dir``)."""

    foregrounds: tuple[VideoSource, ...]
    backgrounds: tuple[VideoSource, ...]

    def listing(self) -> list:
        """Every listed source, as fingerprinted."""
        return [asdict(s) for s in self.foregrounds + self.backgrounds]


def scan_lists(root: Path, split: str) -> VideoHimSources:
    """The sources of ``fg_<split>.txt`` and ``bg_<split>.txt`` in ``root``; a SourceError
    lists every line that points at an unusable path."""
    foregrounds, fg_errors = _scan_list(root, f"fg_{split}.txt", scan_foreground)
    backgrounds, bg_errors = _scan_list(root, f"bg_{split}.txt", scan_background)
    errors = fg_errors + bg_errors
    if errors:
        listing = "\n".join(f"  - {e}" for e in errors)
        raise SourceError(root, f"{len(errors)} list line(s) point at unusable paths:\n{listing}")
    if len(foregrounds) < 2 or not backgrounds:
        raise SourceError(root, "v-him needs at least 2 foreground clips and 1 background")
    return VideoHimSources(tuple(foregrounds), tuple(backgrounds))


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise SourceError(path, "not found", "--data-dir must hold fg_<split>.txt and bg_<split>.txt")
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip()]


def _scan_list(root: Path, list_name: str, scan) -> tuple[list[VideoSource], list[str]]:
    found, errors = [], []
    for line in _read_list(root / list_name):
        try:
            found.append(scan(root, line))
        except SourceError as exc:
            errors.append(f"{list_name}: {exc}")
    return found, errors


def _frame_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: natural_key(p.name))


def _video_info(path: Path) -> tuple[int, tuple[int, int]]:
    """(frame count, size) of a video file, decoding it to count (containers may not say)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            count, size = 0, (stream.codec_context.width, stream.codec_context.height)
            for _ in container.decode(stream):
                count += 1
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise SourceError(path, f"cannot be decoded as a video ({type(exc).__name__}: {exc})") from None
    return count, size


def _pha_path(rel: str) -> str:
    """The alpha source of a foreground: its last ``fgr`` path component becomes ``pha``."""
    parts = rel.split("/")
    for at in range(len(parts) - 1, -1, -1):
        if parts[at] == "fgr":
            parts[at] = "pha"
            return "/".join(parts)
    return rel


def scan_foreground(root: Path, rel: str) -> VideoSource:
    """Check one foreground line; raises SourceError naming the path on any problem."""
    path, alpha_rel = root / rel, _pha_path(rel)
    if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
        count, size = _video_info(path)
        if not (root / alpha_rel).is_file() or alpha_rel == rel:
            raise SourceError(root / alpha_rel, "missing: a foreground video needs its alpha video")
        alpha_count, alpha_size = _video_info(root / alpha_rel)
        _check_pair(path, count, size, root / alpha_rel, alpha_count, alpha_size)
        return VideoSource(rel, "video", alpha_rel, count, size)
    if not path.is_dir():
        raise SourceError(path, "does not exist (listed as a foreground)")
    frames = _frame_files(path)
    size = image_size(frames[0]) if frames else (0, 0)
    if alpha_rel != rel and (root / alpha_rel).is_dir():
        alphas = _frame_files(root / alpha_rel)
        missing = sorted({f.stem for f in frames} - {a.stem for a in alphas})
        if missing:
            raise SourceError(root / alpha_rel, f"has no alpha frame for {missing[:3]}"
                                                f"{' ...' if len(missing) > 3 else ''}")
        _check_pair(path, len(frames), size, root / alpha_rel, len(alphas),
                    image_size(alphas[0]) if alphas else (0, 0))
        return VideoSource(rel, "frames", alpha_rel, len(frames), size)
    if frames and _mode(frames[0]) != "RGBA":
        raise SourceError(path, "has no pha/ folder beside it, so its frames must be RGBA, "
                                f"and {frames[0].name} is {_mode(frames[0])}")
    if len(frames) < 2:
        raise SourceError(path, f"has {len(frames)} frame(s); a foreground clip needs at least 2")
    return VideoSource(rel, "frames", None, len(frames), size, rgba=True)


def _mode(path: Path) -> str:
    with Image.open(path) as image:
        return image.mode


def _check_pair(path, count, size, alpha_path, alpha_count, alpha_size) -> None:
    if count < 2:
        raise SourceError(path, f"has {count} frame(s); a foreground clip needs at least 2")
    if count != alpha_count:
        raise SourceError(alpha_path, f"has {alpha_count} frames but {path} has {count}")
    if size != alpha_size:
        raise SourceError(alpha_path, f"is {alpha_size[0]}x{alpha_size[1]} but {path} is "
                                      f"{size[0]}x{size[1]}")


def scan_background(root: Path, rel: str) -> VideoSource:
    """Check one background line (image, frame folder or video file)."""
    path = root / rel
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if not path.is_file():
            raise SourceError(path, "does not exist (listed as a background)")
        return VideoSource(rel, "image", None, 1, image_size(path, oriented=True))
    if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
        count, size = _video_info(path)
        return VideoSource(rel, "video", None, count, size)
    if not path.is_dir():
        raise SourceError(path, "does not exist (listed as a background)")
    frames = _frame_files(path)
    if not frames:
        raise SourceError(path, "holds no frames")
    return VideoSource(rel, "frames", None, len(frames), image_size(frames[0]))


def _decode_video(path: Path, start: int, count: int, gray: bool,
                  size: tuple[int, int]) -> list[np.ndarray]:
    """Frames ``start .. start+count-1`` of a video file, each checked against ``size``."""
    pixels = "gray" if gray else "rgb24"
    return list(decode_video(path, range(start, start + count), pixels, size).values())


def _rgb_frame(path: Path, size: tuple[int, int]) -> np.ndarray:
    rgb = gate.decode_rgb(gate.read_file(path), path)
    gate.check_frame(rgb, size, path, "this frame")
    return rgb


def _matte_frame(path: Path, size: tuple[int, int], events: list[dict]) -> np.ndarray:
    matte = gate.decode_matte(gate.read_file(path), path)
    gate.check_frame(matte.array, size, path, "this alpha frame")
    if matte.note:
        events.append(gate.note_event(path, matte.note))
    return matte.array


def read_rgb_alpha(root: Path, source: VideoSource, start: int, count: int,
                   events: list[dict]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Frames ``start .. start+count-1`` as (RGB uint8, alpha uint8 or None) pairs, every
    frame checked against the clip's size; normalised mattes are noted in ``events``."""
    if source.kind == "image":
        rgb = gate.decode_rgb(gate.read_file(root / source.path), root / source.path)
        gate.check_frame(rgb, source.size, root / source.path, "the image")
        return [(rgb, None)] * count
    if source.kind == "video":
        rgbs = _decode_video(root / source.path, start, count, False, source.size)
        alphas = _decode_video(root / source.alpha, start, count, True, source.size) \
            if source.alpha else [None] * len(rgbs)
        return list(zip(rgbs, alphas))
    files = _frame_files(root / source.path)[start:start + count]
    if source.rgba:
        return [_rgba(path, source.size) for path in files]
    rgbs = [_rgb_frame(path, source.size) for path in files]
    if source.alpha is None:
        return [(rgb, None) for rgb in rgbs]
    return list(zip(rgbs, read_alpha(root, source, start, count, events)))


def read_alpha(root: Path, source: VideoSource, start: int, count: int,
               events: list[dict]) -> list[np.ndarray]:
    """Only the mattes of frames ``start .. start+count-1`` of a foreground: enough to lay
    out a clip and judge its occlusion before paying for the colour frames."""
    if source.kind == "video":
        return _decode_video(root / source.alpha, start, count, True, source.size)
    files = _frame_files(root / source.path)[start:start + count]
    if source.rgba:
        return [_rgba(path, source.size)[1] for path in files]
    alpha_files = {p.stem: p for p in _frame_files(root / source.alpha)}
    return [_matte_frame(alpha_files[p.stem], source.size, events) for p in files]


def _rgba(path: Path, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """An RGBA foreground frame: its colour and its A channel (the matte)."""
    data = gate.read_file(path)
    gate.check_complete(data, path)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4:
        raise SourceError(path, "has no pha/ folder beside it, so it must be an RGBA image, and is not")
    gate.check_frame(image, size, path, "this frame")
    if image.dtype == np.uint16:  # 16-bit RGBA: colour and alpha rounded to 8 bits
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB), np.ascontiguousarray(image[:, :, 3])

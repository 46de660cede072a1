"""The pixels of one VideoMatte240K clip, read through the gate.

Frame folders: each ``fgr`` JPEG is either passed through (``gate.pass_through_rgb``: its
bytes stored as published when they are plain upright RGB) or decoded (the composited
config); each ``pha`` frame is decoded (``gate.decode_matte``) at its frame's size. mp4
pairs: both videos are decoded in step by a ``VideoCursor`` that keeps its place, so the
consecutive clips of one video (what ``task_ranges`` hands a worker) decode it once.

Alphas are stored as 8-bit grey PNG *exactly as decoded*: VideoMatte240K's JPEG (or
H.264) alphas are lossy at the source, and mattehub adds no second loss.

When a reader in this process wants arrays (``contract.decoded``, as ``as_arrays`` says), an
alpha stored as the source's own PNG bytes is handed over with the pixels the gate decoded,
so ``as_arrays`` does not decode it again with libpng (0.85 ms a 768x432 alpha, 5.3 ms at
1920x1080 here). An alpha mattehub encoded itself (every JPEG or mp4 alpha) is not: its PNG is
in mattehub's own profile, which ``as_arrays`` inflates with zlib-ng at about the cost of the
copy the handover makes anyway; measured, handing those over gained nothing
(docs/benchmarks.md) and held up to ``decoded.LIMIT_BYTES`` of pixels. Because every
alpha of the JPEG releases is a JPEG, that conversion is the layout's, recorded in
``meta.alpha_format`` and on the card, not as a per-frame ``normalised_input`` event; any
other normalisation (a colour or 16-bit alpha) is one, naming the file.
"""
from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np

from mattehub.contract import codecs, decoded
from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.families.videomatte240k.sources import Run, VideoMatteScan, Window


@dataclass
class ClipFrames:
    """One clip's frames and alphas, as read."""

    alphas: list[np.ndarray]
    alpha_pngs: list[bytes]
    size: tuple[int, int]
    alpha_format: str
    """``jpg``, ``png`` (frame folders: the first alpha's format) or ``mp4``."""
    stored: list[bytes] | None = None
    """The frames' bytes as stored (passed through); None when ``rgb`` was decoded."""
    rgb: list[np.ndarray] | None = None


def read_clip(scan: VideoMatteScan, window: Window, decode: bool, events: list[dict],
              cursor: "VideoCursor | None" = None) -> ClipFrames:
    """Clip ``window`` of ``scan``: frames passed through (``decode`` False, frame folders)
    or decoded to RGB; a damaged or mismatched file raises SourceError naming it."""
    run = scan.runs[window.run]
    if run.kind == "video":
        cursor = cursor or VideoCursor(scan, run)
        rgb, alphas = cursor.read(window.first, scan.clip_length)
        return ClipFrames(alphas, [codecs.encode_png(a) for a in alphas], run.size, "mp4", rgb=rgb)
    chosen = slice(window.first, window.first + scan.clip_length)
    fgr, pha = run.fgr[chosen], run.pha[chosen]
    blobs = scan.tree.read_many(list(fgr) + list(pha))
    stored, rgbs, alphas, pngs, size = [], [], [], [], None
    for member, data in zip(fgr, blobs[:len(fgr)]):
        name = scan.relative(member)
        if decode:
            rgbs.append(gate.decode_rgb(data, name))
            frame_size = (rgbs[-1].shape[1], rgbs[-1].shape[0])
        else:
            image = gate.pass_through_rgb(data, name, "jpg")
            stored.append(image.data)
            frame_size = image.size
            if image.note:
                events.append(gate.note_event(name, image.note))
        size = size or frame_size
        if frame_size != size:
            raise SourceError(name, f"is {frame_size[0]}x{frame_size[1]} but the clip's first "
                                    f"frame is {size[0]}x{size[1]}", "every frame of a video has one size")
    for member, data in zip(pha, blobs[len(fgr):]):
        alpha, png = stored_alpha(scan.relative(member), data, size, events)
        alphas.append(alpha)
        pngs.append(png)
    return ClipFrames(alphas, pngs, size, codecs.sniff_format(blobs[len(fgr)]) or "other",
                      None if decode else stored, rgbs if decode else None)


def stored_alpha(name: str, data: bytes, size: tuple[int, int], events: list[dict]) -> tuple[np.ndarray, bytes]:
    """An alpha frame decoded at its frame's size, and its lossless PNG (the file's own
    bytes when it already is an 8-bit grey PNG: then handed to a reader of arrays too)."""
    matte = gate.decode_matte(data, name, size, keep_lossy=True)
    if matte.note:
        events.append(gate.note_event(name, matte.note))
    kept = matte.note is None and codecs.sniff_format(matte.data) == "png"
    if not kept:
        return matte.array, codecs.encode_png(matte.array)
    decoded.remember(matte.data, matte.array)  # as_arrays would decode it with libpng
    return matte.array, matte.data


class VideoCursor:
    """An mp4 pair decoded in step from where the last read stopped (reopened only to go
    back): reading a video's consecutive clips decodes each frame once."""

    def __init__(self, scan: VideoMatteScan, run: Run) -> None:
        self.paths = (scan.local_path(run.fgr[0]), scan.local_path(run.pha[0]))
        self.names = (scan.relative(run.fgr[0]), scan.relative(run.pha[0]))
        self.size, self.count = run.size, len(run.stems)
        self.position = 0
        self._frames = None
        self._table: np.ndarray | None | bool = False  # False: not made yet
        self._table_format = ""
        self._checked = False

    def read(self, start: int, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Frames ``start .. start+count-1``: RGB colour and grey alpha."""
        if self._frames is None or start < self.position:
            self._open()
        rgbs, alphas = [], []
        while self.position < start + count:
            colour, alpha = self._next()
            if self.position >= start:
                rgbs.append(self._array(colour, "rgb24", 0))
                alphas.append(self._array(alpha, "gray", 1))
            self.position += 1
        return rgbs, alphas

    def _open(self) -> None:
        self._containers = []
        try:
            self._containers = [av.open(str(path)) for path in self.paths]
        except (av.error.FFmpegError, OSError) as exc:
            which = len(self._containers)
            raise SourceError(self.names[which], f"cannot be opened as a video ({exc})") from None
        self._frames = [c.decode(video=0) for c in self._containers]
        self.position = 0

    def _next(self):
        pair = []
        for which, frames in enumerate(self._frames):
            try:
                pair.append(next(frames))
            except StopIteration:
                self._frames = None
                raise SourceError(self.names[which], f"ends at frame {self.position} of the "
                                  f"{self.count} its header states", gate.FIX) from None
            except (av.error.FFmpegError, OSError) as exc:
                self._frames = None
                raise SourceError(self.names[which], f"cannot be decoded at frame {self.position} "
                                  f"({type(exc).__name__}: {exc})", gate.FIX) from None
        return pair

    def _array(self, frame, pixels: str, which: int) -> np.ndarray:
        if pixels == "gray":
            array = self._grey(frame)
        else:
            array = frame.to_ndarray(format=pixels)
        gate.check_frame(array, self.size, self.names[which], f"frame {self.position}")
        return array

    def _grey(self, frame) -> np.ndarray:
        """The alpha frame as PyAV's ``gray`` conversion gives it, through a 256-entry table
        of the luma plane (libswscale's conversion of 8-bit luma to grey is per pixel: the
        table is that conversion of every value, checked equal on the video's first frame;
        a format it does not fit is converted frame by frame)."""
        if self._table is False:
            self._table, self._table_format = _luma_table(frame), frame.format.name
        if self._table is None or frame.format.name != self._table_format:
            return frame.to_ndarray(format="gray")
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :frame.width]
        array = cv2.LUT(np.ascontiguousarray(luma), self._table)
        if not self._checked:
            self._checked = True
            if not np.array_equal(array, frame.to_ndarray(format="gray")):
                self._table = None
                return frame.to_ndarray(format="gray")
        return array


LUMA_FORMATS = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "gray")


def _luma_table(sample) -> np.ndarray | None:
    """What PyAV's ``gray`` conversion makes of each luma value 0..255 in frames like
    ``sample`` (its pixel format, colour range and space), or None for other formats."""
    if sample.format.name not in LUMA_FORMATS:
        return None
    probe = av.VideoFrame(256, 2, sample.format.name)
    for number, plane in enumerate(probe.planes):
        fill = np.full((plane.height, plane.line_size), 128, np.uint8)
        if number == 0:
            fill[:, :256] = np.arange(256, dtype=np.uint8)
        plane.update(fill.tobytes())
    probe.color_range, probe.colorspace = sample.color_range, sample.colorspace
    return np.ascontiguousarray(probe.to_ndarray(format="gray")[0])

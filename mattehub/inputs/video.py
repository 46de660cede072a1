"""Reading video files with PyAV: a container's header, and chosen frames checked by the gate.

Shared by every family that reads videos (``v-him`` foreground and background clips,
``surreal-alpha``'s SURREAL mp4s); a decoder error is a ``SourceError`` naming the file.
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from mattehub.core.errors import SourceError
from mattehub.inputs import gate


def video_header(path: Path) -> tuple[int, tuple[int, int]]:
    """(frame count, (width, height)) of a video file from its container, without decoding
    pixels: the stream's stated count, else its packets counted (demuxing only)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            size = (stream.codec_context.width, stream.codec_context.height)
            count = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise SourceError(path, f"cannot be opened as a video ({type(exc).__name__}: {exc})",
                          "re-download it") from None
    return count, size


def decode_video(path: Path, wanted: range | set[int], pixels: str,
                 size: tuple[int, int], partial: bool = False) -> dict[int, np.ndarray]:
    """The frames of ``wanted`` (0-based) of a video file, each checked against ``size``;
    decoding stops after the last one wanted. Frames the file does not have are absent
    from the result (a truncated file): callers decide whether that is an error. With
    ``partial``, a decoder error keeps the frames decoded before it (a clip damaged near
    its end still gives its first frames) instead of raising. ``pixels`` is PyAV's
    format: ``gray``, ``rgb24``, or ``bgr24`` (OpenCV's channel order)."""
    out, last = {}, max(wanted, default=-1)
    try:
        with av.open(str(path)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index > last:
                    break
                if index in wanted:
                    array = frame.to_ndarray(format=pixels)
                    gate.check_frame(array, size, path, f"frame {index}")
                    out[index] = array
    except (av.error.FFmpegError, OSError) as exc:
        if not (partial and out):
            raise SourceError(path, f"cannot be decoded as a video ({type(exc).__name__}: {exc})") from None
    return out

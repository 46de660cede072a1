"""MATLAB v5 ``.mat`` files (SURREAL's labels, depth and info), read through scipy.

Two jobs, both part of the input gate for ``.mat`` sources:

* ``mat_variables``: the variables a file holds (name -> shape), from the element headers
  and scipy's ``whosmat``, without decompressing the arrays (a scan must not decode pixels);
* ``load_mat``: the arrays themselves.

Both first check the file is **complete**: a v5 file is a 128-byte header followed by data
elements whose tags state their byte counts, so walking the tags (seeks only) tells a
truncated download from a whole one before zlib or scipy meet it. Any decoder failure
becomes a :class:`SourceError` naming the file; scipy's own exceptions never escape.
"""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import scipy.io
from scipy.io.matlab import MatReadError

from mattehub.core.errors import SourceError

HEADER_BYTES = 128
MI_COMPRESSED = 15
FIX = "re-download the file (SURREAL's .mat files are MATLAB v5, readable by scipy.io.loadmat)"
_DECODE_ERRORS = (MatReadError, ValueError, TypeError, KeyError, IndexError, OSError, EOFError,
                  zlib.error, struct.error, NotImplementedError, MemoryError)


def _endian(header: bytes, path: Path) -> str:
    if len(header) < HEADER_BYTES:
        raise SourceError(path, f"is {len(header)} bytes, shorter than a MAT-file header "
                                f"({HEADER_BYTES} bytes): truncated or not a .mat file", FIX)
    if header.startswith(b"MATLAB 7.3"):
        raise SourceError(path, "is a MATLAB v7.3 (HDF5) file; mattehub reads MATLAB v5 files "
                                "(SURREAL's format)", "re-save it with save(..., '-v7')")
    marker = header[126:128]
    if marker not in (b"IM", b"MI"):
        raise SourceError(path, "is not a MATLAB v5 .mat file (no endian marker in its header)", FIX)
    return "<" if marker == b"IM" else ">"


def check_complete(path: str | Path) -> None:
    """Refuse a missing, truncated or padded-out ``.mat`` file by walking its element tags."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            handle.seek(0)
            endian = _endian(handle.read(HEADER_BYTES), path)
            at = HEADER_BYTES
            while at < size:
                handle.seek(at)
                tag = handle.read(8)
                if len(tag) < 8:
                    raise SourceError(path, f"is truncated: {size - at} stray bytes at byte {at}", FIX)
                kind, nbytes = struct.unpack(endian + "II", tag)
                end = at + 8 + nbytes
                if kind != MI_COMPRESSED:
                    end += -nbytes % 8  # uncompressed elements are padded to 8 bytes
                if end > size:
                    raise SourceError(path, f"is truncated: an element at byte {at} needs "
                                            f"{end - size} bytes more than the file has", FIX)
                at = end
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror or exc}") from None


def _read(path: str | Path, reader, **kwargs):
    """``reader(path, **kwargs)`` (a scipy.io function) on a complete file, any decoder
    failure as a SourceError naming the file."""
    check_complete(path)
    try:
        return reader(str(path), **kwargs)
    except _DECODE_ERRORS as exc:
        raise SourceError(path, f"cannot be read as a .mat file ({type(exc).__name__}: {exc})",
                          FIX) from None


def mat_variables(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Variable name -> shape of a complete v5 ``.mat`` file (headers only, no arrays)."""
    return {name: tuple(shape) for name, shape, _ in _read(path, scipy.io.whosmat)}


def load_mat(path: str | Path, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """The named variables (all when ``names`` is None) of a complete v5 ``.mat`` file."""
    loaded = _read(path, scipy.io.loadmat, variable_names=names)
    return {key: value for key, value in loaded.items() if not key.startswith("__")}

"""Pixels already decoded, handed to a consumer that wants arrays instead of decoding twice.

A release sample's mattes are decoded once by the input gate (to check and union them) when
the sample is made, and once more by ``mattehub.training.as_arrays`` when it reads the row:
about 3 ms a 1024x1024 matte, three mattes a sample (two instances and their union), while the
row itself must carry the stored bytes (``datasets`` moves rows as Arrow). When a process
has asked for arrays (``want``), the maker ``remember``s each matte's bytes with the pixels it
decoded from them, and the reader's ``recall`` gives those pixels back for equal bytes.

Why it cannot change a sample: an entry is only returned for bytes *equal* to the ones it was
decoded from (compared in full), and the maker only remembers pixels that decoding those bytes
gives (the stored bytes are the source's own 8-bit grey PNG, or the lossless PNG of the
array). The reader also only asks for PNG routes whose pixels are libpng's (no EXIF or
palette: ``mattehub.training.stored``). Each entry is handed out once (the consumer may write
to it); a miss just decodes.

Bounded: once ``LIMIT_BYTES`` of pixels are held, the oldest entries are dropped (a sample
made but never read, say the end of a read-ahead, leaves that way). A stream reads rows in the
order they were made, so in steady state the entries in flight are the read-ahead's: at most
24 samples (16 read ahead, 8 in the builder's table), 72 MB for three 1024x1024 mattes each.
Larger canvases overflow the limit and decode again: slower, never different.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

LIMIT_BYTES = 128 << 20
"""Pixels held at most per process (see the module docstring for what is in flight)."""
_KEY_TAIL = 64
"""Bytes of the end of a file in the key (a PNG's end holds its IDAT CRC and Adler-32)."""

_lock = threading.Lock()
_entries: OrderedDict[tuple[int, bytes], tuple[bytes, np.ndarray]] = OrderedDict()
_held = 0
_wanted = False
hits = 0
"""Entries handed out in this process (for tests and benchmarks)."""


def want() -> None:
    """Say this process reads rows into arrays: makers start remembering from now on."""
    global _wanted
    _wanted = True


def wanted() -> bool:
    """True once ``want`` was called in this process (a maker checks it before any work)."""
    return _wanted


def _key(data: bytes | memoryview) -> tuple[int, bytes]:
    return len(data), bytes(data[-_KEY_TAIL:])


def remember(data: bytes, array: np.ndarray) -> None:
    """Keep ``array``, the pixels decoding ``data`` gives, for one ``recall``; nothing unless
    ``want`` was called in this process. Past ``LIMIT_BYTES``, the oldest entries go."""
    global _held
    if not _wanted:
        return
    key = _key(data)
    with _lock:
        old = _entries.pop(key, None)
        _held += array.nbytes - (0 if old is None else old[1].nbytes)
        _entries[key] = (bytes(data), array)
        while _held > LIMIT_BYTES and len(_entries) > 1:
            _held -= _entries.popitem(last=False)[1][1].nbytes


def recall(data: bytes | memoryview, shape: tuple[int, ...], dtype: type) -> np.ndarray | None:
    """The remembered pixels of bytes equal to ``data`` with this shape and dtype (removed:
    handed out once), else None."""
    global _held, hits
    if not _entries:
        return None
    with _lock:
        entry = _entries.get(_key(data))
        if entry is None or entry[0] != data:
            return None
        del _entries[_key(data)]
        _held -= entry[1].nbytes
    array = entry[1]
    if array.shape != tuple(shape) or array.dtype != dtype:
        return None
    hits += 1
    return array


def forget() -> None:
    """Drop every entry and stop remembering (tests)."""
    global _held, _wanted, hits
    with _lock:
        _entries.clear()
        _held, _wanted, hits = 0, False, 0

"""Turning grouped release files into encoded samples (bytes passed through, never re-encoded).

Image samples: the image and instance mattes are the release's own bytes; ``alpha`` is the
union matte, min(255, sum of instance mattes) (the instance mattes of these releases are
occlusion-applied, so the sum is the union), PNG-encoded once (a single instance's union is
its own matte bytes); a mask missing for an instance is an all-zero
PNG, flagged in ``meta.mask_present``. Clip samples: frames and per-frame mattes as stored.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from mattehub.contract import codecs, decoded
from mattehub.core.cpus import reader_cpus
from mattehub.core.errors import SourceError
from mattehub.inputs import gate
from mattehub.contract.sample import EncodedSample
from mattehub.inputs.listing import natural_key


def sample_key(split: str, name: str, start: int | None = None) -> str:
    """A WebDataset-safe key (no dots or slashes) unique within the config."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", f"{split}_{name}")
    return key if start is None else f"{key}_f{start:05d}"


class _Mattes:
    """Mattes of one sample through the gate: 8-bit grey at their image's size, with the
    normalisations noted as stats events."""

    def __init__(self, events: list[dict]) -> None:
        self.events = events

    def check(self, blobs: list[bytes], names: list[str], size: tuple[int, int]) -> list[gate.Matte]:
        mattes = [gate.decode_matte(data, name, size) for data, name in zip(blobs, names)]
        if decoded.wanted():  # a reader in this process wants arrays: it gets these pixels
            for matte in mattes:
                decoded.remember(matte.data, matte.array)
        self.events += [gate.note_event(name, m.note) for m, name in zip(mattes, names) if m.note]
        return mattes


def _union(mattes: list[gate.Matte]) -> bytes:
    """The union matte min(255, sum of instance mattes), as 8-bit grey PNG bytes.

    One instance: its own stored bytes (8-bit grey PNG of the same pixels: the release's
    bytes, or the gate's lossless re-encoding), not a second encoding. Several: OpenCV's
    saturating uint8 add, which is min(255, a + b) exactly, and stays so chained (values are
    never negative), without a uint16 total.
    """
    if len(mattes) == 1:
        return mattes[0].data
    total = cv2.add(mattes[0].array, mattes[1].array)
    for matte in mattes[2:]:
        cv2.add(total, matte.array, dst=total)
    data = codecs.encode_png(total)
    decoded.remember(data, total)
    return data


def _zero_png(size: tuple[int, int]) -> bytes:
    return codecs.encode_png(np.zeros((size[1], size[0]), np.uint8))


def image_plan(entry: dict, with_masks: bool) -> list[str]:
    """Member names one image sample needs, in a fixed order."""
    ks = sorted(entry["alphas"])
    names = [entry["image"]] + [entry["alphas"][k] for k in ks]
    return names + ([entry["masks"][k] for k in ks if k in entry["masks"]] if with_masks else [])


def image_sample(index: int, key: tuple[str, str], entry: dict, blobs: list[bytes],
                 with_masks: bool, meta_extra: dict, events: list[dict]) -> EncodedSample:
    """Assemble an image HIM sample from the bytes of ``image_plan`` (same order); every
    file passes the gate (SourceError naming the member otherwise)."""
    ks, gated = sorted(entry["alphas"]), _Mattes(events)
    image, plan = blobs[0], image_plan(entry, with_masks)
    width, height = gate.image_header(image, plan[0])
    mattes = gated.check(blobs[1:1 + len(ks)], plan[1:1 + len(ks)], (width, height))
    fields = {"image": image, "alpha": _union(mattes),
              "instance_alphas": [m.data for m in mattes]}
    present = [k in entry["masks"] for k in ks]
    if with_masks:
        masks = iter(gated.check(blobs[1 + len(ks):], plan[1 + len(ks):], (width, height)))
        fields["instance_masks"] = [next(masks).data if p else _zero_png((width, height))
                                    for p in present]
    fields["meta"] = dict(meta_extra, split=key[0], name=key[1], image_source=entry["image"],
                          alpha_sources=[entry["alphas"][k] for k in ks], width=width,
                          height=height, num_instances=len(ks),
                          mask_present=present if with_masks else [])
    return EncodedSample(index, sample_key(*key), fields)


def clip_frames(entry: dict, start: int, length: int | None) -> list[str]:
    """Frame stems of a clip window, in natural order."""
    stems = sorted(entry["frames"], key=natural_key)
    return stems[start:start + length] if length else stems


def clip_plan(entry: dict, stems: list[str], with_masks: bool) -> list[str]:
    """Member names one clip sample needs: frames, then mattes (and masks) frame by frame."""
    names = [entry["frames"][s] for s in stems]
    for s in stems:
        names += [entry["alphas"][s][k] for k in sorted(entry["alphas"][s])]
    if with_masks:
        for s in stems:
            masks = entry["masks"].get(s, {})
            names += [masks[k] for k in sorted(entry["alphas"][s]) if k in masks]
    return names


def _frame_sizes(frames: list[bytes], names: list[str]) -> tuple[int, int]:
    """The clip's frame size; every frame must be complete and of that size."""
    sizes = [gate.image_header(data, name) for data, name in zip(frames, names)]
    for size, name in zip(sizes, names):
        if size != sizes[0]:
            raise SourceError(name, f"is {size[0]}x{size[1]} but frame {names[0]} of its clip is "
                                    f"{sizes[0][0]}x{sizes[0][1]}", "every frame of a clip must have one size")
    return sizes[0]


def clip_sample(index: int, key: tuple[str, str], entry: dict, stems: list[str], start: int,
                blobs: list[bytes], with_masks: bool, meta_extra: dict,
                windowed: bool, events: list[dict]) -> EncodedSample:
    """Assemble a clip sample from the bytes of ``clip_plan`` (same order); every frame,
    matte and mask passes the gate (SourceError naming the member otherwise)."""
    count, frames_n = len(entry["alphas"][stems[0]]), len(stems)
    plan, gated = clip_plan(entry, stems, with_masks), _Mattes(events)
    frames = blobs[:frames_n]
    width, height = _frame_sizes(frames, plan[:frames_n])
    checked = gated.check(blobs[frames_n:], plan[frames_n:], (width, height))
    mattes = [[m.data for m in checked[i * count:(i + 1) * count]] for i in range(frames_n)]
    fields = {"frames": frames, "instance_alphas": mattes}
    if with_masks:
        stored, zero = iter(checked[frames_n * count:]), _zero_png((width, height))
        fields["instance_masks"] = [[next(stored).data if k in entry["masks"].get(s, {}) else zero
                                     for k in sorted(entry["alphas"][s])] for s in stems]
    fields["meta"] = dict(meta_extra, split=key[0], video=key[1], start_frame=start,
                          frame_names=stems, num_frames=len(stems), num_instances=count,
                          width=width, height=height)
    return EncodedSample(index, sample_key(*key, start if windowed else None), fields)


class ReadAhead:
    """Sequential read-ahead of samples on one background thread.

    ``take(make, indices, stop)`` returns ``[make(i) for i in indices]``. Once ids are asked
    in sequence (a call starting where the previous one stopped: a stream, a one-worker
    build), it also starts ``make`` of the next ``depth`` ids (below ``stop``) on a
    background thread, so they are read, gated and encoded on a second CPU while the caller
    works on the current ones (reads inflate, OpenCV decodes and encodes: all release the
    GIL). ``make`` must be pure (the recipe contract): a sample is the same whichever thread
    makes it. Not started with fewer than 2 CPUs for the reader (nothing to overlap with; a
    DataLoader worker counts as one: ``mattehub.core.cpus.reader_cpus``), nor on
    scattered ids (a multi-worker build), so no work is done twice; a read-ahead sample
    nobody asks for is dropped (at most ``depth`` at the end of a caller's range).
    """

    def __init__(self, depth: int) -> None:
        self.wanted, self.depth = depth, None  # decided by the first ``take`` in a process
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: dict[int, Future] = {}
        self._next: int | None = None
        self._pid = os.getpid()

    def take(self, make: Callable[[int], object], indices: range, stop: int) -> list:
        if self._pid != os.getpid():  # forked (a DataLoader worker): the parent's thread and
            self.__init__(self.wanted)  # its futures do not exist here, never wait on them
        if self.depth is None:  # here, not at construction: a DataLoader worker is known by now
            self.depth = self.wanted if reader_cpus() >= 2 else 0
        sequential = indices.start == self._next
        out = []
        for index in indices:
            future = self._ahead.pop(index, None)
            # not started yet: make it here (the background thread goes on with the next)
            out.append(make(index) if future is None or future.cancel() else future.result())
        self._next = indices.stop
        for index in [i for i in self._ahead if not indices.stop <= i < indices.stop + self.depth]:
            self._ahead.pop(index).cancel()
        if sequential and self.depth:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="mattehub-read-ahead")
            for index in range(indices.stop, min(stop, indices.stop + self.depth)):
                if index not in self._ahead:
                    self._ahead[index] = self._pool.submit(make, index)
        return out

    def __getstate__(self) -> dict:
        return {"wanted": self.wanted}  # a worker process starts with nothing read ahead

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["wanted"])

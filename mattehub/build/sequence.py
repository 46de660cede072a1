"""Turning an ordered stream of outcomes into complete, numbered shards of every format.

Rules kept here and nowhere else: a shard is written under a temp name and renamed when
closed; its stats JSON (samples, index range, sizes, sha256, skips) is written after every
format's file is in place, so *the stats file is the completion marker*. Shard boundaries
depend only on the sample stream and the limits, so they are the same for any worker count.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mattehub.contract.schema import Schema
from mattehub.core.jsonio import write_json
from mattehub.output.layout import OutputLayout, temp_path
from mattehub.output.target import stream_digests
from mattehub.contract.sample import Outcome
from mattehub.formats import WRITERS, ShardWriter

MAX_LOGGED_EVENTS = 1000


@dataclass(frozen=True)
class ShardLimits:
    """When to start a new shard, and how big Parquet row groups get. ``max_bytes`` (None: no
    byte limit) picks the ids per shard before the build starts
    (``mattehub.build.plan.samples_per_shard``)."""

    max_samples: int = 1000
    max_bytes: int | None = None
    row_group_bytes: int = 16 * 2**20


@dataclass
class _OpenShard:
    number: int
    first_index: int
    writers: dict[str, ShardWriter]
    samples: int = 0
    payload_bytes: int = 0
    end_index: int = 0
    skipped: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def file_digests(path: Path, with_md5: bool = False) -> dict:
    """Size and sha256 (integrity) of a file, plus md5 (what wids indexes record) on request,
    read back from the file (``verify``; the writers hash as they write)."""
    with open(path, "rb") as handle:
        digests = stream_digests(handle, ("sha256", "md5") if with_md5 else ("sha256",))
    return {"bytes": path.stat().st_size} | digests


class ShardSequence:
    """Writes outcomes, in index order, into shards ``start_number``, ``start_number + 1``..."""

    def __init__(self, layout: OutputLayout, schema: Schema, split: str, formats: tuple[str, ...],
                 limits: ShardLimits, record: dict, start_number: int = 0,
                 redact: Callable[[Any], Any] = lambda value: value) -> None:
        self.layout, self.schema, self.split, self.redact = layout, schema, split, redact
        self.formats, self.limits, self.record = formats, limits, record
        self.next_number = start_number
        self.current: _OpenShard | None = None
        self.completed: list[dict] = []

    def add(self, outcome: Outcome) -> None:
        """Append one outcome (a sample, or a recorded skip)."""
        sample = outcome.sample
        incoming = sample.payload_bytes() if sample is not None else 0
        if self.current is not None and self._full():
            self.finish()
        shard = self.current or self._open(outcome.index)
        shard.end_index = outcome.index + 1
        if outcome.events or sample is None:
            self._record(shard, outcome)
        if sample is None:
            return
        for writer in shard.writers.values():
            writer.write(sample, incoming)
        shard.samples += 1
        shard.payload_bytes += incoming

    def _record(self, shard: _OpenShard, outcome: Outcome) -> None:
        """Count the outcome's events (and log the first ``MAX_LOGGED_EVENTS``); a skip is
        listed with its reasons."""
        events = self.redact(outcome.events)  # stats are published: no local paths
        for event in events:
            shard.counts[event["kind"]] += 1
            if len(shard.events) < MAX_LOGGED_EVENTS:
                shard.events.append(dict(event, index=outcome.index))
        if outcome.sample is None:
            shard.skipped.append({"index": outcome.index, "reasons": [e["reason"] for e in events]})

    def _full(self) -> bool:
        """A shard covers ``max_samples`` ids (skipped ids included), so shard ``n`` is ids
        ``[n*S, (n+1)*S)``: shard ranges are known before any sample is made
        (``mattehub.build.plan``, which also turns a byte limit into ``S``)."""
        shard = self.current
        return shard.end_index - shard.first_index >= self.limits.max_samples

    def _open(self, first_index: int) -> _OpenShard:
        writers = {}
        for fmt in self.formats:
            final = self.layout.shard(self.schema.config, self.split, self.next_number, fmt)
            final.parent.mkdir(parents=True, exist_ok=True)
            writers[fmt] = WRITERS[fmt](temp_path(final), self.schema, self.limits.row_group_bytes)
        self.current = _OpenShard(self.next_number, first_index, writers, end_index=first_index)
        self.next_number += 1
        return self.current

    def abort(self) -> None:
        """A failed build: drop the open shard's temp files (finished shards stay)."""
        shard, self.current = self.current, None
        for writer in (shard.writers.values() if shard else ()):
            writer.abort()

    def finish(self) -> None:
        """Close the open shard: close files, rename them, then write its stats. The shard
        is forgotten only once closed, so a failure on the way leaves it to ``abort``."""
        shard = self.current
        if shard is None:
            return
        finals = {fmt: self.layout.shard(self.schema.config, self.split, shard.number, fmt)
                  for fmt in shard.writers}
        files = {}
        for fmt, writer in shard.writers.items():  # every file closed before any is renamed
            writer.close()  # its digests were taken as it wrote: the file is not read back
            files[fmt] = dict(writer.digests(), path=self.layout.relative(finals[fmt]))
        for fmt, writer in shard.writers.items():
            os.replace(writer.path, finals[fmt])
        self.current = None
        stats = dict(self.record, shard=shard.number, split=self.split,
                     first_index=shard.first_index, end_index=shard.end_index,
                     samples=shard.samples, payload_bytes=shard.payload_bytes, files=files,
                     skipped_samples=shard.skipped, event_counts=dict(sorted(shard.counts.items())),
                     events=shard.events, events_truncated=sum(shard.counts.values()) - len(shard.events))
        write_json(self.layout.shard_stats(self.schema.config, self.split, shard.number), stats)
        self.completed.append(stats)

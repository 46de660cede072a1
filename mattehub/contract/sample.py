"""What a recipe hands to the writers: one encoded sample, or the reasons there is none."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EncodedSample:
    """A finished sample: every field already encoded (PNG/JPEG bytes, lists of them, meta).

    ``fields`` maps contract field names to bytes, lists of bytes, nested lists (clips) or
    the meta dict; the writers turn that into Parquet rows or tar members without decoding.
    """

    index: int
    key: str
    fields: dict[str, Any]

    def payload_bytes(self) -> int:
        """Encoded size of the sample, the measure shard byte limits are applied to."""
        return sum(_size(value) for value in self.fields.values())


@dataclass
class Outcome:
    """The result of asking a recipe for sample ``index``.

    ``events`` are counted in the shard stats: rejected attempts, dropped instances, bad
    input files met on the way. ``sample`` is None when every attempt failed, in which case
    the index is recorded as skipped, never silently lost.
    """

    index: int
    sample: EncodedSample | None
    events: list[dict] = field(default_factory=list)


def sample_key(index: int) -> str:
    """The ``__key__`` of sample ``index``: zero-padded, no dots (WebDataset splits on them)."""
    return f"{index:08d}"


def _size(value: Any) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, list):
        return sum(_size(item) for item in value)
    if isinstance(value, dict):
        return len(repr(value))
    return 0

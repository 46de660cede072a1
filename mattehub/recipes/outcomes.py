"""The outcome of a sample read from published files (release members, csv rows, DUTS pairs,
Composition-1k composites): one place decides what a damaged file does to the sample."""
from __future__ import annotations

from collections.abc import Callable

from mattehub.core.errors import SourceError
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.inputs import gate


def read_outcome(index: int, read: Callable[[list[dict]], EncodedSample], where: str = "") -> Outcome:
    """``read(events)`` as sample ``index``. A file failing the gate (SourceError) makes the
    sample a counted skip naming the file, prefixed by ``where`` (a csv line, a composite);
    a server failure (RemoteError, not a SourceError) is not the file's fault and stops the build."""
    events: list[dict] = []
    try:
        sample = read(events)
    except SourceError as exc:
        prefix = f"{where}: " if where else ""
        events += [gate.bad_input_event(exc),
                   {"kind": "skipped_sample", "reason": f"{prefix}{exc.path}: {exc.problem}"}]
        return Outcome(index, None, events)
    return Outcome(index, sample, events)

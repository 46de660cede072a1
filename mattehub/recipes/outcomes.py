"""What a failing input does to a sample, decided in one place for every config.

* ``attempts``: synthesised configs (``i-him``, ``v-him``, ``surreal-alpha``, ``aim``) make
  a sample in numbered attempts. A ``SourceError`` of the redrawn kind (any, or only a
  ``RedrawError``: a drawn background) is recorded as ``bad_input`` and the next attempt
  drawn; another ``SourceError`` (the clip's or foreground's own file: no draw helps) skips
  the sample at once; an attempt may reject its own draw (``rejected_attempt``); when the
  attempts run out the sample is a counted ``skipped_sample``.
  ``background_attempts`` is that for configs whose draws are backgrounds (``MAX_ATTEMPTS``
  draws, then "no readable background in N draws").
* ``read_outcome``: configs read from published files make a sample in one try; a file
  failing the gate makes it a counted skip naming the file.
* ``LastItem``: the one-item cache of a decoded input shared by consecutive samples, which
  keeps a ``SourceError`` too, so each of those samples is skipped naming the same file.

Anything that is not a ``SourceError`` -- a ``RemoteError`` (network or server down), a
bug -- is not the input's fault: it propagates and stops the build or stream.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from mattehub.core.errors import SourceError
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.inputs import gate

T = TypeVar("T")
MAX_ATTEMPTS = 3
"""Background draws per sample before it is skipped (a draw fails on an unreadable file)."""
Attempt = Callable[[int, list[dict]], "EncodedSample | str"]
"""``attempt(number, events)``: the sample, or the reason its draw was rejected; it may
append events (normalised inputs) and raise SourceError."""


class RedrawError(SourceError):
    """A drawn input (a background) failed the gate: another draw may succeed, where an
    error in the sample's fixed inputs would fail every draw alike."""

    @classmethod
    def of(cls, error: SourceError) -> "RedrawError":
        """``error`` (its path, problem and fix) marked as redrawable."""
        return cls(error.path, error.problem, error.fix)


def drawn(read: Callable[[], T]) -> T:
    """``read()`` of a drawn input, its SourceError re-raised as a RedrawError."""
    try:
        return read()
    except SourceError as exc:
        raise RedrawError.of(exc) from None


def attempts(index: int, tries: int, attempt: Attempt, exhausted: str,
             redraw: type[SourceError] = SourceError, unusable: str = "unusable source",
             final_reject: str = "") -> Outcome:
    """Sample ``index`` from ``attempt(0, events)``, ``attempt(1, events)``... (at most
    ``tries``). ``redraw``: the SourceErrors another attempt may avoid; any other skips the
    sample with the reason ``"{unusable}: {path}"``. ``exhausted``: the skip reason when
    every attempt failed. ``final_reject``: when given, a rejected draw is not redrawn: the
    sample is skipped at once with this reason (a schedule of one judged draw per id)."""
    events: list[dict] = []
    for number in range(tries):
        try:
            made = attempt(number, events)
        except redraw as exc:
            events.append(gate.bad_input_event(exc))
            continue
        except SourceError as exc:
            events += [gate.bad_input_event(exc),
                       {"kind": "skipped_sample", "reason": f"{unusable}: {exc.path}"}]
            return Outcome(index, None, events)
        if isinstance(made, EncodedSample):
            return Outcome(index, made, events)
        events.append({"kind": "rejected_attempt", "reason": made})
        if final_reject:
            events.append({"kind": "skipped_sample", "reason": final_reject})
            return Outcome(index, None, events)
    events.append({"kind": "skipped_sample", "reason": exhausted})
    return Outcome(index, None, events)


def background_attempts(index: int, attempt: Attempt, unusable: str = "unusable source") -> Outcome:
    """``attempts`` of a config whose draws are backgrounds: a background failing the gate
    (``RedrawError``) is redrawn, up to ``MAX_ATTEMPTS`` draws; any other SourceError skips
    the sample at once as ``"{unusable}: {path}"``."""
    return attempts(index, MAX_ATTEMPTS, attempt, f"no readable background in {MAX_ATTEMPTS} draws",
                    redraw=RedrawError, unusable=unusable)


def read_outcome(index: int, read: Callable[[list[dict]], EncodedSample], where: str = "") -> Outcome:
    """``read(events)`` as sample ``index``. A file failing the gate (SourceError) makes the
    sample a counted skip naming the file, prefixed by ``where`` (a csv line, a composite);
    a server failure (RemoteError, not a SourceError) is not the file's fault and stops the
    build."""
    events: list[dict] = []
    try:
        sample = read(events)
    except SourceError as exc:
        prefix = f"{where}: " if where else ""
        events += [gate.bad_input_event(exc),
                   {"kind": "skipped_sample", "reason": f"{prefix}{exc.path}: {exc.problem}"}]
        return Outcome(index, None, events)
    return Outcome(index, sample, events)


_EMPTY = object()


class LastItem(Generic[T]):
    """A one-item cache: the value made for the last key asked (a decoded clip, a prepared
    foreground, a background at the canvas size), kept until another key is asked. A
    SourceError raised while making it is kept too and raised again at each ask, so every
    sample of a damaged input is skipped naming the same file, without reading it again.
    Pickled empty: decoded data stays in its process."""

    def __init__(self) -> None:
        self._key: Any = _EMPTY
        self._value: T | SourceError | None = None

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value of ``key``: kept, or ``make()`` (its SourceError kept and raised)."""
        if self._key is _EMPTY or self._key != key:
            try:
                value: T | SourceError = make()
            except SourceError as exc:
                value = exc
            self._key, self._value = key, value
        if isinstance(self._value, SourceError):
            raise self._value
        return self._value

    def __reduce__(self):
        return (type(self), ())

"""A recipe wrapper whose worker process dies, once, in the middle of a shard (a killed Ray
worker): the first time it is asked for id ``at``, it marks ``marker`` and exits the process
at once (no cleanup, temp files left behind), as a machine loss would."""
from __future__ import annotations

import os
from pathlib import Path


class DiesOnce:
    def __init__(self, inner, at: int, marker: Path) -> None:
        self.inner, self.at, self.marker = inner, at, Path(marker)

    def __getattr__(self, name: str):
        if name == "inner":  # unpickling: not set yet
            raise AttributeError(name)
        return getattr(self.inner, name)

    def make_many(self, indices: range):
        if self.at in indices and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return self.inner.make_many(indices)


class FailsAt(DiesOnce):
    """Raises every time id ``at`` is made: a shard that cannot be written, whatever the retries."""

    def make_many(self, indices: range):
        if self.at in indices:
            raise RuntimeError(f"cannot make sample {self.at} (test)")
        return self.inner.make_many(indices)


class UnloadableInWorkers(DiesOnce):
    """Pickles fine, fails to unpickle in any process but the one that made it (a worker
    missing a module, say)."""

    def __getstate__(self):
        return dict(self.__dict__, parent=os.getpid())

    def __setstate__(self, state):
        if state["parent"] != os.getpid():
            raise ImportError("no module named 'only_on_the_head_node' (test)")
        self.__dict__.update(state)


class OddError(Exception):
    """An exception whose constructor takes other arguments than its message: pickled by
    default, it cannot be unpickled (a third-party error raised in a worker, say)."""

    def __init__(self, index: int, why: str) -> None:
        super().__init__(f"cannot make sample {index} ({why})")


class RaisesOdd(DiesOnce):
    """Raises an ``OddError`` at id ``at``."""

    def make_many(self, indices: range):
        if self.at in indices:
            raise OddError(self.at, "test")
        return self.inner.make_many(indices)


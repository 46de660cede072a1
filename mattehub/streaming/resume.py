"""Resuming a made split (on the fly, a release) at its next row without re-making the rows
before it.

``datasets`` resumes an Arrow generator (``ArrowExamplesIterable``) by re-running the
generator shard it stopped in from its start and dropping the rows before the saved one. And
between an ``IterableDataset`` and its generator there is always a
``RebatchedArrowExamplesIterable``, which saves the generator's state from one table before
the table of the current row, plus how many rows after that to drop. For a made split, each
dropped row is a ``recipe.make`` thrown away: a resume re-made the rows of up to three
generator shards (the shard the state trailed into from its start, then up to the current
row). ``MadeTables`` replaces ``ArrowExamplesIterable`` for made splits so that it re-makes
none, because:

* the generator (``Mattehub._made_row_tables``) yields one 1-row table per sample, keyed
  ``Key(run start, sample id)``, and takes ``first_id``: it makes no id below it. The state
  (the base's, plus ``next_id``, the id after the last row given, and ``rows_total``, rows
  given across shards) names a resume point by id, so no shard is re-run from its start;
* the rebatching wrapper restores the state saved with the row (ours, which is at the row:
  tables are one row) before rewinding us to its trailing state; ``load_state_dict`` keeps
  the first as ``ahead``. The rows from the trailing state to ``ahead`` have all been given
  (one-row tables are given whole), and the wrapper drops exactly that many (it counts
  tables' chunks, so one row per table): ``_iter_arrow`` hands it that many one-row
  placeholder tables, then makes rows from ``ahead`` on. A placeholder the
  wrapper did not drop would reach the features cast and fail loudly (an unknown column),
  never pass for a row.

One-row tables cost ~40 us per row in ``datasets``, against milliseconds for making a
sample. Shard folders keep ``datasets``' own iterable: re-reading a row group is cheap.
"""
from __future__ import annotations

from copy import deepcopy
from itertools import islice
from typing import Any, Callable, Iterator

import pyarrow as pa
from datasets.formatting import PythonFormatter
from datasets.iterable_dataset import ArrowExamplesIterable, _batch_to_examples
from datasets.utils.sharding import _split_gen_kwargs

PLACEHOLDER = "__mattehub_dropped_on_resume__"
"""The one column of the placeholder rows: no config has it, so one reaching the features
cast is an error."""


class MadeTables(ArrowExamplesIterable):
    """``ArrowExamplesIterable`` over one-row tables of sample ids, resumed by id (above)."""

    def __init__(self, generate_tables_fn: Callable[..., Iterator], kwargs: dict, *args: Any) -> None:
        super().__init__(generate_tables_fn, kwargs, *args)
        self._ahead: dict | None = None

    @classmethod
    def like(cls, plain: ArrowExamplesIterable) -> MadeTables:
        """``plain`` (what the base's sharding and shuffling return) as a MadeTables."""
        return cls(plain.generate_tables_fn, plain.kwargs, plain.generate_more_kwargs_fn,
                   plain.sleep_on_threads_shutdown)

    def shard_data_sources(self, num_shards: int, index: int, contiguous: bool = True) -> MadeTables:
        return self.like(super().shard_data_sources(num_shards, index, contiguous))

    def shuffle_data_sources(self, generator) -> MadeTables:
        return self.like(super().shuffle_data_sources(generator))

    def reshard_data_sources(self) -> MadeTables:
        return self.like(super().reshard_data_sources())

    def _init_state_dict(self) -> dict:
        state = super()._init_state_dict()
        state.update(next_id=None, rows_total=0)
        return state

    def load_state_dict(self, state_dict: dict) -> dict:
        """Load ``state_dict`` into the state dict the wrappers hold (the base would make a
        new one, leaving them a stale copy to save); keep the state it replaces as ``ahead``
        when that is a later point of the same stream (see the module docstring)."""
        current = self._state_dict
        ahead = None if current is None else deepcopy(current)
        loaded = super().load_state_dict(state_dict)
        if current is not None:
            current.clear()
            current.update(loaded)
            self._state_dict = loaded = current
        self._ahead = ahead if _later(ahead, loaded) else None
        return loaded

    def _iter_arrow(self) -> Iterator[tuple[Any, pa.Table]]:
        state, ahead, self._ahead = self._state_dict, self._ahead, None
        if state is not None and ahead is not None:
            dropped = ahead["rows_total"] - state["rows_total"]
            state.update(ahead)
            placeholder = pa.table({PLACEHOLDER: pa.nulls(1)})
            for _ in range(dropped):  # one per table given, as the wrapper counts them
                yield PLACEHOLDER, placeholder
        first_shard = state["shard_idx"] if state else 0
        for gen_kwargs in islice(_split_gen_kwargs(self.kwargs, max_num_jobs=self.num_shards), first_shard, None):
            first_id = state["next_id"] if state else None
            # a state that counts rows without naming an id (datasets' own, saved by an
            # earlier mattehub) is resumed as datasets does: its rows made, then dropped
            drop = state["shard_example_idx"] if state and first_id is None else 0
            for key, table in self.generate_tables_fn(**gen_kwargs, first_id=first_id):
                if drop > 0:
                    drop -= len(table)
                    continue
                if state is not None:
                    state["shard_example_idx"] += len(table)
                    state["rows_total"] += len(table)
                    state["next_id"] = key.item_or_batch_id + 1
                yield key, table
            if state is not None:
                state.update(shard_idx=state["shard_idx"] + 1, shard_example_idx=0, next_id=None)

    def __iter__(self):
        """Rows one by one (a wrapper without Arrow batches, e.g. a ``split_dataset_by_node``
        rank stepping over rows): tables are one row, so the state is exact at each."""
        formatter, self._ahead = PythonFormatter(), None  # no wrapper drops rows here
        for key, table in self._iter_arrow():
            for example in _batch_to_examples(formatter.format_batch(table)):
                yield key, example


def _later(ahead: dict | None, state: dict) -> bool:
    """Whether ``ahead`` is a state of this iterable past ``state`` (rows given since)."""
    return (ahead is not None and ahead["rows_total"] > state["rows_total"]
            and ahead["shard_idx"] >= state["shard_idx"])

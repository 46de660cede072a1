"""Exact resume through a real ``torchdata`` ``StatefulDataLoader`` with 2 worker processes:
the rows its batches gave before ``state_dict()`` plus the rows of a fresh loader given that
state are every row once, each worker's in its order (made on the fly, a shard folder, a
release; as plain rows and through ``as_arrays``; and per ``split_dataset_by_node`` rank)."""
from __future__ import annotations

import collections

import pytest
import torch.utils.data
from datasets.distributed import split_dataset_by_node
from torchdata.stateful_dataloader import StatefulDataLoader

from mattehub.training import as_arrays

WORKERS, BATCH = 2, 3
pytestmark = [pytest.mark.filterwarnings("ignore:.set_vital. is deprecated:UserWarning"),  # torchdata 0.11 on torch 2.13
              pytest.mark.usefixtures("fork_safe_opencv")]  # DataLoader workers fork


def worker_keys(batch: list[dict]) -> tuple[int, list[str]]:
    """A batch as (the worker that made it, its rows' keys): no tensors needed to compare rows."""
    return torch.utils.data.get_worker_info().id, [row["__key__"] for row in batch]


def by_worker(batches) -> dict[int, list[str]]:
    rows: dict[int, list[str]] = {w: [] for w in range(WORKERS)}
    for worker, keys in batches:
        rows[worker] += keys
    return rows


def loader(stream, batch: int) -> StatefulDataLoader:
    return StatefulDataLoader(stream, batch_size=batch, num_workers=WORKERS, collate_fn=worker_keys)


def worker_shares(stream, rank: int = 0, ranks: int = 1) -> dict[int, list[str]]:
    """Each worker's rows in order: ``datasets`` gives rank ``r`` of ``ranks`` the generator
    shards ``r, r + ranks...``, and worker ``w`` of those every WORKERS-th from the ``w``-th:
    the shards ``r + ranks * w`` modulo ``ranks * WORKERS`` of the whole stream."""
    return {w: [row["__key__"] for row in stream.shard(num_shards=ranks * WORKERS, index=rank + ranks * w,
                                                        contiguous=False)]
            for w in range(WORKERS)}


def resume_rows(make, batches: int, batch: int = BATCH) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Rows per worker of the first ``batches`` batches (of ``batch`` rows) of a loader over
    ``make()``, and of a fresh loader over another ``make()`` given the first one's
    ``state_dict()``."""
    first = loader(make(), batch)
    it = iter(first)
    before = by_worker(next(it) for _ in range(batches))
    state = first.state_dict()
    del it
    fresh = loader(make(), batch)
    fresh.load_state_dict(state)
    return before, by_worker(fresh)


@pytest.mark.parametrize("source", ["made", "folder"])
def test_a_stateful_loader_resumes_every_worker_at_its_next_row(streams, source):
    shares = worker_shares(streams[source]())
    assert all(len(rows) > BATCH for rows in shares.values())
    before, after = resume_rows(streams[source], batches=3)
    assert sum(map(len, before.values())) == 3 * BATCH
    for worker, rows in shares.items():
        assert before[worker] + after[worker] == rows, (source, worker)


def test_a_stateful_loader_resumes_a_release_s_workers(streams, small_release_shards):
    shares = worker_shares(streams["release"]())
    assert [len(rows) for rows in shares.values()] == [2, 3]
    before, after = resume_rows(streams["release"], batches=3, batch=1)
    assert [len(rows) for rows in before.values()] == [2, 1]
    for worker, rows in shares.items():
        assert before[worker] + after[worker] == rows, worker


def test_a_stateful_loader_resumes_as_arrays(streams):
    shares = worker_shares(streams["made"]())
    before, after = resume_rows(lambda: as_arrays(streams["made"]()), batches=2)
    for worker, rows in shares.items():
        assert before[worker] + after[worker] == rows, worker


def test_each_rank_s_stateful_loader_resumes_its_workers(streams):
    every, rows = [row["__key__"] for row in streams["made"]()], []
    for rank in range(2):
        make = lambda: split_dataset_by_node(streams["made"](), rank=rank, world_size=2)  # noqa: E731
        shares = worker_shares(streams["made"](), rank, ranks=2)
        before, after = resume_rows(make, batches=1)
        for worker, mine in shares.items():
            assert before[worker] + after[worker] == mine, (rank, worker)
            rows += mine
    assert sorted(rows) == every


MADE_LOG = {"path": None}
"""Where the counting ``make`` below writes: read by worker processes when they fork."""


def logged_makes(monkeypatch, recipe_class) -> None:
    """``recipe_class.make`` appends each id to ``MADE_LOG["path"]`` (one line per call,
    from whichever process or read-ahead thread makes it)."""
    make = recipe_class.make

    def logging(self, index):
        with open(MADE_LOG["path"], "a") as log:
            log.write(f"{index}\n")
        return make(self, index)

    monkeypatch.setattr(recipe_class, "make", logging)


@pytest.mark.parametrize("source", ["made", "release"])
def test_resumed_workers_make_each_remaining_row_once_and_nothing_else(streams, source, monkeypatch,
                                                                       tmp_path, small_release_shards):
    from mattehub.families.image_him.recipe import ImageHimRecipe
    from mattehub.families.releases.recipe import ImageReleaseRecipe

    logged_makes(monkeypatch, ImageHimRecipe if source == "made" else ImageReleaseRecipe)
    batch = BATCH if source == "made" else 1
    first = loader(streams[source](), batch)
    MADE_LOG["path"] = str(tmp_path / "first")
    rows = iter(first)
    before = by_worker(next(rows) for _ in range(3))
    state = first.state_dict()
    fresh = loader(streams[source](), batch)
    fresh.load_state_dict(state)
    MADE_LOG["path"] = str(tmp_path / "resumed")  # the fresh loader's workers fork below
    after = by_worker(fresh)
    made = collections.Counter(int(line) for line in open(MADE_LOG["path"]))
    ids = {row["__key__"]: index for index, row in enumerate(streams[source]())}  # none skipped
    remaining = [ids[key] for keys in after.values() for key in keys]
    assert sum(map(len, before.values())) == 3 * batch and remaining
    assert made == collections.Counter(remaining)


def test_the_documented_stateful_loader_snippet_runs(built):
    from doc_snippet import run_snippet

    scope = run_snippet("test_stateful_loader.py", built)
    assert len(scope["seen"]) == 8
    assert sorted(scope["seen"] + scope["rest"]) == [f"{i:08d}" for i in range(20)]

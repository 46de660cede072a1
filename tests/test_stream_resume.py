"""Exact resume: ``state_dict()`` / ``load_state_dict()`` of every mattehub stream (made on the
fly, shard folder, release) goes on at the next row, for one reader, for DataLoader workers'
shares and for ``split_dataset_by_node`` ranks; and a made split's generator shards stay small
(what a resume re-makes is the shard it stopped in, whatever the split's size)."""
from __future__ import annotations

import datasets
import pytest
from datasets.distributed import split_dataset_by_node

from mattehub.streaming.plan import MAX_SHARD_IDS, shard_ranges


def keys(stream) -> list[str]:
    return [row["__key__"] for row in stream]


def resumed(make, position: int) -> tuple[list[str], list[str]]:
    """Rows 0..position of ``make()``, then the rows of a fresh ``make()`` given the state
    saved after row ``position``."""
    stream = make()
    rows = iter(stream)
    seen = [next(rows)["__key__"] for _ in range(position + 1)]
    fresh = make()
    fresh.load_state_dict(stream.state_dict())
    return seen, keys(fresh)


@pytest.mark.parametrize("source", ["made", "folder", "release"])
def test_resume_goes_on_at_the_next_row(streams, source):
    every = keys(streams[source]())
    assert len(every) > 3
    for position in (0, len(every) // 2, len(every) - 2, len(every) - 1):
        seen, rest = resumed(streams[source], position)
        assert seen + rest == every, (source, position)


def share(make, count: int, index: int, route: str):
    """Reader ``index`` of ``count``: a DataLoader worker's share (``datasets`` gives worker
    ``w`` the shards ``shard_data_sources(count, w, contiguous=False)``, which ``shard`` is) or
    a ``split_dataset_by_node`` rank."""
    if route == "workers":
        return lambda: make().shard(num_shards=count, index=index, contiguous=False)
    return lambda: split_dataset_by_node(make(), rank=index, world_size=count)


@pytest.mark.parametrize("route", ["workers", "ranks"])
@pytest.mark.parametrize("source", ["made", "folder"])
def test_each_reader_resumes_its_share_and_the_shares_cover_every_row_once(streams, source, route):
    every = keys(streams[source]())
    rows = []
    for index in range(2):
        reader = share(streams[source], 2, index, route)
        mine = keys(reader())
        seen, rest = resumed(reader, len(mine) // 2)
        assert seen + rest == mine, (source, route, index)
        rows += seen + rest
    assert sorted(rows) == sorted(every) and len(set(rows)) == len(every)


def test_release_ranks_resume_their_share(release):
    make = lambda: datasets.load_dataset("mattehub", "v-him2k5", data_dir=str(release),  # noqa: E731
                                         split="train", streaming=True)
    every, rows = keys(make()), []
    for rank in range(2):
        reader = share(make, 2, rank, "ranks")
        mine = keys(reader())
        seen, rest = resumed(reader, max(0, len(mine) // 2 - 1))
        assert seen + rest == mine
        rows += seen + rest
    assert sorted(rows) == sorted(every)


@pytest.mark.parametrize("count", [5_761, 50_000, 1_000_000])
def test_generator_shards_stay_small_for_large_splits(count):
    ranges = shard_ranges(count)
    assert max(stop - start for start, stop in ranges) <= MAX_SHARD_IDS
    assert len(ranges) % 720 == 0  # still divided exactly by world sizes 2, 3, 4, 6, 8, 12...
    assert [i for start, stop in ranges for i in range(start, stop)][-1] == count - 1


def test_a_recipe_minimum_bounds_its_shards_from_both_sides():
    sizes = [stop - start for start, stop in shard_ranges(50_000, 16)]
    assert 16 <= min(sizes) and max(sizes) <= 32


def test_the_documented_resume_snippet_runs(built):
    from doc_snippet import run_snippet

    scope = run_snippet("test_stream_resume.py", built)
    assert scope["seen"] + scope["rest"] == [f"{i:08d}" for i in range(20)]
    assert len(scope["seen"]) == 7


def counted_makes(monkeypatch, recipe_class) -> list[int]:
    """The ids ``recipe_class.make`` is called with from now on (read-ahead threads too)."""
    made: list[int] = []
    make = recipe_class.make

    def counting(self, index):
        made.append(index)
        return make(self, index)

    monkeypatch.setattr(recipe_class, "make", counting)
    return made


def made_per_resume(make, made: list[int]) -> list[tuple[int, list[int]]]:
    """For every row but the last: (the id of the next row, the ids a fresh ``make()``
    given the state saved at the row makes before yielding that next row). Keys are ids
    (rows ``00000007`` and ``train_7`` are sample 7: no sample of these streams is skipped)."""
    stream, states = make(), []
    for row in stream:
        states.append(stream.state_dict())
    every = keys(make())
    per_resume = []
    for position, state in enumerate(states[:-1]):
        fresh = make()
        fresh.load_state_dict(state)
        del made[:]
        row = next(iter(fresh))
        per_resume.append((position + 1, list(made)))
        assert row["__key__"] == every[position + 1]
    return per_resume


def shard_of(ranges: list[tuple[int, int]], index: int) -> int:
    """Ids in the generator shard holding ``index``."""
    return next(stop - start for start, stop in ranges if start <= index < stop)


def check_resume_cost(per_resume, ranges) -> None:
    """No resume re-makes a row before the next one (``datasets`` alone re-made the shard
    it stopped in and up to two tables before the row); what it makes before the next row
    (the row, and read-ahead) stays within one generator shard."""
    assert [(i, ids) for i, ids in per_resume if i not in ids or min(ids) < i] == []
    assert [(i, ids) for i, ids in per_resume if len(ids) > shard_of(ranges, i)] == []


def test_a_made_stream_s_resume_remakes_no_row(streams, monkeypatch):
    from mattehub.families.image_him.recipe import ImageHimRecipe

    made = counted_makes(monkeypatch, ImageHimRecipe)
    per_resume = made_per_resume(streams["made"], made)
    assert len(per_resume) == 19
    check_resume_cost(per_resume, shard_ranges(20, ImageHimRecipe.stream_shard_min))


def test_a_release_s_resume_remakes_no_row(streams, monkeypatch, small_release_shards):
    from mattehub.families.releases.recipe import ImageReleaseRecipe

    made = counted_makes(monkeypatch, ImageReleaseRecipe)
    ranges = shard_ranges(5, ImageReleaseRecipe.stream_shard_min)
    assert len(ranges) == 2
    check_resume_cost(made_per_resume(streams["release"], made), ranges)  # read-ahead included


def test_a_state_saved_without_sample_ids_still_resumes_exactly(streams):
    """A state in ``datasets``' own form (rows counted, no ``next_id``: saved before
    mattehub resumed made splits by id) goes on at the next row, as ``datasets`` would."""
    stream = streams["made"]()
    rows = iter(stream)
    seen = [next(rows)["__key__"] for _ in range(11)]
    state = stream.state_dict()
    for inner in (state["examples_iterable"]["examples_iterable"],
                  state["examples_iterable"]["previous_state"]):
        assert inner.pop("next_id") is not None and inner.pop("rows_total") > 0
    fresh = streams["made"]()
    fresh.load_state_dict(state)
    assert seen + keys(fresh) == keys(streams["made"]())


@pytest.mark.parametrize("batch", [3, 8])
def test_batched_iteration_resumes_at_the_next_row(streams, batch):
    stream = streams["made"]()
    batches = stream.iter(batch_size=batch)
    seen = next(batches)["__key__"] + next(batches)["__key__"]
    fresh = streams["made"]()
    fresh.load_state_dict(stream.state_dict())
    assert seen + [key for rows in fresh.iter(batch_size=batch) for key in rows["__key__"]] == keys(streams["made"]())


def test_a_resumed_stream_s_own_states_resume_without_re_making(streams, monkeypatch):
    """Checkpoints taken after a resume (the state dict the wrappers hold must stay the
    live one) resume as well as the first."""
    from mattehub.families.image_him.recipe import ImageHimRecipe

    made = counted_makes(monkeypatch, ImageHimRecipe)
    stream = streams["made"]()
    rows = iter(stream)
    seen = [next(rows)["__key__"] for _ in range(5)]
    for _ in range(3):
        state, stream = stream.state_dict(), streams["made"]()
        stream.load_state_dict(state)
        rows = iter(stream)
        del made[:]
        seen += [next(rows)["__key__"] for _ in range(4)]
        assert made == [int(key) for key in seen[-4:]]
    assert seen + [row["__key__"] for row in rows] == keys(streams["made"]())

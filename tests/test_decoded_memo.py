"""Pixels decoded once: a release sample's mattes, decoded by the gate when the sample is made,
reach ``as_arrays`` without a second decode (``mattehub.contract.decoded``), and the arrays
are those a fresh decode gives; DataLoader workers read on one CPU each
(``mattehub.core.cpus``)."""
from __future__ import annotations

import numpy as np
import pytest

import mattehub
from mattehub.contract import codecs, decoded
from mattehub.training import as_arrays

pytestmark = pytest.mark.usefixtures("fork_safe_opencv")  # DataLoader workers fork (conftest)


@pytest.fixture(autouse=True)
def fresh_memo():
    decoded.forget()
    yield
    decoded.forget()


def release_arrays(release, config: str) -> list[dict]:
    return list(as_arrays(mattehub.stream(config, release)))


def assert_same_rows(left: list[dict], right: list[dict]) -> None:
    assert [row["__key__"] for row in left] == [row["__key__"] for row in right]
    for a, b in zip(left, right):
        for name, value in a.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == b[name].dtype and np.array_equal(value, b[name]), (a["__key__"], name)


@pytest.mark.parametrize("config", ["i-him50k", "v-him2k5"])
def test_release_mattes_are_handed_over_and_equal_a_fresh_decode(release, config, monkeypatch):
    handed = release_arrays(release, config)
    assert decoded.hits > 0  # the mattes did come from the maker
    decoded.forget()
    monkeypatch.setattr(decoded, "want", lambda: None)  # nobody asks: every matte decoded again
    fresh = release_arrays(release, config)
    assert decoded.hits == 0
    assert_same_rows(handed, fresh)


def test_nothing_is_remembered_until_a_reader_asks():
    data = codecs.encode_png(np.full((4, 5), 7, np.uint8))
    decoded.remember(data, np.full((4, 5), 7, np.uint8))
    assert decoded.recall(data, (4, 5), np.uint8) is None


def test_an_entry_is_handed_out_once_and_only_for_equal_bytes():
    decoded.want()
    array = np.arange(20, dtype=np.uint8).reshape(4, 5)
    data = codecs.encode_png(array)
    decoded.remember(data, array)
    same_tail = b"x" + data[1:]  # same length and end: the key matches, the bytes do not
    assert decoded.recall(same_tail, (4, 5), np.uint8) is None
    assert decoded.recall(data, (5, 4), np.uint8) is None  # another shape: not these pixels
    decoded.remember(data, array)
    assert decoded.recall(data, (4, 5), np.uint8) is array
    assert decoded.recall(data, (4, 5), np.uint8) is None


def test_past_the_limit_the_oldest_entries_go(monkeypatch):
    decoded.want()
    monkeypatch.setattr(decoded, "LIMIT_BYTES", 250)
    blobs = [(codecs.encode_png(np.full((10, 10), v, np.uint8)), np.full((10, 10), v, np.uint8))
             for v in range(4)]
    for data, array in blobs:
        decoded.remember(data, array)
    assert [decoded.recall(d, (10, 10), np.uint8) is not None for d, _ in blobs] == [False, False, True, True]


class _Probe:
    """An iterable dataset that reports, from wherever it runs, what a reader may use."""

    def __iter__(self):
        import pyarrow

        from mattehub.core.cpus import reader_cpus, settle_loader_worker
        from mattehub.families.releases.samples import ReadAhead

        settle_loader_worker()
        ahead = ReadAhead(16)
        ahead.take(lambda i: i, range(0, 1), 10)
        yield {"reader_cpus": reader_cpus(), "read_ahead": ahead.depth, "arrow_threads": pyarrow.cpu_count()}


def test_a_dataloader_worker_reads_on_one_cpu():
    """Forked after OpenCV ran its thread pool here (as a training script's process may
    have): the worker must not hang on OpenCV's copied pool."""
    import cv2

    torch_data = pytest.importorskip("torch.utils.data")
    from mattehub.core.cpus import usable_cpus

    cv2.GaussianBlur(np.zeros((1024, 1024), np.float32), (9, 9), 3)

    class Probe(_Probe, torch_data.IterableDataset):
        pass

    [inside] = list(torch_data.DataLoader(Probe(), batch_size=None, num_workers=1))
    assert inside == {"reader_cpus": 1, "read_ahead": 0, "arrow_threads": 1}
    [outside] = list(Probe())
    assert outside["reader_cpus"] == usable_cpus()
    assert outside["read_ahead"] == (16 if usable_cpus() >= 2 else 0)


class _Ragged:
    """Examples of different sizes and instance counts (the batch must be zero-padded)."""

    def __init__(self, torch_data) -> None:
        rng = np.random.default_rng(3)
        self.examples = [{"image": rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
                          "instance_alphas": rng.integers(1, 256, (k, h, w), dtype=np.uint8)}
                         for h, w, k in ((6, 7, 2), (5, 9, 1), (6, 9, 3))]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict:
        return self.examples[index]


def _collate_and_report(batch: list[dict]) -> dict:
    """``pad_collate``, plus whether its tensors were in shared memory where it ran (in the
    main process every tensor a worker sent is shared anyway)."""
    from mattehub.training import pad_collate

    out = pad_collate(batch)
    out["made_shared"] = [out["image"].is_shared(), out["instance_alphas"].is_shared()]
    return out


def test_a_worker_batches_into_shared_memory_with_the_same_values():
    """In a worker, ``pad_collate`` stacks into shared memory (no second copy on the way to
    the main process); the batch equals the one made in the main process, padding zeroed."""
    torch_data = pytest.importorskip("torch.utils.data")
    from mattehub.training import pad_collate

    data = _Ragged(torch_data)
    here = pad_collate(data.examples)
    [there] = list(torch_data.DataLoader(data, batch_size=3, collate_fn=_collate_and_report, num_workers=1))
    assert there.pop("made_shared") == [True, True]
    assert sorted(here) == sorted(there)
    for key, value in here.items():
        assert value.dtype == there[key].dtype and bool((value == there[key]).all()), key
    assert not here["image"].is_shared()
    assert int(there["image"][1, 5:].sum()) == 0 and int(there["instance_alphas"][1, 1:].sum()) == 0

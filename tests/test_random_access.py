"""``mattehub.open``: a map-style dataset whose row ``i`` is the stream's row ``i``, for a
config made on the fly, a shard folder and releases read in place, also through a torch
DataLoader with a random sampler and 2 workers."""
from __future__ import annotations

import pickle
from operator import itemgetter

import numpy as np
import PIL.Image
import pytest

import mattehub
from mattehub.contract.sample import Outcome
from mattehub.streaming.random_access import SkippedSample

pytestmark = pytest.mark.usefixtures("fork_safe_opencv")  # DataLoader workers fork (conftest)


def _plain(value):
    """A row with every PIL image as (mode, pixels), so rows compare with ``==``."""
    if isinstance(value, PIL.Image.Image):
        return value.mode, np.asarray(value).tobytes()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _made(hhm):
    return ("i-him", str(hhm.image_root)), {"bg_root": str(hhm.bg_root), "num_samples": 11,
                                           "invalid_names": str(hhm.invalid_names)}


CASES = {
    "made": lambda get: _made(get("hhm")),
    "made clips": lambda get: (("surreal-alpha", str(get("surreal_tree").root)),
                               {"bg_root": str(get("surreal_tree").bg_root), "num_bgs": 2,
                                "split": "train"}),
    "shard folder": lambda get: (("i-him", str(get("built"))), {}),
    "image release": lambda get: (("i-him50k", str(get("release"))), {}),
    "clip release": lambda get: (("v-him2k5", str(get("release"))),
                                 {"clip_length": 2, "clip_stride": 1}),
}


@pytest.fixture(params=list(CASES))
def case(request):
    args, options = CASES[request.param](request.getfixturevalue)
    rows = [_plain(row) for row in mattehub.stream(*args, **options)]
    return mattehub.open(*args, **options), rows


def test_row_i_is_the_stream_row_i(case):
    ds, rows = case
    assert len(ds) == len(rows) > 2
    for index in (0, 1, len(rows) // 2, len(rows) - 1):
        assert _plain(ds[index]) == rows[index], index
    assert _plain(ds[-1]) == rows[-1]


def test_rows_out_of_range_are_index_errors(case):
    ds, rows = case
    for index in (len(rows), len(rows) + 5, -len(rows) - 1):
        with pytest.raises(IndexError, match=f"row {index} is out of range .it has {len(rows)} rows"):
            ds[index]
    with pytest.raises(TypeError, match="by an integer"):
        ds["0"]


def test_a_dataloader_with_a_random_sampler_and_two_workers_reads_every_row_once(case):
    ds, rows = case
    assert _loader_keys(ds, "spawn") == sorted(row["__key__"] for row in rows)


def test_a_pickled_dataset_opens_its_files_again(built):
    ds = mattehub.open("i-him", built)
    first = _plain(ds[3])
    assert ds.rows._open  # the shard is open in this process...
    copy = pickle.loads(pickle.dumps(ds))
    assert not copy.rows._open  # ...not in the copy, which opens it when read
    assert _plain(copy[3]) == first


def test_shard_rows_cross_shards_and_row_groups(built):
    ds = mattehub.open("i-him", built)
    assert len(ds.rows.starts) - 1 == 3  # 20 rows in shards of 8
    groups = ds.rows._file(0)[1]
    assert len(groups) > 2, "the fixture's small row groups: several per shard"
    keys = [ds.with_transform(itemgetter("__key__"), decode=False)[i] for i in range(len(ds))]
    assert keys == [f"{i:08d}" for i in range(20)]


def test_undecoded_rows_keep_the_stored_bytes(built):
    raw = mattehub.open("i-him", built).with_transform(decode=False)[4]
    assert set(raw["image"]) == {"bytes", "path"} and raw["image"]["bytes"][:2] == b"\xff\xd8"


def test_a_skipped_id_is_an_error_naming_its_inputs(hhm, monkeypatch):
    args, options = _made(hhm)
    ds = mattehub.open(*args, **options)
    events = [{"kind": "bad_input", "path": "images/person_003.jpg", "reason": "truncated JPEG"}]
    monkeypatch.setattr(ds.rows.recipe, "make", lambda index: Outcome(index, None, events))
    with pytest.raises(SkippedSample, match=r"i-him/train: sample 2 is skipped "
                                            r"\(images/person_003.jpg: truncated JPEG\)"):
        ds[2]


def test_options_with_a_shard_folder_and_unknown_splits_are_refused(built, hhm):
    with pytest.raises(ValueError, match="num_samples: options for making i-him"):
        mattehub.open("i-him", built, num_samples=3)
    with pytest.raises(ValueError, match="no split 'val'"):
        mattehub.open("i-him", built, split="val")
    args, options = _made(hhm)
    with pytest.raises(ValueError, match="i-him has no split 'val'"):
        mattehub.open(*args, split="val", **options)


def test_the_documented_dataloader_snippet_runs(built):
    from doc_snippet import run_snippet

    scope = run_snippet("test_random_access.py", built)
    assert scope["steps"] == 5  # 20 rows in batches of 4
    assert scope["image"].shape == (4, 3, 128, 128)


def test_a_shard_folder_over_http_reads_rows_by_range_requests(built, http_root):
    local, remote = mattehub.open("i-him", built), mattehub.open("i-him", http_root(built))
    assert len(remote) == len(local) == 20
    for index in (0, 9, 19):
        assert _plain(remote[index]) == _plain(local[index])
    assert remote.rows._open  # opened here, before the workers fork: each opens its own
    assert _loader_keys(remote, "fork") == sorted(f"{i:08d}" for i in range(20))


def _loader_keys(ds, context: str) -> list[str]:
    """The keys a DataLoader with a random sampler and 2 workers reads, sorted (a worker
    that hangs is an error after 120 s, not a hung test)."""
    import torch.utils.data

    keys = ds.with_transform(itemgetter("__key__"), decode=False)
    sampler = torch.utils.data.RandomSampler(keys, generator=torch.Generator().manual_seed(0))
    loader = torch.utils.data.DataLoader(keys, sampler=sampler, batch_size=None, num_workers=2,
                                         multiprocessing_context=context, timeout=120)
    read = list(loader)
    assert read != sorted(read)  # shuffled
    return sorted(read)


def test_missing_damaged_and_miscounted_shards_are_errors_naming_them(built, tmp_path):
    import shutil

    from mattehub.core.errors import SourceError

    folder = tmp_path / "out"
    shutil.copytree(built, folder)
    shards = sorted((folder / "i-him").glob("train-*.parquet"))
    ds = mattehub.open("i-him", folder)
    shards[0].unlink()
    with pytest.raises(SourceError, match=r"train-000000.parquet.*is missing"):
        ds[0]
    shards[1].write_bytes(shards[1].read_bytes()[:-100])
    with pytest.raises(SourceError, match=r"train-000001.parquet.*not a readable Parquet shard"):
        ds[8]
    stats = folder / "_stats" / "i-him" / "train-000002.json"
    stats.write_text(stats.read_text().replace('"samples": 4', '"samples": 5'))
    with pytest.raises(SourceError, match=r"train-000002.parquet.*has 4 rows, its shard stats say 5"):
        mattehub.open("i-him", folder)[16]

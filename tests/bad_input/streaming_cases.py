"""Bad-input rows: ``load_dataset("mattehub", ...)`` and ``mattehub.stream`` over rebuilt,
edited or damaged shard folders and changed sources.

A non-streaming load caches its rows, so the cache must be keyed on what the rows are made
from: a rebuilt folder or changed sources give the new rows, never the cached old ones. A
split summary is read for its shard paths and features: an edited one (a ``../`` path, no
``files``, no ``features``) and a deleted shard are clear errors naming the file. Keyword
arguments take paths as ``pathlib.Path`` and refuse a bool for a number. ``mattehub.stream``
without a split reads the config's default split (or a shard folder's only split).
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import datasets

import mattehub

from .evaluate_cases import _predictions
from .harness import Case, Env, Fails, Run, Succeeds, built
from .verify_cases import PARQUET_1, built_copy

SUMMARY = "_stats/i-him/train.json"


def _load(env: Env, data_dir, **kwargs) -> datasets.Dataset:
    """A non-streaming load of i-him's train split with a private cache."""
    return datasets.load_dataset("mattehub", "i-him", data_dir=str(data_dir), split="train",
                                 cache_dir=str(env.tmp / "hf-cache"), **kwargs)


def _images(dataset) -> list[bytes]:
    """The encoded ``image`` of every row (no decoding: bytes compare exactly)."""
    return [image["bytes"] for image in dataset.cast_column("image", datasets.Image(decode=False))["image"]]


def _load_rebuilt(env: Env) -> Run:
    """Build 20 samples, load, rebuild with --overwrite as 30, load again, then force a
    re-download: both later loads must give the 30 new rows."""
    out = env.tmp / "out"
    assert env.cli(*env.i_him_args(out, num_samples=20)).code == 0
    first = _load(env, out)
    assert env.cli(*env.i_him_args(out, "--overwrite", num_samples=30)).code == 0
    return env.call(lambda: (first, _load(env, out),
                             _load(env, out, download_mode="force_redownload")))


def _new_rows_after_rebuild(env: Env, run: Run) -> None:
    first, again, forced = run.value
    assert first.num_rows == 20
    rows = built(env, "i-him").rows()
    for dataset in (again, forced):
        assert dataset["__key__"] == [row["__key__"] for row in rows]
        assert _images(dataset) == [row["image"]["bytes"] for row in rows]


def _widen_backgrounds(bg_root: Path) -> None:
    """Every background 8 pixels wider (another size: the sources' fingerprint changes)."""
    for path in sorted(p for p in bg_root.rglob("*") if p.is_file()):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(path), cv2.resize(image, (image.shape[1] + 8, image.shape[0])))


def _load_after(change):
    """i-him made on the fly: load, ``change(bg_root)`` the backgrounds, load again (it must
    equal a stream of the changed sources, not the cached rows)."""
    def run(env: Env) -> Run:
        src = env.sources()
        options = {"bg_root": str(src.bg_root), "num_samples": 3}
        first = _images(_load(env, src.image_root, **options))
        change(src.bg_root)
        streamed = [row["image"]["bytes"] for row in
                    mattehub.stream("i-him", src.image_root, **options).decode(False)]
        return env.call(lambda: (first, _images(_load(env, src.image_root, **options)), streamed))
    return run


def _invert_backgrounds(bg_root: Path) -> None:
    """Every background's pixels inverted, written back at the same size (the sources'
    fingerprint, which records names and sizes, does not change)."""
    for path in sorted(p for p in bg_root.rglob("*") if p.is_file()):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(path), 255 - image)


def _new_rows_after_source_change(env: Env, run: Run) -> None:
    first, again, streamed = run.value
    assert again == streamed and again != first


def _stream_edited(edit):
    """Stream a built copy after ``edit(out)``."""
    def run(env: Env) -> Run:
        out = built_copy(env)
        edit(out)
        return env.call(lambda: list(mattehub.stream("i-him", out)))
    return run


def _open_edited(edit, row: int):
    """Read row ``row`` of a built copy, by random access (``mattehub.open``), after ``edit(out)``."""
    def run(env: Env) -> Run:
        out = built_copy(env)
        edit(out)
        return env.call(lambda: mattehub.open("i-him", out)[row])
    return run


def _truncate_shard(out: Path) -> None:
    data = (out / PARQUET_1).read_bytes()
    (out / PARQUET_1).write_bytes(data[:-100])


def _overcount_stats(out: Path) -> None:
    stats = out / "_stats" / "i-him" / "train-000001.json"
    stats.write_text(stats.read_text().replace('"samples": 4', '"samples": 5'))


def _edit_summary(change):
    def edit(out: Path) -> None:
        path = out / SUMMARY
        summary = json.loads(path.read_text())
        change(out, summary)
        path.write_text(json.dumps(summary))
    return edit


def _dotdot_path(out: Path, summary: dict) -> None:
    """Shard 0 listed as ``../elsewhere/...``, a valid shard placed there."""
    outside = out.parent / "elsewhere" / "train-000000.parquet"
    outside.parent.mkdir()
    outside.write_bytes((out / summary["files"]["parquet"][0]).read_bytes())
    summary["files"]["parquet"][0] = "../elsewhere/train-000000.parquet"


def _drop(key: str):
    return lambda out, summary: summary.pop(key)


def _delete_shard(out: Path) -> None:
    (out / PARQUET_1).unlink()


def _load_deleted_shard(env: Env) -> Run:
    out = built_copy(env)
    _delete_shard(out)
    return env.call(lambda: _load(env, out))


def _evaluate_deleted_shard(env: Env) -> Run:
    out, pred = _predictions(env)
    _delete_shard(out)
    return env.cli("evaluate", "i-him", "--data-dir", out, "--pred", pred, "--no-progress")


def _surreal(env: Env, **options) -> Run:
    from surreal_tree import make_surreal_tree

    tree = make_surreal_tree(env.tmp / "surreal")
    return env.call(lambda: list(mattehub.stream("surreal-alpha", tree.root, bg_root=tree.bg_root,
                                                 num_samples=1, **options)))


def _load_paths(env: Env) -> Run:
    """``data_dir``/``bg_root`` as ``pathlib.Path``: a built folder and sources made on the fly."""
    out, src = built_copy(env), env.sources()
    return env.call(lambda: (
        datasets.load_dataset("mattehub", "i-him", data_dir=out, split="train", streaming=True),
        datasets.load_dataset("mattehub", "i-him", data_dir=src.image_root, bg_root=src.bg_root,
                              num_samples=2, split="train", streaming=True)))


def _paths_load(env: Env, run: Run) -> None:
    folder, made = run.value
    assert len(list(folder)) == 12 and len(list(made)) == 2


def _stream_default_split(env: Env) -> Run:
    """composition-1k (test split only), from its sources and from a build."""
    from aim_tree import make_aim_tree

    tree = make_aim_tree(env.tmp / "src", train=False)
    out = env.tmp / "out"
    assert env.cli("build", "composition-1k", "--out", out, "--data-dir", tree.data_dir,
                   "--split", "test", "--no-progress").code == 0
    return env.call(lambda: (list(mattehub.stream("composition-1k", tree.data_dir)),
                             list(mattehub.stream("composition-1k", out)), len(tree.tests)))


def _default_split_rows(env: Env, run: Run) -> None:
    made, read, tests = run.value
    assert len(made) == len(read) == tests > 0
    assert [row["__key__"] for row in made] == [row["__key__"] for row in read]


def _stream_two_splits(env: Env) -> Run:
    """A folder holding i-him's val and test splits (no train): which one is not guessed."""
    out = env.tmp / "out"
    for split in ("val", "test"):
        assert env.cli(*env.i_him_args(out, "--split", split, num_samples=2)).code == 0
    return env.call(lambda: list(mattehub.stream("i-him", out)))


MISSING = rf"{PARQUET_1}: is missing \(listed in {SUMMARY}\).*mattehub verify"

CASES = [
    Case("load-after-rebuild", "1: a non-streaming load after --overwrite 20 -> 30 (and "
         "force_redownload) gives the new rows", _load_rebuilt, Succeeds(), _new_rows_after_rebuild),
    Case("load-after-source-change", "1: a non-streaming load made on the fly after the "
         "sources changed gives the new rows", _load_after(_widen_backgrounds), Succeeds(),
         _new_rows_after_source_change),
    Case("load-after-same-size-source-edit", "1: a non-streaming load made on the fly after a "
         "source image was rewritten in place with the same size gives the new rows",
         _load_after(_invert_backgrounds), Succeeds(), _new_rows_after_source_change),
    Case("stream-summary-dotdot-path", "10b: a split summary listing ../ shard paths",
         _stream_edited(_edit_summary(_dotdot_path)),
         Fails(rf"{SUMMARY}: lists '\.\./elsewhere/train-000000\.parquet' under files\.parquet: "
               r"shard paths must be relative and stay inside the folder.*mattehub finalize")),
    Case("stream-summary-no-files", "clear errors: streaming with a summary without files",
         _stream_edited(_edit_summary(_drop("files"))), Fails(rf"{SUMMARY}: has no 'files'")),
    Case("stream-summary-no-features", "clear errors: streaming with a summary without features",
         _stream_edited(_edit_summary(_drop("features"))), Fails(rf"{SUMMARY}: has no 'features'")),
    Case("stream-deleted-shard", "clear errors: streaming a folder with a deleted shard",
         _stream_edited(_delete_shard), Fails(MISSING)),
    Case("load-deleted-shard", "clear errors: a non-streaming load of a folder with a deleted shard",
         _load_deleted_shard, Fails(MISSING)),
    Case("evaluate-deleted-shard", "clear errors: evaluating against a folder with a deleted shard",
         _evaluate_deleted_shard, Fails(MISSING)),
    Case("open-deleted-shard", "clear errors: mattehub.open row of a deleted shard",
         _open_edited(_delete_shard, 5), Fails(r"train-000001\.parquet.*is missing")),
    Case("open-truncated-shard", "clear errors: mattehub.open row of a truncated Parquet shard",
         _open_edited(_truncate_shard, 5), Fails(r"train-000001\.parquet.*not a readable Parquet shard")),
    Case("open-stats-overcount", "clear errors: mattehub.open when a shard's stats count more "
         "rows than its Parquet file holds", _open_edited(_overcount_stats, 5),
         Fails(r"train-000001\.parquet.*has 4 rows, its shard stats say 5")),
    Case("stream-bool-for-number", "clear errors: num_bgs=True in load_dataset",
         lambda env: _surreal(env, num_bgs=True), Fails(r"^num_bgs=True: give a whole number >= 1 \[--num-bgs\]$")),
    Case("load-path-data-dir", "load_dataset: data_dir and path options as pathlib.Path",
         _load_paths, Succeeds(), _paths_load),
    Case("stream-default-split", "stream(cfg, folder) of a config without a train split",
         _stream_default_split, Succeeds(), _default_split_rows),
    Case("stream-no-default-split", "stream(cfg, folder) of a folder with several splits, none "
         "the default", _stream_two_splits,
         Fails(r"^i-him in .*out has the splits (test, val|val, test) and no 'train'; pass split= "
               r"one of them$")),
]

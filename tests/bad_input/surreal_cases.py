"""Bad-input rows: damaged SURREAL trees and background folders (surreal-alpha).

Each case writes a small SURREAL-format tree (tests/surreal_tree.py: clips ``01_01_c0001``
and ``01_01_c0002`` of 3 frames, 4 backgrounds), damages it and runs ``mattehub build
surreal-alpha``. A missing ``_depth.mat`` / ``_info.mat`` keeps the clip and is counted; a
damaged file skips its clip, named in the build record (or counted per sample when only
decoding can tell); nothing usable left is a clear error naming the file; a missing tree
says where SURREAL comes from. No case may print a traceback.
"""
from __future__ import annotations

import json

import numpy as np
import scipy.io


from .harness import BuiltOutput, Case, Env, Fails, Run, Succeeds, built

CONFIG = "surreal-alpha"
CLIPS = (("train", "01_01", 1, 3), ("train", "01_01", 2, 3))
GOOD = "cmu/train/run0/01_01/01_01_c0001"
BAD = "cmu/train/run0/01_01/01_01_c0002"
LICENCE_URL = r"https://www\.di\.ens\.fr/willow/research/surreal/data/"


def _tree(env: Env):
    from surreal_tree import make_surreal_tree

    return make_surreal_tree(env.tmp / "surreal", clips=CLIPS)


def _build(damage, *extra: str, data_dir=None):
    """Write the tree, ``damage(tree)``, build surreal-alpha from it into ``tmp/out``.
    ``data_dir(tree)`` replaces the tree root as --data-dir (None: leave the option out)."""
    def run(env: Env) -> Run:
        tree = _tree(env)
        damage(tree)
        folder = tree.root if data_dir is None else data_dir(tree)
        args = ["build", CONFIG, "--out", env.tmp / "out", "--bg-root", tree.bg_root,
                "--no-progress", *extra]
        if folder is not ...:
            args += ["--data-dir", folder]
        return env.cli(*args)
    return run


# What the build left --------------------------------------------------------------------

def _out(env: Env) -> BuiltOutput:
    return built(env, CONFIG)


def _png(data: bytes) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def _clean(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err


# Damage ---------------------------------------------------------------------------------

def _cut(kind: str, keep: float):
    def damage(tree) -> None:
        path = tree.clips[BAD].path(kind)
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * keep)])
    return damage


def _flip(kind: str, at: float | int):
    """Flip one byte of a compressed mat: at a fraction of the file, or at a negative offset."""
    def damage(tree) -> None:
        path = tree.clips[BAD].path(kind)
        data = bytearray(path.read_bytes())
        position = at if isinstance(at, int) else int(len(data) * at)
        assert position < 0 or position > 200, "the header is not what this case damages"
        data[position] ^= 0xFF
        path.write_bytes(bytes(data))
    return damage


def _rewrite(video_frames: int):
    """Clip 2 again with an mp4 of ``video_frames`` frames and 3 label frames."""
    def damage(tree) -> None:
        from surreal_tree import write_clip

        write_clip(tree.cmu, "train", "01_01", 2, 3, seed=1, video_frames=video_frames)
    return damage


def _faststart_cut(tree) -> None:
    """Clip 2's mp4 with its index first, then cut in its frame data: it opens, says 3
    frames, and decoding fails part-way."""
    from surreal_tree import clip_arrays, write_mp4

    path = tree.clips[BAD].path("video")
    write_mp4(path, clip_arrays(3, 1)[0], faststart=True)
    data = path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")
    path.write_bytes(data[:int(len(data) * 0.6)])


def _narrow_segm(tree) -> None:
    from surreal_tree import clip_arrays

    labels = clip_arrays(3, 1)[1]
    scipy.io.savemat(tree.clips[BAD].path("segm"),
                     {f"segm_{t + 1}": labels[t][:, :200] for t in range(3)}, do_compression=True)


def _every_segm_cut(tree) -> None:
    for clip in tree.clips.values():
        path = clip.path("segm")
        path.write_bytes(path.read_bytes()[:300])


def _info_values(**changes):
    """Clip 2's ``_info.mat`` again (as SURREAL writes it, compressed) with ``changes``
    replacing some of its values."""
    def damage(tree) -> None:
        from surreal_tree import info_dict

        values = dict(info_dict(3, 1, "01_01", 2), **changes)
        scipy.io.savemat(tree.clips[BAD].path("info"), values, do_compression=True)
    return damage


def _complex_depth(tree) -> None:
    """Clip 2's ``_depth.mat`` with complex depths (the real part is the true depth)."""
    from surreal_tree import clip_arrays

    depths = clip_arrays(3, 1)[2]
    scipy.io.savemat(tree.clips[BAD].path("depth"),
                     {f"depth_{t + 1}": depths[t] + 1j for t in range(3)}, do_compression=True)


def _cell(*items) -> np.ndarray:
    cell = np.empty((1, len(items)), dtype=object)
    cell[0, :] = items
    return cell


def _junk_backgrounds(tree) -> None:
    (tree.bg_root / "readme.txt").write_text("backgrounds from somewhere\n")
    (tree.bg_root / "notes.jpg").write_text("not an image")
    (tree.bg_root / "sub" / "empty.png").write_bytes(b"")


def _truncated_background(tree) -> None:
    path = tree.bg_root / "landscape.jpg"
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def _no_tree(tree) -> None:
    pass


def _empty_cmu(tree) -> None:
    import shutil

    shutil.rmtree(tree.cmu)
    tree.cmu.mkdir()


# Checks ---------------------------------------------------------------------------------

def _mismatch(video_frames: int):
    def check(env: Env, run: Run) -> None:
        from surreal_tree import mat_frames

        _clean(run)
        record = _out(env).record()
        assert record["sources"]["frame_count_mismatches"] == [
            {"clip": BAD, "video_frames": video_frames, "label_frames": 3}]
        used = min(video_frames, 3)
        rows = [r for r in _out(env).rows() if r["meta"]["clip"] == BAD]
        assert [r["meta"]["frame"] for r in rows] == list(range(used))
        labels = mat_frames(env.tmp / "surreal" / f"{BAD}_segm.mat", "segm")
        for row in rows:  # the frames line up: segm_<t+1> with video frame t
            assert np.array_equal(_png(row["segmentation"]["bytes"]), labels[row["meta"]["frame"]])
        assert len(_out(env).rows()) == 3 + used
    return check


def _missing(kind: str, damaged: str | None = None, in_record: bool = True):
    """The clip is kept without its optional file: depth 0 / info null, one counted event
    per sample (``missing_input``; ``bad_input`` naming the damage when the file is there
    but ``damaged``), and a damaged file the scan finds (``in_record``) is named in the
    build record."""
    def check(env: Env, run: Run) -> None:
        _clean(run)
        record = _out(env).record()["sources"]
        assert record[f"clips_without_{kind}"] == ([BAD] if in_record else [])
        assert record["clips"] == 2
        if damaged is None or not in_record:
            assert record["skipped_inputs"] == []
        else:
            [skip] = record["skipped_inputs"]
            assert skip["path"] == f"{BAD}_{kind}.mat" and damaged in skip["reason"]
            assert "clip kept" in skip["reason"]
        rows = _out(env).rows()
        assert len(rows) == 6
        for row in rows:
            meta, bad = row["meta"], row["meta"]["clip"] == BAD
            depth = _png(row["depth"]["bytes"])
            assert depth.dtype == np.uint16
            if kind == "depth":
                assert meta["depth_available"] is not bad and meta["info_available"] is True
                assert bool(depth.any()) != bad  # all 0 without _depth.mat
            else:
                assert meta["info_available"] is not bad and meta["depth_available"] is True
                values = [meta[k] for k in ("gender", "camLoc", "camDist", "zrot", "pose",
                                            "shape", "joints2D", "joints3D")]
                assert all(v is None for v in values) if bad else all(v is not None for v in values)
        event_kind = "missing_input" if damaged is None else "bad_input"
        events = [e for e in _out(env).events() if e["kind"] == event_kind]
        assert len(events) == 3 and all(e["path"] == f"{BAD}_{kind}.mat" for e in events)
        assert damaged is None or all(damaged in e["reason"] for e in events)
        assert _out(env).summary()["event_counts"].get(event_kind) == 3
        assert _out(env).summary()["skipped_samples"] == 0
    return check


def _clip_skipped(suffix: str, reason: str, at_scan: bool = True):
    """The damaged clip is left out, named: in the build record's skipped_inputs (found by
    the scan), or, when only decoding can tell (``at_scan=False``), as one bad_input event
    and one skipped id per sample of the clip. Either way the other clip is built."""
    def check(env: Env, run: Run) -> None:
        _clean(run)
        skipped = _out(env).record()["sources"]["skipped_inputs"]
        bad = [e for e in _out(env).events() if e["kind"] == "bad_input"]
        if skipped or at_scan:
            assert [s["path"] for s in skipped] == [BAD], skipped
            assert f"{BAD}{suffix}" in skipped[0]["reason"] and reason in skipped[0]["reason"]
            assert _out(env).record()["sources"]["clips"] == 1 and not bad
        else:
            assert len(bad) == 3 and all(e["path"] == f"{BAD}{suffix}" for e in bad), bad
            assert _out(env).summary()["skipped_samples"] == 3
        assert str(env.tmp) not in json.dumps(skipped + bad)  # public names only
        rows = _out(env).rows()
        assert len(rows) == 3 and {r["meta"]["clip"] for r in rows} == {GOOD}
    return check


def _info_nulled(*keys: str, reason: str):
    """The clip is built; in its samples the ``_info.mat`` values ``keys`` are null (never
    numbers read from another shape or type), each with one counted bad_input event per
    sample naming the file, the key and ``reason``; the other values and clip are intact."""
    def check(env: Env, run: Run) -> None:
        from surreal_tree import info_dict

        _clean(run)
        rows = _out(env).rows()
        assert len(rows) == 6 and _out(env).summary()["skipped_samples"] == 0
        good = info_dict(3, 1, "01_01", 2)
        for row in rows:
            meta, bad = row["meta"], row["meta"]["clip"] == BAD
            assert meta["info_available"] is True
            for key in ("gender", "camLoc", "camDist", "zrot", "pose", "shape", "joints2D",
                        "joints3D"):
                assert (meta[key] is None) == (bad and key in keys), (key, meta[key])
            if bad and "shape" not in keys:
                assert meta["shape"] == good["shape"][:, meta["frame"]].astype(float).tolist()
        events = [e for e in _out(env).events() if e["kind"] == "bad_input"]
        assert len(events) == 3 * len(keys), events
        for key in keys:
            mine = [e for e in events if e["reason"].startswith(f"{key} ")]
            assert len(mine) == 3 and all(e["path"] == f"{BAD}_info.mat" for e in mine), events
            assert all(reason in e["reason"] and "null" in e["reason"] for e in mine), mine
        assert _out(env).summary()["event_counts"]["bad_input"] == 3 * len(keys)
    return check


def _no_numpy_warnings(run):
    """``run`` with numpy's ComplexWarning (a complex value cast to real, its imaginary
    part dropped) raised as an error: the value must be refused before any cast."""
    def wrapped(env: Env) -> Run:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            return run(env)
    return wrapped


def _backgrounds_listed(env: Env, run: Run) -> None:
    _clean(run)
    skipped = {s["path"]: s["reason"] for s in _out(env).record()["sources"]["skipped_inputs"]}
    assert set(skipped) == {"readme.txt", "notes.jpg", "sub/empty.png"}, skipped
    assert "not a readable image" in skipped["notes.jpg"]
    assert "not a readable image" in skipped["sub/empty.png"]
    assert _out(env).record()["sources"]["backgrounds"] == 4
    used = {r["meta"]["background"] for r in _out(env).rows()}
    assert used and used <= {"exact.jpg", "landscape.jpg", "portrait.png", "sub/wide.jpg"}
    assert len(_out(env).rows()) == 6 * 4


def _background_counted(env: Env, run: Run) -> None:
    """A background whose header reads but whose data is cut: each draw of it is a counted
    bad_input naming it and the sample draws another background (meta.attempt > 0); no
    stored sample uses it."""
    _clean(run)
    bad = [e for e in _out(env).events() if e["kind"] == "bad_input"]
    assert bad and all(e["path"] == "landscape.jpg" and "truncated" in e["reason"] for e in bad)
    summary = _out(env).summary()
    assert summary["event_counts"]["bad_input"] == len(bad) and summary["skipped_samples"] == 0
    rows = _out(env).rows()
    assert len(rows) == 12
    assert "landscape.jpg" not in {r["meta"]["background"] for r in rows}
    assert sum(r["meta"]["attempt"] > 0 for r in rows) == len(bad)


def _nothing_written(env: Env, run: Run) -> None:
    assert not (env.tmp / "out").exists() or not list((env.tmp / "out").rglob("*.parquet"))


CASES: list[Case] = [
    Case("surreal-mp4-longer-than-segm", "surreal: frame count mismatch (frames both have)",
         _build(_rewrite(5)), Succeeds(), _mismatch(5)),
    Case("surreal-mp4-shorter-than-segm", "surreal: frame count mismatch (frames both have)",
         _build(_rewrite(2)), Succeeds(), _mismatch(2)),
    Case("surreal-depth-mat-missing", "surreal: missing _depth.mat (depth 0, counted)",
         _build(lambda t: t.clips[BAD].path("depth").unlink()), Succeeds(), _missing("depth")),
    Case("surreal-info-mat-missing", "surreal: missing _info.mat (info null, counted)",
         _build(lambda t: t.clips[BAD].path("info").unlink()), Succeeds(), _missing("info")),
    Case("surreal-segm-mat-truncated", "surreal: corrupt .mat (truncated) skips the clip",
         _build(_cut("segm", 0.5)), Succeeds(), _clip_skipped("_segm.mat", "truncated")),
    Case("surreal-depth-mat-truncated", "surreal: corrupt optional .mat (truncated): kept, counted",
         _build(_cut("depth", 0.7)), Succeeds(), _missing("depth", damaged="truncated")),
    Case("surreal-info-mat-truncated", "surreal: corrupt optional .mat (truncated): kept, counted",
         _build(_cut("info", 0.5)), Succeeds(), _missing("info", damaged="truncated")),
    Case("surreal-segm-mat-flipped-bytes", "surreal: corrupt .mat (flipped compressed bytes)",
         _build(_flip("segm", 0.6)), Succeeds(), _clip_skipped("_segm.mat", "cannot be read")),
    Case("surreal-depth-mat-flipped-bytes", "surreal: corrupt optional .mat (flipped bytes): kept",
         _build(_flip("depth", 0.5)), Succeeds(), _missing("depth", damaged="cannot be read")),
    Case("surreal-depth-mat-flipped-near-end", "surreal: corrupt optional .mat found decoding: kept",
         _build(_flip("depth", -7)), Succeeds(),
         _missing("depth", damaged="cannot be read", in_record=False)),
    Case("surreal-segm-mat-flipped-near-end", "surreal: corrupt .mat (flipped compressed bytes)",
         _build(_flip("segm", -7)), Succeeds(),
         _clip_skipped("_segm.mat", "cannot be read", at_scan=False)),
    Case("surreal-every-clip-corrupt", "surreal: corrupt .mat, no clip left: clear error",
         _build(_every_segm_cut), Fails(
             r"holds no usable SURREAL clip; 2 skipped:\n  - cmu/train/run0/01_01/01_01_c0001: "
             r".*01_01_c0001_segm\.mat: is truncated.*\n  - cmu/train/run0/01_01/01_01_c0002: "),
         _nothing_written),
    Case("surreal-segm-wrong-shape", "surreal: segm of the wrong shape skips the clip",
         _build(_narrow_segm), Succeeds(),
         _clip_skipped("_segm.mat", "segm_1 has shape (240, 200) but the video's frames are (240, 320)")),
    Case("surreal-mp4-truncated", "surreal: truncated mp4 skips the clip",
         _build(_cut("video", 0.8)), Succeeds(), _clip_skipped(".mp4", "cannot be opened as a video")),
    Case("surreal-mp4-truncated-after-index", "surreal: truncated mp4 (index intact): counted skip",
         _build(_faststart_cut), Succeeds(), _clip_skipped(".mp4", "", at_scan=False)),
    Case("surreal-info-values-other-shape", "surreal: _info.mat pose T x 72, joints2D 24 x 2 x T "
         "are null with an event, not reshaped into wrong numbers",
         _build(_info_values(pose=np.zeros((3, 72), np.float32),
                             joints2D=np.zeros((24, 2, 3)))),
         Succeeds(), _info_nulled("pose", "joints2D", reason="has shape")),
    Case("surreal-info-scalars-not-finite", "surreal: _info.mat scalars NaN / inf: null, counted",
         _build(_info_values(camDist=np.array([[np.nan]]), zrot=np.full((3, 1), np.inf))),
         Succeeds(), _info_nulled("camDist", "zrot", reason="NaN or infinite")),
    Case("surreal-info-gender-beyond-int32", "surreal: _info.mat gender too large for int32 or "
         "not whole: null, counted",
         _build(_info_values(gender=np.array([[2.0 ** 40, 0.5, -2.0 ** 35]]))),
         Succeeds(), _info_nulled("gender", reason="not a whole number that fits int32")),
    Case("surreal-info-text-struct-cell", "surreal: _info.mat text, struct and cell-array values: "
         "null, counted",
         _build(_info_values(gender="male", camDist={"value": 5.0},
                             zrot=_cell(np.array([[0.1]]), np.array([[0.2]]), np.array([[0.3]])))),
         Succeeds(), _info_nulled("gender", "camDist", "zrot", reason="not real numbers")),
    Case("surreal-info-complex-values", "surreal: complex _info.mat values: null, counted, no "
         "imaginary part dropped",
         _no_numpy_warnings(_build(_info_values(pose=np.full((72, 3), 1 + 2j),
                                                camDist=np.array([[5 + 1j]])))),
         Succeeds(), _info_nulled("pose", "camDist", reason="complex numbers")),
    Case("surreal-depth-complex-values", "surreal: complex _depth.mat values: clip kept without "
         "depth, counted, no imaginary part dropped",
         _no_numpy_warnings(_build(_complex_depth)), Succeeds(),
         _missing("depth", damaged="2-D array of real numbers", in_record=False)),
    Case("surreal-bg-root-non-images", "surreal: non-image and unreadable files in --bg-root listed",
         _build(_junk_backgrounds, "--num-bgs", "4"), Succeeds(), _backgrounds_listed),
    Case("surreal-bg-truncated-data", "surreal: unreadable background data: counted skip",
         _build(_truncated_background, "--num-bgs", "2"), Succeeds(), _background_counted),
    Case("surreal-fewer-backgrounds-than-num-bgs", "surreal: fewer backgrounds than --num-bgs",
         _build(_junk_backgrounds, "--num-bgs", "5"),
         Fails(r"bg: has 4 usable background images, fewer than --num-bgs 5 .*lower --num-bgs"
               r"(.|\n)*3 skipped:(.|\n)*notes\.jpg"), _nothing_written),
    Case("surreal-data-dir-missing", "surreal: missing --data-dir folder says where SURREAL comes from",
         _build(_no_tree, data_dir=lambda t: t.root / "SURREAL"),
         Fails(r"SURREAL: does not exist or is not a folder.*" + LICENCE_URL), _nothing_written),
    Case("surreal-data-dir-empty", "surreal: empty --data-dir says where SURREAL comes from",
         _build(lambda t: (t.root / "empty").mkdir(), data_dir=lambda t: t.root / "empty"),
         Fails(r"empty: holds no usable SURREAL clip.*" + LICENCE_URL), _nothing_written),
    Case("surreal-data-dir-empty-cmu", "surreal: empty --data-dir (an empty cmu/) says where "
         "SURREAL comes from", _build(_empty_cmu, data_dir=lambda t: t.cmu),
         Fails(r"cmu.*" + LICENCE_URL), _nothing_written),
    Case("surreal-data-dir-not-given", "surreal: --data-dir not given",
         _build(_no_tree, data_dir=lambda t: ...),
         Fails(r"surreal-alpha needs data_dir=: .*" + LICENCE_URL), _nothing_written),
    Case("surreal-split-missing", "surreal: --split names a split the tree lacks",
         _build(_no_tree, "--split", "val"), Fails(r"cmu/val: is missing; .* holds \['train'\]"),
         _nothing_written),
    Case("surreal-bg-size-below-frame", "surreal: --bg-size smaller than the 640 px frame",
         _build(_no_tree, "--layout", "dim", "--bg-size", "600"),
         Fails(r"bg_size=600: give a whole number from 640 to 4096 \[--bg-size\]"), _nothing_written),
]

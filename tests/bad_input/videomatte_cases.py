"""Bad-input rows: damaged VideoMatte240K releases (``videomatte240k``, ``videomatte240k-comp``).

Each case writes a small JPEG release (tests/videomatte_tree.py, written without mattehub:
``VideoMatte240K_JPEG_SD/train`` videos ``0000`` (11 frames), ``0001`` (7), ``0002`` (3), 48x32,
alphas as grey JPEGs), damages it and runs ``mattehub build videomatte240k --clip-length 4``.
A frame without its alpha, an alpha without its frame, a stray file or an mp4 whose pair does
not match is a counted skip in the build record naming it; a truncated frame, an alpha of
another size or a frame of another size skips its clip, counted with a ``bad_input`` event
naming the file; no release, a missing split, a clip length no video reaches and the
composited config without backgrounds are clear errors. No case may print a traceback.

``videomatte240k-rvm-eval`` rows use RVM-style evaluation sets (tests/rvm_eval_tree.py:
``videomatte_motion`` clips of 5 and 3 frames, ``videomatte_static`` one of 4, 40x24 PNGs): a
frame missing in ``com/`` or ``pha/`` skips its clip whole, naming the file; a truncated frame
or an alpha of another size skips its clip with a ``bad_input`` event; a colour alpha is kept
as its grey with a ``normalised_input`` event; an unknown split and a folder of no clips are
clear errors.
"""
from __future__ import annotations

import re

from .harness import (BuiltOutput, Case, Env, Fails, Run, Succeeds, built, clean_run,
                      no_shards_written, one_sample_skipped, skipped_inputs_are)

CONFIG = "videomatte240k"
TRAIN = "VideoMatte240K_JPEG_SD/train"


def _release(env: Env):
    from videomatte_tree import make_jpeg_release

    return make_jpeg_release(env.tmp / "vm")


def _build(damage, *extra: str, config: str = CONFIG, split: str = "train", length: int = 4):
    def run(env: Env) -> Run:
        release = _release(env)
        damage(release)
        return env.cli("build", config, "--out", env.tmp / "out", "--split", split, "--no-progress",
                       "--data-dir", release.root, "--clip-length", str(length), *extra)
    return run


def _out(env: Env, config: str = CONFIG) -> BuiltOutput:
    return built(env, config)




# Damage ---------------------------------------------------------------------------------

def _none(release) -> None:
    pass


def _file(release, rel: str):
    return release.root / TRAIN / rel


def _remove(rel: str):
    def damage(release) -> None:
        _file(release, rel).unlink()
    return damage


def _truncate(rel: str):
    def damage(release) -> None:
        data = _file(release, rel).read_bytes()
        _file(release, rel).write_bytes(data[:len(data) // 2])
    return damage


def _resize(rel: str, size: tuple[int, int]):
    """``rel`` re-encoded at ``size`` (an alpha or a frame of another size)."""
    def damage(release) -> None:
        import cv2

        path = _file(release, rel)
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(path), cv2.resize(image, size))
    return damage


def _junk(release) -> None:
    _file(release, "fgr/0000/Thumbs.db").write_bytes(b"\0" * 32)
    _file(release, "pha/notes.txt").write_text("keyed in After Effects\n")


def _no_split(release) -> None:
    import shutil

    shutil.rmtree(release.root / "VideoMatte240K_JPEG_SD" / "test")


def _mp4_pair_uneven(release) -> None:
    """An mp4 video beside the frame folders whose alpha video has one frame less."""
    from videomatte_tree import _mp4, person

    pairs = [person(t, 0) for t in range(6)]
    _mp4(_file(release, "fgr/0009.mp4"), [p[0] for p in pairs], gray=False)
    _mp4(_file(release, "pha/0009.mp4"), [p[1] for p in pairs[:5]], gray=True)


RVM = "videomatte240k-rvm-eval"
RVM_KEYS = ["videomatte_motion_0000", "videomatte_motion_0001", "videomatte_static_0000"]


def _rvm_build(damage, split: str = "combined"):
    def run(env: Env) -> Run:
        from rvm_eval_tree import make_eval_sets

        sets = make_eval_sets(env.tmp / "rvm")
        damage(sets.root)
        return env.cli("build", RVM, "--out", env.tmp / "out", "--split", split, "--no-progress",
                       "--data-dir", sets.root)
    return run


def _rvm_change(rel: str, change):
    """``rel`` (below the folder of the dataset folders) rewritten by ``change(path)``."""
    def damage(root) -> None:
        change(root / rel)
    return damage


def _cut_half(path) -> None:
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def _colour(path) -> None:
    from PIL import Image

    Image.open(path).convert("RGB").save(path)


def _smaller(path) -> None:
    from PIL import Image

    Image.open(path).resize((30, 24)).save(path)


def _no_clips(root) -> None:
    import shutil

    for dataset in list(root.iterdir()):
        shutil.rmtree(dataset)
    (root / "videomatte_motion").mkdir()
    (root / "videomatte_motion" / "readme.txt").write_text("generation failed\n")


def _rvm_rows(env: Env) -> list[str]:
    return [r["__key__"] for r in built(env, RVM, "combined").rows()]


def _rvm_clip_skipped(path: str, pattern: str):
    """The clip of ``path`` is left out whole, each file named in ``skipped_inputs``."""
    def check(env: Env, run: Run) -> None:
        sources = built(env, RVM, "combined").record()["sources"]
        clean_run(env, run, sources)
        skipped = {s["path"]: s["reason"] for s in sources["skipped_inputs"]}
        assert re.search(pattern, skipped[path]), skipped
        assert "skipped whole" in skipped["/".join(path.split("/")[:2]) + "/"]
        assert _rvm_rows(env) == RVM_KEYS[1:]
    return check


def _rvm_bad_input(path: str, pattern: str, kind: str = "bad_input"):
    """One event of ``kind`` naming ``path``; a bad input skips its clip, a normalised one
    keeps every clip."""
    def check(env: Env, run: Run) -> None:
        events = built(env, RVM, "combined").events()
        clean_run(env, run, events)
        found = [e for e in events if e["kind"] == kind]
        assert len(found) == 1 and found[0]["path"] == path and re.search(pattern, found[0]["reason"]), found
        assert _rvm_rows(env) == (RVM_KEYS if kind != "bad_input" else RVM_KEYS[:1] + RVM_KEYS[2:])
    return check


# Checks ---------------------------------------------------------------------------------

def _skipped_at_scan(want: dict[str, str], clips: list[tuple[str, int]]):
    """The build record names exactly the files in ``want`` (path -> reason pattern) as
    skipped inputs; the clips made are ``clips`` ((video, start), in order)."""
    def check(env: Env, run: Run) -> None:
        skipped_inputs_are(env, run, CONFIG, want)
        assert [(r["meta"]["video"], r["meta"]["start"]) for r in _out(env).rows()] == clips
    return check


def _skipped_clip(path: str, pattern: str, clips: list[tuple[str, int]]):
    """One clip is a counted skip with a bad_input event naming ``path``; ``clips`` are made."""
    def check(env: Env, run: Run) -> None:
        one_sample_skipped(env, run, CONFIG, path, pattern)
        assert [(r["meta"]["video"], r["meta"]["start"]) for r in _out(env).rows()] == clips
        for row in _out(env).rows():
            assert all(len(frame) == 1 for frame in row["instance_alphas"])
    return check


def _comp_without_backgrounds(env: Env) -> Run:
    release = _release(env)
    return env.cli("build", "videomatte240k-comp", "--out", env.tmp / "out", "--no-progress",
                   "--data-dir", release.root)


def _comp_empty_backgrounds(env: Env) -> Run:
    release = _release(env)
    (env.tmp / "bgs").mkdir()
    (env.tmp / "bgs" / "readme.txt").write_text("no images yet\n")
    return env.cli("build", "videomatte240k-comp", "--out", env.tmp / "out", "--no-progress",
                   "--data-dir", release.root, "--clip-length", "4", "--bg-root", env.tmp / "bgs")


ALL = [("0000", 0), ("0000", 4), ("0001", 0)]

CASES: list[Case] = [
    Case("videomatte-alpha-missing", "videomatte240k: a frame without its alpha is a counted skip "
         "naming it, and no clip spans the gap", _build(_remove("pha/0000/00005.jpg")), Succeeds(),
         _skipped_at_scan({"train/fgr/0000/00005.jpg": r"alpha of the same stem is missing"},
                          [("0000", 0), ("0000", 6), ("0001", 0)])),
    Case("videomatte-frame-missing", "videomatte240k: an alpha without its frame is a counted skip",
         _build(_remove("fgr/0001/00002.jpg")), Succeeds(),
         _skipped_at_scan({"train/pha/0001/00002.jpg": r"frame of the same stem is missing"},
                          [("0000", 0), ("0000", 4), ("0001", 3)])),
    Case("videomatte-junk-files", "videomatte240k: files that are not frames or videos are "
         "counted skips naming them", _build(_junk), Succeeds(),
         _skipped_at_scan({"train/fgr/0000/Thumbs.db": r"is not a frame",
                           "train/pha/notes.txt": r"is not a frame"}, ALL)),
    Case("videomatte-mp4-pair-uneven", "videomatte240k: an mp4 whose alpha video has fewer frames "
         "is a counted skip naming the alpha video", _build(_mp4_pair_uneven), Succeeds(),
         _skipped_at_scan({"train/pha/0009.mp4": r"has 5 frames of 48x32 but its fgr video has 6"}, ALL)),
    Case("videomatte-frame-truncated", "videomatte240k: a truncated fgr JPEG skips its clip, "
         "counted with a bad_input event naming it", _build(_truncate("fgr/0000/00006.jpg")),
         Succeeds(), _skipped_clip("train/fgr/0000/00006.jpg", r"truncated JPEG",
                                   [("0000", 0), ("0001", 0)])),
    Case("videomatte-alpha-other-size", "videomatte240k: an alpha of another size than its frame "
         "skips its clip, naming it", _build(_resize("pha/0001/00001.jpg", (40, 32))), Succeeds(),
         _skipped_clip("train/pha/0001/00001.jpg", r"is 40x32 but its image is 48x32",
                       [("0000", 0), ("0000", 4)])),
    Case("videomatte-frame-other-size", "videomatte240k: a frame of another size than its clip's "
         "first skips the clip, naming it", _build(_resize("fgr/0000/00002.jpg", (40, 32))),
         Succeeds(), _skipped_clip("train/fgr/0000/00002.jpg", r"is 40x32 but the clip's first frame",
                                   [("0000", 4), ("0001", 0)])),
    Case("videomatte-split-missing", "videomatte240k: --split test when the release has only train",
         _build(_no_split, split="test"), Fails(r"has no test/fgr/ and test/pha/ folders"),
         no_shards_written),
    Case("videomatte-clip-too-long", "videomatte240k: a clip length no video reaches: a clear error",
         _build(_none, length=50), Fails(r"holds no clip of 50 frames in train/.*lower --clip-length"),
         no_shards_written),
    Case("videomatte-no-data-dir", "videomatte240k: no --data-dir: a clear error saying where "
         "VideoMatte240K comes from", lambda env: env.cli("build", CONFIG, "--out", env.tmp / "out"),
         Fails(r"videomatte240k needs data_dir=: VideoMatte240K comes from .*background-matting-v2"),
         no_shards_written),
    Case("videomatte-with-trimap", "videomatte240k --with trimap: clips have no single alpha to "
         "compute it from, a clear error (evaluate computes its trimaps per frame itself)",
         _build(_none, "--with", "trimap"),
         Fails(r"--with trimap needs a config with an alpha field; videomatte240k has frames, "
               r"instance_alphas, meta"), no_shards_written),
    Case("videomatte-comp-no-backgrounds", "videomatte240k-comp without --bg-root or "
         "--bg-video-root: a clear error", _comp_without_backgrounds,
         Fails(r"needs backgrounds.*\[--bg-root, --bg-video-root\]"), no_shards_written),
    Case("videomatte-comp-backgrounds-unusable", "videomatte240k-comp: a background folder with no "
         "image: a clear error naming it", _comp_empty_backgrounds,
         Fails(r"holds no usable background"), no_shards_written),
    Case("rvm-eval-alpha-missing", "videomatte240k-rvm-eval: a com frame without its pha frame "
         "skips its clip whole (RVM scores whole clips), naming the file",
         _rvm_build(_rvm_change("videomatte_motion/0000/pha/0002.png", lambda p: p.unlink())),
         Succeeds(), _rvm_clip_skipped("videomatte_motion/0000/com/0002.png", r"has no pha/ frame")),
    Case("rvm-eval-frame-truncated", "videomatte240k-rvm-eval: a truncated com PNG skips its clip, "
         "counted with a bad_input event naming it",
         _rvm_build(_rvm_change("videomatte_motion/0001/com/0001.png", _cut_half)), Succeeds(),
         _rvm_bad_input("videomatte_motion/0001/com/0001.png", r"truncated|cannot be decoded")),
    Case("rvm-eval-alpha-other-size", "videomatte240k-rvm-eval: a pha frame of another size than "
         "its com frame skips the clip, naming it",
         _rvm_build(_rvm_change("videomatte_motion/0001/pha/0002.png", _smaller)), Succeeds(),
         _rvm_bad_input("videomatte_motion/0001/pha/0002.png", r"is 30x24 but its image is 40x24")),
    Case("rvm-eval-alpha-colour", "videomatte240k-rvm-eval: a pha frame saved as RGB is stored as "
         "its grey with a normalised_input event naming it",
         _rvm_build(_rvm_change("videomatte_static/0000/pha/0003.png", _colour)), Succeeds(),
         _rvm_bad_input("videomatte_static/0000/pha/0003.png", r"used one channel", "normalised_input")),
    Case("rvm-eval-split-unknown", "videomatte240k-rvm-eval: a split that is no dataset folder: a "
         "clear error listing the dataset folders", _rvm_build(_none, split="videomatte_hd"),
         Fails(r"has no dataset folder 'videomatte_hd' \(it has videomatte_motion, videomatte_static\)"),
         no_shards_written),
    Case("rvm-eval-no-clips", "videomatte240k-rvm-eval: a folder without generated clips: a clear "
         "error saying what RVM's scripts write", _rvm_build(_no_clips),
         Fails(r"holds no <clip>/com/ and <clip>/pha/ frame folders.*generate_"), no_shards_written),
]

"""Bad-input rows: damaged VideoMatte240K releases (``videomatte240k``, ``videomatte240k-comp``).

Each case writes a small JPEG release (tests/videomatte_tree.py, written without mattehub:
``VideoMatte240K_JPEG_SD/train`` videos ``0000`` (11 frames), ``0001`` (7), ``0002`` (3), 48x32,
alphas as grey JPEGs), damages it and runs ``mattehub build videomatte240k --clip-length 4``.
A frame without its alpha, an alpha without its frame, a stray file or an mp4 whose pair does
not match is a counted skip in the build record naming it; a truncated frame, an alpha of
another size or a frame of another size skips its clip, counted with a ``bad_input`` event
naming the file; no release, a missing split, a clip length no video reaches and the
composited config without backgrounds are clear errors. No case may print a traceback.
"""
from __future__ import annotations


from .harness import (BuiltOutput, Case, Env, Fails, Run, Succeeds, built, no_shards_written, one_sample_skipped, skipped_inputs_are)

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
]

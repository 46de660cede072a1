"""Bad-input rows: damaged source and release files (issue 7, items 4-6 and 10, source errors).

Every file is read through the one gate (``mattehub.inputs.gate``): a damaged file is a
counted skip naming it; a matte in another encoding is normalised to 8-bit grey and the
stats say so; nothing reaches a shard that fails later at training time.
"""
from __future__ import annotations

import shutil
import subprocess

import cv2
import datasets
import numpy as np

from mattehub.families.video_him.standin import make_video_sources
from mattehub.families.image_him.options import ImageHimOptions
from mattehub.families.image_him.recipe import ImageHimRecipe

from .harness import Case, Env, Fails, Run, Succeeds, built

SIZE = (64, 48)  # width, height of the tiny release images


def _png(array: np.ndarray) -> bytes:
    return cv2.imencode(".png", array)[1].tobytes()


def _matte(index: int, k: int) -> np.ndarray:
    matte = np.zeros(SIZE[::-1], np.uint8)
    matte[8 + 4 * k:40, 6 + 20 * k:24 + 20 * k] = 200 + k
    return matte


def _tiny_him2k(env: Env, count: int = 10) -> tuple:
    """An extracted HIM2K-layout release of ``count`` comp images with 2 mattes each
    (written with OpenCV, as the release's files are), and a function that zips it."""
    top = env.tmp / "release" / "HIM2K"
    rng = np.random.default_rng(0)
    for index in range(count):
        name = f"img_{index:02d}"
        image = rng.integers(0, 255, (*SIZE[::-1], 3), dtype=np.uint8)
        (top / "images" / "comp").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(top / "images" / "comp" / f"{name}.jpg"), image)
        for k in range(2):
            (top / "alphas" / "comp" / name).mkdir(parents=True, exist_ok=True)
            (top / "alphas" / "comp" / name / f"{k:02d}.png").write_bytes(_png(_matte(index, k)))

    def zipped():
        subprocess.run(["zip", "-q", "-r", "-X", "HIM2K_M-HIM2K.zip", "HIM2K"], cwd=top.parent,
                       check=True)
        shutil.rmtree(top)
        return top.parent
    return top, zipped


def _member(top, index: int, k: int | None = None):
    name = f"img_{index:02d}"
    if k is None:
        return top / "images" / "comp" / f"{name}.jpg"
    return top / "alphas" / "comp" / name / f"{k:02d}.png"


def _build_him2k(env: Env, damage, zipped: bool = True) -> Run:
    top, zip_it = _tiny_him2k(env)
    damage(top)
    data_dir = zip_it() if zipped else top.parent
    return env.cli("build", "him2k", "--data-dir", data_dir, "--split", "comp", "--out",
                   env.tmp / "out", "--max-samples-per-shard", "4", "--no-progress")


def _release_case(damage, zipped: bool = True):
    return lambda env: _build_him2k(env, damage, zipped)


def _truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def _flip_png_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(b"IDAT") + 10] ^= 0xFF
    path.write_bytes(bytes(data))


def _events(env: Env, config: str = "him2k", split: str = "comp") -> list[dict]:
    return built(env, config, split).events()


def _rows(env: Env, config: str = "him2k", split: str = "comp") -> list[dict]:
    """Every row of the built split, decoded by ``datasets`` (fails on a damaged file)."""
    return list(datasets.load_dataset(str(env.tmp / "out"), config, split=split, streaming=True))


def _skipped(member: str, reason: str, kept: int = 9):
    def check(env: Env, run: Run) -> None:
        bad = [e for e in _events(env) if e["kind"] == "bad_input"]
        assert len(bad) == 1 and bad[0]["path"].endswith(member) and reason in bad[0]["reason"], bad
        assert "1 ids skipped" in run.out
        rows = _rows(env)
        assert len(rows) == kept and all(r["image"].size == SIZE for r in rows)
    return check


def _normalised(note: str, expect_alpha):
    """The sample is kept, its matte stored 8-bit L with the expected values, and the
    stats say what was converted."""
    def check(env: Env, run: Run) -> None:
        notes = [e for e in _events(env) if e["kind"] == "normalised_input"]
        assert [e["reason"] for e in notes] == [note] and notes[0]["path"].endswith("img_03/00.png")
        row = _rows(env)[3]
        matte = row["instance_alphas"][0]
        assert matte.mode == "L" and matte.size == SIZE
        assert np.array_equal(np.asarray(matte), expect_alpha)
        union = np.minimum(255, expect_alpha.astype(int) + _matte(3, 1))
        assert np.array_equal(np.asarray(row["alpha"]), union)
    return check


def _as_16_bit(top) -> None:
    matte = _matte(3, 0).astype(np.uint16) * 257
    _member(top, 3, 0).write_bytes(_png(matte))


def _as_rgba(opaque: bool):
    def damage(top) -> None:
        matte = _matte(3, 0)
        alpha = np.full_like(matte, 255) if opaque else matte
        bgra = np.dstack([matte, matte, matte, alpha])
        _member(top, 3, 0).write_bytes(_png(bgra))
    return damage


def _smaller(top, index: int = 5, k: int = 1) -> None:
    _member(top, index, k).write_bytes(_png(_matte(index, k)[:24, :32]))


def _both_mattes_other_sizes(top) -> None:
    _member(top, 6, 0).write_bytes(_png(_matte(6, 0)[:24, :32]))
    _member(top, 6, 1).write_bytes(_png(np.zeros((40, 60), np.uint8)))


def _v_him_smaller_mid_clip_frame(kind: str):
    """A v-him source clip whose frame 3 (``pha`` or ``fgr``) is smaller than the others."""
    def run(env: Env) -> Run:
        root = make_video_sources(env.tmp / "video", env.sources())
        clip = next(p for p in sorted((root / "VideoMatte" / "train" / "fgr").iterdir()) if p.is_dir())
        victim = sorted((clip if kind == "fgr" else clip.parent.parent / "pha" / clip.name).iterdir())[3]
        image = cv2.imread(str(victim), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(victim), image[: image.shape[0] // 2, : image.shape[1] // 2])
        env.before = {"victim": str(victim.relative_to(root)).encode()}
        return env.cli("build", "v-him", "--data-dir", root, "--out", env.tmp / "out",
                       "--num-samples", "6", "--no-progress")
    return run


def _frame_refused(env: Env, run: Run) -> None:
    victim = env.before["victim"].decode()
    bad = [e for e in _events(env, "v-him", "train") if e["kind"] == "bad_input"]
    assert bad and all(e["path"].endswith(victim) and "but the clip is" in e["reason"] for e in bad)
    for row in _rows(env, "v-him", "train"):
        sizes = {frame.size for frame in row["frames"]}
        assert len(sizes) == 1


def _no_local_paths(env: Env, run: Run) -> None:
    """Cards, stats and build records carry no local absolute path and no user name."""
    for path in (env.tmp / "out").rglob("*"):
        if path.suffix in (".json", ".md"):
            text = path.read_text()
            assert str(env.tmp) not in text and "alice" not in text, path
            assert str(env.tmp.resolve()) not in text, path


def _i_him_under_a_home(env: Env) -> Run:
    """Sources below ``.../home/alice/...`` with a damaged file, so paths land in the stats."""
    src = env.sources()
    home = env.tmp / "home" / "alice" / "data"
    home.mkdir(parents=True)
    shutil.move(str(src.image_root), home / "HHM")
    shutil.move(str(src.bg_root), home / "BG")
    _truncate(home / "HHM" / "images" / "person_003.jpg", 0.3)
    (home / "HHM" / "images" / "person_005.jpg").write_bytes(b"junk")
    return env.cli("build", "i-him", "--out", env.tmp / "out", "--image-root", home / "HHM",
                   "--bg-root", home / "BG", "--invalid-names", src.invalid_names,
                   "--num-samples", "12", "--no-progress")


def _release_under_a_home(env: Env) -> Run:
    top, zip_it = _tiny_him2k(env)
    _truncate(_member(top, 2))
    target = env.tmp / "home" / "alice" / "MaGGIe-HIM"
    shutil.move(str(zip_it()), target)
    return env.cli("build", "him2k", "--data-dir", target, "--split", "comp", "--out",
                   env.tmp / "out", "--no-progress")


def _prepare(**damage):
    """``ImageHimRecipe.prepare`` on the private sources after ``damage``."""
    def run(env: Env) -> Run:
        src = env.sources()
        for name, action in damage.items():
            action(src)
        options = ImageHimOptions(image_root=str(src.image_root), bg_root=str(src.bg_root),
                                  invalid_names=str(src.invalid_names))
        recipe = ImageHimRecipe(options, seed=0)
        run = env.call(recipe.prepare)
        run.value = recipe
        return run
    return run


def _one_foreground_left(src) -> None:
    for path in sorted((src.image_root / "alphas").glob("*.png"))[1:]:
        path.unlink()


def _tiny_backgrounds(src) -> None:
    for path in src.bg_root.iterdir():
        cv2.imwrite(str(path.with_suffix(".png")), np.zeros((16, 20, 3), np.uint8))
        path.unlink()


def _stem_only_entry(src) -> None:
    src.invalid_names.write_text("person_004\nperson_006.jpg\n")


def _stem_listed(env: Env, run: Run) -> None:
    images = {fg.image for fg in run.value.sources.foregrounds}
    assert "images/person_004.jpg" not in images and "images/person_006.jpg" not in images
    assert "images/person_005.jpg" in images


def _upstream_image_root(env: Env) -> Run:
    src = env.sources()
    return env.cli(*env.i_him_args(env.tmp / "out", "--image-root", src.image_root / "images"))


def _built(env: Env, run: Run) -> None:
    assert len(_rows(env, "i-him", "train")) == 6


CASES: list[Case] = [
    Case("release-image-truncated-late", "7.4", _release_case(lambda t: _truncate(_member(t, 9))),
         Succeeds(), _skipped("images/comp/img_09.jpg", "truncated JPEG")),
    Case("release-image-truncated-in-preview", "7.4",
         _release_case(lambda t: _truncate(_member(t, 2))),
         Succeeds(), _skipped("images/comp/img_02.jpg", "truncated JPEG")),
    Case("release-image-not-an-image", "7.4",
         _release_case(lambda t: _member(t, 4).write_bytes(b"\xff\xd8\xffjunk\xff\xd9"), zipped=False),
         Succeeds(), _skipped("images/comp/img_04.jpg", "not a readable image")),
    Case("release-matte-crc-damaged", "7.4", _release_case(lambda t: _flip_png_byte(_member(t, 7, 1))),
         Succeeds(), _skipped("alphas/comp/img_07/01.png", "damaged PNG (CRC error")),
    Case("release-matte-truncated", "7.4", _release_case(lambda t: _truncate(_member(t, 8, 0))),
         Succeeds(), _skipped("alphas/comp/img_08/00.png", "damaged PNG (truncated")),
    Case("release-matte-other-size", "7.5", _release_case(_smaller),
         Succeeds(), _skipped("alphas/comp/img_05/01.png", "is 32x24 but its image is 64x48")),
    Case("release-mattes-of-two-sizes", "7.5", _release_case(_both_mattes_other_sizes),
         Succeeds(), _skipped("alphas/comp/img_06/00.png", "is 32x24 but its image is 64x48")),
    Case("release-matte-16-bit", "7.5", _release_case(_as_16_bit), Succeeds(),
         _normalised("16-bit matte rounded to 8 bits", _matte(3, 0))),
    Case("release-matte-rgba-opaque", "7.5", _release_case(_as_rgba(opaque=True)), Succeeds(),
         _normalised("RGBA matte with a constant A channel: used its colour channels; grey matte "
                     "stored as colour: used one channel", _matte(3, 0))),
    Case("release-matte-rgba-alpha", "7.5", _release_case(_as_rgba(opaque=False)), Succeeds(),
         _normalised("RGBA matte: used its A channel", _matte(3, 0))),
    Case("v-him-smaller-mid-clip-pha", "7.6", _v_him_smaller_mid_clip_frame("pha"), Succeeds(),
         _frame_refused),
    Case("v-him-smaller-mid-clip-fgr", "7.6", _v_him_smaller_mid_clip_frame("fgr"), Succeeds(),
         _frame_refused),
    Case("local-paths-stay-out-of-stats-and-cards", "7.10", _i_him_under_a_home, Succeeds(),
         _no_local_paths),
    Case("release-location-stays-out-of-cards", "7.10", _release_under_a_home, Succeeds(),
         _no_local_paths),
    Case("too-few-foregrounds-lists-the-reasons", "clear errors", _prepare(d=_one_foreground_left),
         Fails(r"has 1 usable foregrounds, i-him needs at least 2; 11 skipped:\n  - images/"
               r"person_001\.jpg: no alpha matte at alphas/person_001\.png")),
    Case("backgrounds-too-small-says-the-minimum", "clear errors", _prepare(d=_tiny_backgrounds),
         Fails(r"has no usable background image \(each needs at least 32 px on a side\); 6 "
               r"skipped:\n  - .*20x16 is smaller than 32 px on a side")),
    Case("invalid-names-entry-without-extension", "clear errors", _prepare(d=_stem_only_entry),
         Succeeds(), _stem_listed),
    Case("image-root-in-upstream-form", "compatibility", _upstream_image_root, Succeeds(), _built),
]

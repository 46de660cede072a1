"""Bad-input rows: damaged overlay-depth synthesis inputs (backgrounds, foregrounds, mask
files, background depth maps, depth models) and conflicting options.

Each case writes a small synthesis tree (tests/overlay_tree.py, written without mattehub:
backgrounds ``a.jpg`` 80x60 and ``b.jpg`` 50x70 with 16-bit depth maps, RGBA foregrounds
``blob.png`` 30x20 and ``red.png`` 20x28), damages it and runs ``mattehub build
overlay-depth --size 64 --no-flip --scales 1.0 --positions 2`` (2 samples per pair). An input
the header scan can judge is a counted skip in the build record naming the file and why; one
only decoding can judge (cut data, a depth map of the wrong kind) skips each of its samples,
counted, with a ``bad_input`` event naming it; the other samples are made. Option conflicts
and an unloadable depth model are clear errors before anything is written. No case may
print a traceback.
"""
from __future__ import annotations

import json
import re

import cv2
import numpy as np
from PIL import Image


from .harness import BuiltOutput, Case, Env, Fails, Run, Succeeds, built

CONFIG = "overlay-depth"
BACKGROUNDS = (("a.jpg", 80, 60), ("b.jpg", 50, 70))
FOREGROUNDS = (("blob.png", 30, 20, "gradient", False), ("red.png", 20, 28, "red", False))
PER_PAIR = 2


def _tree(env: Env):
    from overlay_tree import make_overlay_tree

    return make_overlay_tree(env.tmp / "src", BACKGROUNDS, FOREGROUNDS)


def _build(damage, *extra: str, depth: bool = False, masks: bool = True, inputs: bool = True):
    """Write the tree, ``damage(tree)``, build overlay-depth from it into ``tmp/out``.
    ``depth``: --depth exact with the tree's depth maps; ``inputs=False``: leave out
    --bg-root/--fg-root (the case gives its own)."""
    def run(env: Env) -> Run:
        tree = _tree(env)
        damage(tree)
        args = ["build", CONFIG, "--out", env.tmp / "out", "--size", "64", "--no-flip",
                "--scales", "1.0", "--positions", str(PER_PAIR), "--no-progress"]
        if inputs:
            args += tree.args(masks=masks, depth=depth)
        return env.cli(*args, *[a(tree) if callable(a) else a for a in extra])
    return run


# What the build left --------------------------------------------------------------------

def _out(env: Env) -> BuiltOutput:
    return built(env, CONFIG)


def _clean(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err


def _public(env: Env, *things) -> None:
    """Stats name inputs by their public (relative) names, never by a local path."""
    assert str(env.tmp) not in json.dumps(things)


def _nothing_written(env: Env, run: Run) -> None:
    assert not (env.tmp / "out").exists() or not list((env.tmp / "out").rglob("*.parquet"))


# Damage ---------------------------------------------------------------------------------

def _none(tree) -> None:
    pass


def _rgb_foreground(mask: bool):
    """``flat.png``: an RGB PNG (no alpha channel), with a mask file or without one."""
    def damage(tree) -> None:
        pixels = np.full((18, 16, 3), (10, 120, 200), np.uint8)
        Image.fromarray(pixels, "RGB").save(tree.fg_root / "flat.png")
        if mask:
            shape = np.zeros((18, 16), np.uint8)
            shape[3:15, 4:12] = 255
            Image.fromarray(shape, "L").save(tree.mask_root / "mask_flat.jpg", quality=50)
    return damage


def _mask_of_other_size(tree) -> None:
    Image.fromarray(np.full((20, 31), 255, np.uint8), "L").save(tree.mask_root / "mask_blob.jpg",
                                                                quality=50)


def _unreadable_mask(tree) -> None:
    (tree.mask_root / "mask_blob.jpg").write_bytes(b"this is not a JPEG")


def _two_masks(tree) -> None:
    from overlay_tree import write_mask

    write_mask(tree.mask_root / "mask_blob.jpg", 30, 20)
    write_mask(tree.mask_root / "mask_blob.png", 30, 20)


def _same_stem_in_two_folders(tree) -> None:
    """a/twin.png has alpha, b/twin.png has none: the one top-level mask_twin.jpg could be
    either's, so both are refused rather than b/twin.png silently taking a/twin.png's mask."""
    from overlay_tree import write_foreground, write_mask

    write_foreground(tree.fg_root / "a" / "twin.png", 30, 20, "gradient")
    rgb = tree.fg_root / "b" / "twin.png"
    rgb.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (30, 20), (9, 9, 9)).save(rgb)
    write_mask(tree.mask_root / "mask_twin.jpg", 30, 20)


def _huge_foreground(tree) -> None:
    from overlay_tree import write_foreground

    write_foreground(tree.fg_root / "huge.png", 80, 30, "gradient")


def _junk_backgrounds(tree) -> None:
    """A text file, an empty "image", and a JPEG cut in half (its header still reads)."""
    (tree.bg_root / "notes.txt").write_text("backgrounds from somewhere\n")
    (tree.bg_root / "empty.jpg").write_bytes(b"")
    data = (tree.bg_root / "a.jpg").read_bytes()
    (tree.bg_root / "cut.jpg").write_bytes(data[:len(data) // 2])


def _cut_foreground(tree) -> None:
    """blob.png without the last 40 % of its bytes: the header scan passes, decoding fails."""
    path = tree.fg_root / "blob.png"
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * 0.6)])


def _cut_mask(tree) -> None:
    from overlay_tree import write_mask

    write_mask(tree.mask_root / "mask_blob.jpg", 30, 20)
    path = tree.mask_root / "mask_blob.jpg"
    path.write_bytes(path.read_bytes()[:-60])


def _mask_file(values):
    """``mask_blob.png`` (lossless) holding ``values(alpha of blob.png)``."""
    def damage(tree) -> None:
        from overlay_tree import fg_alpha

        assert cv2.imwrite(str(tree.mask_root / "mask_blob.png"), values(fg_alpha(30, 20)))
    return damage


def _zero_one_mask(alpha: np.ndarray) -> np.ndarray:
    return (alpha > 0).astype(np.uint8)  # a 0/1 label map: binarised at 128, it is empty


def _inverted_mask(alpha: np.ndarray) -> np.ndarray:
    return np.where(alpha > 0, 0, 255).astype(np.uint8)  # the cut-out's surroundings


def _transparent_foreground(tree) -> None:
    """blob.png with its colour intact and alpha 0 everywhere."""
    rgba = np.array(Image.open(tree.fg_root / "blob.png"))
    rgba[:, :, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tree.fg_root / "blob.png")


def _no_depth_map(tree) -> None:
    (tree.depth_root / "b.png").unlink()


def _depth_8_bit(tree) -> None:
    assert cv2.imwrite(str(tree.depth_root / "b.png"), np.full((70, 50), 90, np.uint8))


def _depth_other_size(tree) -> None:
    assert cv2.imwrite(str(tree.depth_root / "b.png"), np.full((40, 40), 2000, np.uint16))


def _not_a_model(tree) -> None:
    folder = tree.root / "notamodel"
    folder.mkdir()
    (folder / "readme.txt").write_text("weights go here\n")


# Checks ---------------------------------------------------------------------------------

def _skipped_at_scan(path: str, reason: str, *, backgrounds: int = 2, foregrounds: int = 2,
                     also: dict[str, str] | None = None):
    """``path`` is left out by the scan, named with ``reason`` in the build record (with
    ``also``: further skips by path); every sample of the usable inputs is made."""
    def check(env: Env, run: Run) -> None:
        _clean(run)
        sources = _out(env).record()["sources"]
        skipped = {s["path"]: s["reason"] for s in sources["skipped_inputs"]}
        want = {path: reason, **(also or {})}
        assert set(skipped) == set(want), skipped
        for name, fragment in want.items():
            assert re.search(fragment, skipped[name]), (name, skipped[name])
        _public(env, sources["skipped_inputs"])
        assert (sources["backgrounds"], sources["foregrounds"]) == (backgrounds, foregrounds)
        rows = _out(env).rows()
        assert len(rows) == backgrounds * foregrounds * PER_PAIR == sources["samples"]
        assert path not in {r["meta"]["bg"] for r in rows} | {r["meta"]["fg"] for r in rows}
        assert _out(env).summary()["skipped_samples"] == 0
    return check


def _skipped_per_sample(path: str, reason: str, lost: int, used: str, value: str):
    """Each sample using the damaged input is a counted skip with a ``bad_input`` event
    naming ``path`` and ``reason``; the others are made, and none uses meta[``used``] ==
    ``value``."""
    def check(env: Env, run: Run) -> None:
        _clean(run)
        sources = _out(env).record()["sources"]
        total = sources["samples"]
        bad = [e for e in _out(env).events() if e["kind"] == "bad_input"]
        assert len(bad) == lost and all(e["path"] == path for e in bad), bad
        assert all(reason in e["reason"] for e in bad), bad
        skips = [e for e in _out(env).events() if e["kind"] == "skipped_sample"]
        assert len(skips) == lost and all(path in e["reason"] for e in skips), skips
        _public(env, bad, skips)
        summary = _out(env).summary()
        assert summary["skipped_samples"] == lost and summary["event_counts"]["bad_input"] == lost
        rows = _out(env).rows()
        assert len(rows) == total - lost > 0
        assert value not in {r["meta"][used] for r in rows}
    return check


def _junk_listed(env: Env, run: Run) -> None:
    """notes.txt and empty.jpg are scan skips; cut.jpg's header reads, so it is listed
    (3 backgrounds) and each of its samples is a counted skip naming it."""
    sources = _out(env).record()["sources"]
    skipped = {s["path"]: s["reason"] for s in sources["skipped_inputs"]}
    assert set(skipped) == {"notes.txt", "empty.jpg"}, skipped
    assert "not an image file" in skipped["notes.txt"]
    assert re.search(r"not a readable image|empty", skipped["empty.jpg"]), skipped["empty.jpg"]
    _public(env, sources["skipped_inputs"])
    assert sources["backgrounds"] == 3 and sources["samples"] == 3 * 2 * PER_PAIR
    _skipped_per_sample("cut.jpg", "truncated JPEG", 2 * PER_PAIR, "bg", "cut.jpg")(env, run)


def _rgb_with_mask_used(env: Env, run: Run) -> None:
    """An RGB foreground with a mask file is a hard cut-out: mask = the file >= 128,
    colour pasted where the mask is set."""
    _clean(run)
    sources = _out(env).record()["sources"]
    assert sources["skipped_inputs"] == [] and sources["foregrounds"] == 3
    rows = [r for r in _out(env).rows() if r["meta"]["fg"] == "flat.png"]
    assert len(rows) == 2 * PER_PAIR
    source = cv2.imread(str(env.tmp / "src" / "masks" / "mask_flat.jpg"), cv2.IMREAD_UNCHANGED)
    for row in rows:
        (x, y), (w, h) = row["meta"]["position"], row["meta"]["box_size"]
        assert (w, h) == (16, 18)
        mask = cv2.imdecode(np.frombuffer(row["mask"]["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
        want = np.zeros((64, 64), np.uint8)
        want[y:y + h, x:x + w] = np.where(source >= 128, 255, 0)
        assert np.array_equal(mask, want)


def _zero_one_scaled(env: Env, run: Run) -> None:
    """A 0/1 mask file is read as 0/255: every blob.png sample's stored mask is the file
    scaled (never all zero), with a counted normalised_input event naming the mask file."""
    from overlay_tree import fg_alpha

    _clean(run)
    rows = [r for r in _out(env).rows() if r["meta"]["fg"] == "blob.png"]
    assert len(rows) == 2 * PER_PAIR
    for row in rows:
        (x, y), (w, h) = row["meta"]["position"], row["meta"]["box_size"]
        mask = cv2.imdecode(np.frombuffer(row["mask"]["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
        want = np.zeros((64, 64), np.uint8)
        want[y:y + h, x:x + w] = np.where(fg_alpha(30, 20) > 0, 255, 0)
        assert np.array_equal(mask, want)
    notes = [e for e in _out(env).events() if e["kind"] == "normalised_input"]
    assert len(notes) == 2 * PER_PAIR, notes
    assert all("mask_blob.png holds only 0 and 1: scaled to 0/255" in e["reason"] for e in notes)
    assert _out(env).summary()["event_counts"]["normalised_input"] == 2 * PER_PAIR


CASES: list[Case] = [
    Case("overlay-fg-no-alpha-no-mask", "overlay: foreground without alpha and without a mask file",
         _build(_rgb_foreground(mask=False)), Succeeds(),
         _skipped_at_scan("flat.png",
                          r"has no alpha channel and no mask file \(mask_flat\.\* in --mask-root\)")),
    Case("overlay-fg-no-alpha-with-mask", "overlay: foreground without alpha but with a mask file is used",
         _build(_rgb_foreground(mask=True)), Succeeds(), _rgb_with_mask_used),
    Case("overlay-mask-other-size", "overlay: mask file of another size than its foreground",
         _build(_mask_of_other_size), Succeeds(),
         _skipped_at_scan("blob.png", r"is 30x20 but its mask mask_blob\.jpg is 31x20", foregrounds=1)),
    Case("overlay-mask-unreadable", "overlay: a mask file that is not an image: the skip names "
         "the mask file, not only its foreground", _build(_unreadable_mask), Succeeds(),
         _skipped_at_scan("blob.png", r"mask_blob\.jpg.*not a readable image", foregrounds=1)),
    Case("overlay-mask-ambiguous", "overlay: two mask files for one foreground",
         _build(_two_masks), Succeeds(),
         _skipped_at_scan("blob.png", r"has several mask files \(mask_blob\.jpg, mask_blob\.png\)",
                          foregrounds=1)),
    Case("overlay-mask-stem-in-two-folders", "overlay: two foregrounds share a stem and a "
         "top-level mask: neither takes it", _build(_same_stem_in_two_folders), Succeeds(),
         _skipped_at_scan("a/twin.png", r"shares its stem.*mask_twin\.jpg", foregrounds=2,
                          also={"b/twin.png": r"shares its stem"})),
    Case("overlay-fg-larger-than-canvas", "overlay: foreground larger than the canvas at scale 1.0",
         _build(_huge_foreground), Succeeds(),
         _skipped_at_scan("huge.png", r"is 80x30: at scale 1 it does not fit the 64x64 canvas")),
    Case("overlay-bg-not-images", "overlay: a .txt, an empty file and a truncated JPEG in --bg-root",
         _build(_junk_backgrounds), Succeeds(), _junk_listed),
    Case("overlay-fg-truncated-data", "overlay: foreground cut after its header: its samples are "
         "counted skips", _build(_cut_foreground), Succeeds(),
         _skipped_per_sample("blob.png", "damaged PNG", 2 * PER_PAIR, "fg", "blob.png")),
    Case("overlay-mask-truncated-data", "overlay: mask file cut after its header: counted skips",
         _build(_cut_mask), Succeeds(),
         _skipped_per_sample("mask_blob.jpg", "truncated JPEG", 2 * PER_PAIR, "fg", "blob.png")),
    Case("overlay-mask-zero-one", "overlay: a 0/1-valued mask file is scaled to 0/255 with a "
         "counted event, not binarised into an empty mask", _build(_mask_file(_zero_one_mask)),
         Succeeds(), _zero_one_scaled),
    Case("overlay-mask-all-zero", "overlay: an all-zero mask file under a visible cut-out: its "
         "samples are counted skips naming it", _build(_mask_file(np.zeros_like)), Succeeds(),
         _skipped_per_sample("mask_blob.png", "is an empty mask", 2 * PER_PAIR, "fg", "blob.png")),
    Case("overlay-mask-misses-cut-out", "overlay: a mask file covering the cut-out's surroundings, "
         "not the cut-out: counted skips naming it", _build(_mask_file(_inverted_mask)), Succeeds(),
         _skipped_per_sample("mask_blob.png", "covers 0% of the visible pixels of its cut-out "
                             "blob.png", 2 * PER_PAIR, "fg", "blob.png")),
    Case("overlay-fg-fully-transparent", "overlay: a fully transparent cut-out: its samples are "
         "counted skips naming it", _build(_transparent_foreground), Succeeds(),
         _skipped_per_sample("blob.png", "is fully transparent", 2 * PER_PAIR, "fg", "blob.png")),
    Case("overlay-depth-map-missing", "overlay: --depth exact, a background without a depth map",
         _build(_no_depth_map, depth=True), Succeeds(),
         _skipped_at_scan("b.jpg", r"has no depth map b\.png in --bg-depth-root", backgrounds=1)),
    Case("overlay-depth-map-8-bit", "overlay: an 8-bit depth map: its background's samples skipped",
         _build(_depth_8_bit, depth=True), Succeeds(),
         _skipped_per_sample("b.png", "is uint8 with 1 channel(s); a depth map must be a 16-bit",
                             2 * PER_PAIR, "bg", "b.jpg")),
    Case("overlay-depth-map-other-size", "overlay: a depth map of another size than its background",
         _build(_depth_other_size, depth=True), Succeeds(),
         _skipped_per_sample("b.png", "is 40x40 but its background is 50x70", 2 * PER_PAIR, "bg", "b.jpg")),
    Case("overlay-depth-exact-without-root", "overlay: --depth exact without --bg-depth-root",
         _build(_none, "--depth", "exact"), Fails(r"depth='exact' needs bg_depth_root=: .*\[--depth, --bg-depth-root\]"),
         _nothing_written),
    Case("overlay-depth-root-without-exact", "overlay: --bg-depth-root without --depth exact",
         _build(_none, "--bg-depth-root", lambda t: t.depth_root),
         Fails(r"bg_depth_root= is only read with depth='exact' \[--bg-depth-root, --depth\]"), _nothing_written),
    Case("overlay-data-dir-and-fg-root", "overlay: both --data-dir and --fg-root",
         _build(_none, "--data-dir", lambda t: t.root),
         Fails(r"either the original dataset \(data_dir=\) or synthesis inputs .* not both"),
         _nothing_written),
    Case("overlay-no-inputs", "overlay: neither --data-dir nor --bg-root/--fg-root",
         _build(_none, "--fg-root", lambda t: t.fg_root, inputs=False),
         Fails(r"overlay-depth needs bg_root= and fg_root="), _nothing_written),
    Case("overlay-depth-model-missing", "overlay: --depth names a model folder that does not exist",
         _build(_none, "--depth", "/nonexistent/model"),
         Fails(r"depth model '/nonexistent/model': no such folder"), _nothing_written),
    Case("overlay-depth-model-not-a-model", "overlay: --depth names a folder that is not a model",
         _build(_not_a_model, "--depth", lambda t: t.root / "notamodel"),
         Fails(r"depth model '.*notamodel': cannot read its config"), _nothing_written),
]

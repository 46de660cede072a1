"""Bad-input rows: damaged Adobe Image Matting trees (aim).

Each case writes a small AIM tree (tests/aim_tree.py, written without mattehub: training
foregrounds ``a.png``, ``b.png``, ``c.png``, ``d.jpg`` (alpha ``d.png``), 5 backgrounds;
test composites ``t1_0``, ``t1_2``, ``t1_10``, ``t2_0``), damages it and runs ``mattehub
build aim`` (train with ``--num-bgs 2``, or ``--split test``). Names that do not pair, too
few backgrounds and a missing ``--data-dir`` / ``--bg-root`` are clear errors before
anything is written; a converted alpha is kept and said in the stats (once per
foreground); an input only decoding can judge is a counted skip naming it. No case may
print a traceback.
"""
from __future__ import annotations


import cv2
import numpy as np


from .harness import BuiltOutput, Case, Env, Fails, Run, Succeeds, built

CONFIGS = {"train": "aim", "test": "composition-1k"}
"""The config of each split (the test set is its own config)."""
NUM_BGS = 2


def _tree(env: Env):
    from aim_tree import make_aim_tree

    return make_aim_tree(env.tmp / "src")


def _build(damage, *extra: str, split: str = "train", data_dir: bool = True, bg_root: bool = True):
    """Write the tree, ``damage(tree)``, build ``split`` of aim into ``tmp/out``."""
    def run(env: Env) -> Run:
        tree = _tree(env)
        damage(tree)
        args = ["build", CONFIGS.get(split, "aim"), "--out", env.tmp / "out", "--no-progress", "--split", split]
        args += ["--data-dir", tree.data_dir] if data_dir else []
        if split == "train":
            args += ["--num-bgs", str(NUM_BGS)] + (["--bg-root", tree.bg_root] if bg_root else [])
        return env.cli(*args, *extra)
    return run


# What the build left --------------------------------------------------------------------

def _out(env: Env, split: str) -> BuiltOutput:
    return built(env, CONFIGS[split], split)


def _png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def _clean(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err


def _nothing_written(env: Env, run: Run) -> None:
    assert not (env.tmp / "out").exists() or not list((env.tmp / "out").rglob("*.parquet"))


# Damage ---------------------------------------------------------------------------------

def _none(tree) -> None:
    pass


def _unpaired(tree) -> None:
    """An fg without alpha, two alphas without fg, and an ambiguous stem."""
    from aim_tree import soft_alpha

    fg_dir, alpha_dir = tree.data_dir / "train" / "fg", tree.data_dir / "train" / "alpha"
    cv2.imwrite(str(fg_dir / "lonely.png"), np.full((20, 20, 3), 90, np.uint8))
    for name in ("orphan.png", "stray.png"):
        cv2.imwrite(str(alpha_dir / name), soft_alpha(20, 20, 1))
    cv2.imwrite(str(fg_dir / "twin.png"), np.full((20, 20, 3), 90, np.uint8))
    cv2.imwrite(str(fg_dir / "twin.jpg"), np.full((20, 20, 3), 90, np.uint8))
    cv2.imwrite(str(alpha_dir / "twin.tif.png"), soft_alpha(20, 20, 1))
    cv2.imwrite(str(alpha_dir / "twin.jpeg"), soft_alpha(20, 20, 1))


def _alpha_3_channel(tree) -> None:
    alpha = cv2.imread(str(tree.alpha_path("a.png")), cv2.IMREAD_UNCHANGED)
    assert cv2.imwrite(str(tree.alpha_path("a.png")), cv2.merge([alpha, alpha, alpha]))


def _alpha_16_bit(tree) -> None:
    alpha = cv2.imread(str(tree.alpha_path("b.png")), cv2.IMREAD_UNCHANGED)
    assert cv2.imwrite(str(tree.alpha_path("b.png")), alpha.astype(np.uint16) * 257)


def _trimap_other_size(tree) -> None:
    assert cv2.imwrite(str(tree.test_path("trimaps", "t1_2")), np.full((20, 30), 128, np.uint8))


def _trimap_missing(tree) -> None:
    tree.test_path("trimaps", "t2_0").unlink()


def _fg_truncated(tree) -> None:
    path = tree.fg_path("c.png")
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * 0.6)])


def _alpha_other_size(tree) -> None:
    assert cv2.imwrite(str(tree.alpha_path("c.png")), np.zeros((41, 40), np.uint8))


def _composites_not_rgb(tree) -> None:
    """t1_0 re-saved as a grey PNG, t1_2 as an RGBA PNG (A = 200): not what ``image`` holds."""
    for stem, convert in (("t1_0", cv2.COLOR_BGR2GRAY), ("t1_2", cv2.COLOR_BGR2BGRA)):
        path = tree.test_path("merged", stem)
        array = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), convert)
        if array.ndim == 3:
            array[:, :, 3] = 200
        assert cv2.imwrite(str(path), array)


def _trimaps_off_values(tree) -> None:
    """t1_0's trimap as 0/1/2 labels; t1_2's with a value 64 (neither 0/128/255 nor 0/1/2)."""
    path = tree.test_path("trimaps", "t1_0")
    labels = (cv2.imread(str(path), cv2.IMREAD_UNCHANGED) // 127).astype(np.uint8)
    assert set(np.unique(labels)) == {0, 1, 2}
    assert cv2.imwrite(str(path), labels)
    path = tree.test_path("trimaps", "t1_2")
    odd = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    odd[odd == 128] = 64
    assert cv2.imwrite(str(path), odd)


# Checks ---------------------------------------------------------------------------------

def _converted(name: str, note: str, fg: str, want):
    """The build made every sample; one ``normalised_input`` event (the fg's first sample)
    names ``train/alpha/<name>`` with ``note``; the stored alpha is ``want(original)``."""
    def check(env: Env, run: Run) -> None:
        from aim_tree import FOREGROUNDS, soft_alpha

        _clean(run)
        number, (_, width, height) = next((i, f) for i, f in enumerate(FOREGROUNDS) if f[0] == fg)
        first = sorted(name for name, _, _ in FOREGROUNDS).index(fg) * NUM_BGS
        notes = [e for e in _out(env, "train").events() if e["kind"] == "normalised_input"]
        assert [(e["path"], e["index"]) for e in notes] == [(f"train/alpha/{name}", first)], notes
        assert note in notes[0]["reason"]
        summary = _out(env, "train").summary()
        assert summary["event_counts"]["normalised_input"] == 1 and summary["skipped_samples"] == 0
        rows = _out(env, "train").rows()
        assert len(rows) == 4 * NUM_BGS
        expected = want(soft_alpha(width, height, number))
        for row in (r for r in rows if r["meta"]["fg"] == fg):
            assert np.array_equal(_png(row["alpha"]["bytes"]), expected)
    return check


def _trimap_skip(env: Env, run: Run) -> None:
    _clean(run)
    bad = [e for e in _out(env, "test").events() if e["kind"] == "bad_input"]
    assert len(bad) == 1 and bad[0]["path"] == "test/trimaps/t1_2.png", bad
    assert "is 30x20 but its image is 48x36" in bad[0]["reason"]
    skips = [e for e in _out(env, "test").events() if e["kind"] == "skipped_sample"]
    assert len(skips) == 1 and "test/merged/t1_2.png" in skips[0]["reason"] \
        and "test/trimaps/t1_2.png" in skips[0]["reason"]
    assert _out(env, "test").summary()["skipped_samples"] == 1
    assert [r["meta"]["file"] for r in _out(env, "test").rows()] == \
        ["test/merged/t1_0.png", "test/merged/t1_10.png", "test/merged/t2_0.png"]


def _trimap_missing_listed(env: Env, run: Run) -> None:
    _clean(run)
    record = _out(env, "test").record()
    skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
    assert skipped == {"test/merged/t2_0.png": "has no test/trimaps/t2_0.*"}, skipped
    assert len(_out(env, "test").rows()) == 3


def _fg_skipped_per_sample(env: Env, run: Run) -> None:
    _clean(run)
    bad = [e for e in _out(env, "train").events() if e["kind"] == "bad_input"]
    assert len(bad) == NUM_BGS and all(e["path"] == "train/fg/c.png" for e in bad), bad
    assert all("damaged PNG" in e["reason"] for e in bad)
    assert _out(env, "train").summary()["skipped_samples"] == NUM_BGS
    assert "c.png" not in {r["meta"]["fg"] for r in _out(env, "train").rows()}
    assert len(_out(env, "train").rows()) == 3 * NUM_BGS


def _alpha_size_listed(env: Env, run: Run) -> None:
    _clean(run)
    record = _out(env, "train").record()
    skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
    assert skipped == {"train/fg/c.png": "is 40x40 but its alpha train/alpha/c.png is 40x41"}, skipped
    assert record["sources"]["foregrounds"] == 3 and len(_out(env, "train").rows()) == 3 * NUM_BGS


def _source(env: Env, folder: str, stem: str) -> bytes:
    return (env.tmp / "src" / "data" / "test" / folder / f"{stem}.png").read_bytes()


def _composites_converted(env: Env, run: Run) -> None:
    """Both composites stored as 8-bit RGB PNG with their pixels (grey repeated, A dropped),
    one normalised_input event each; the RGB ones keep their bytes."""
    from PIL import Image
    import io

    _clean(run)
    notes = {e["path"]: e["reason"] for e in _out(env, "test").events()
             if e["kind"] == "normalised_input"}
    assert set(notes) == {"test/merged/t1_0.png", "test/merged/t1_2.png"}, notes
    assert "L PNG" in notes["test/merged/t1_0.png"] and "RGBA PNG" in notes["test/merged/t1_2.png"]
    rows = {r["meta"]["file"][len("test/merged/"):-4]: r for r in _out(env, "test").rows()}
    for stem, row in rows.items():
        stored, source = row["image"]["bytes"], _source(env, "merged", stem)
        assert Image.open(io.BytesIO(stored)).mode == "RGB", stem
        want = cv2.imdecode(np.frombuffer(source, np.uint8), cv2.IMREAD_COLOR)
        assert np.array_equal(cv2.imdecode(np.frombuffer(stored, np.uint8), cv2.IMREAD_COLOR), want)
        assert (stored == source) == (stem not in ("t1_0", "t1_2")), stem


def _trimaps_checked(env: Env, run: Run) -> None:
    """t1_0's 0/1/2 trimap stored as 0/128/255 with an event; t1_2 a counted skip naming
    its trimap's values."""
    _clean(run)
    events = _out(env, "test").events()
    notes = [e for e in events if e["kind"] == "normalised_input"]
    assert [(e["path"], e["reason"]) for e in notes] == \
        [("test/trimaps/t1_0.png", "0/1/2 trimap mapped to 0/128/255")], notes
    bad = [e for e in events if e["kind"] == "bad_input"]
    assert [e["path"] for e in bad] == ["test/trimaps/t1_2.png"], bad
    assert "values 0, 64, 255" in bad[0]["reason"], bad
    assert _out(env, "test").summary()["skipped_samples"] == 1
    rows = {r["meta"]["file"]: r for r in _out(env, "test").rows()}
    assert "test/merged/t1_2.png" not in rows and len(rows) == 3
    stored = _png(rows["test/merged/t1_0.png"]["trimap"]["bytes"])
    labels = _png(_source(env, "trimaps", "t1_0"))
    assert np.array_equal(stored, np.array([0, 128, 255], np.uint8)[labels])


UNPAIRED = (r"5 foreground/alpha file name\(s\) do not pair"
            r"(?s:.*)train/fg/lonely\.png: no train/alpha/lonely\.png"
            r"(?s:.*)train/alpha/orphan\.png: no train/fg/orphan\.png"
            r"(?s:.*)train/alpha/stray\.png: no train/fg/stray\.png"
            r"(?s:.*)stem 'twin': train/fg has twin\.jpg, twin\.png")

CASES: list[Case] = [
    Case("aim-unpaired-names", "aim: fg/alpha names that do not pair are listed all in one error",
         _build(_unpaired), Fails(UNPAIRED), _nothing_written),
    Case("aim-alpha-3-channel", "aim: a 3-channel alpha is converted, said once in the stats",
         _build(_alpha_3_channel), Succeeds(),
         _converted("a.png", "grey matte stored as colour: used one channel", "a.png", lambda a: a)),
    Case("aim-alpha-16-bit", "aim: a 16-bit alpha is rounded to 8 bits, said in the stats",
         _build(_alpha_16_bit), Succeeds(),
         _converted("b.png", "16-bit matte rounded to 8 bits", "b.png", lambda a: a)),
    Case("aim-test-trimap-other-size", "aim test: a trimap of another size than its composite is "
         "a counted skip naming it", _build(_trimap_other_size, split="test"), Succeeds(),
         _trimap_skip),
    Case("aim-test-composite-not-rgb", "composition-1k: grey and RGBA composites are stored as "
         "8-bit RGB (lossless), said in the stats; RGB ones keep their bytes",
         _build(_composites_not_rgb, split="test"), Succeeds(), _composites_converted),
    Case("aim-test-trimap-values", "composition-1k: a 0/1/2 trimap is mapped to 0/128/255 with "
         "an event; other values are a counted skip naming the trimap",
         _build(_trimaps_off_values, split="test"), Succeeds(), _trimaps_checked),
    Case("aim-test-trimap-missing", "aim test: a composite without its trimap is listed as skipped",
         _build(_trimap_missing, split="test"), Succeeds(), _trimap_missing_listed),
    Case("aim-fg-truncated", "aim: a foreground cut after its header: each of its samples is a "
         "counted skip naming it", _build(_fg_truncated), Succeeds(), _fg_skipped_per_sample),
    Case("aim-alpha-other-size", "aim: an alpha of another size than its foreground is listed "
         "as skipped", _build(_alpha_other_size), Succeeds(), _alpha_size_listed),
    Case("aim-too-few-backgrounds", "aim: fewer usable backgrounds than --num-bgs",
         _build(_none, "--num-bgs", "6"),
         Fails(r"has 5 usable background images, fewer than --num-bgs 6"), _nothing_written),
    Case("aim-no-data-dir", "aim: no --data-dir (the release URL default means not given)",
         _build(_none, data_dir=False), Fails(r"aim needs data_dir=: .*\[--data-dir\]"), _nothing_written),
    Case("aim-train-no-bg-root", "aim: the train split without --bg-root",
         _build(_none, bg_root=False), Fails(r"aim --split train needs --bg-root"), _nothing_written),
    Case("aim-unknown-split", "aim: a split other than train or test",
         _build(_none, split="val"), Fails(r"aim has the split train, not 'val'"),
         _nothing_written),
]

"""Bad-input rows: damaged P3M-10k trees (the ``p3m-10k`` and ``p3m-500`` configs).

Each case writes a small P3M-10k tree (tests/p3m_tree.py, written without mattehub: train
``p_0a1b2c3d``, ``p_5e5e5e5e``, ``p_9c0ffee1``; P3M-500-P ``p_4dfffce8``, ``p_d4fd9815`` with
trimaps), damages it, and builds from the folder (or from ``P3M-10k.zip`` made with Info-ZIP
after the damage). A file that cannot pair is a counted skip in the build record naming it; a
damaged image, a trimap that is not one, a trimap of another size skip their sample, counted
with a ``bad_input`` event naming the file (the same dataset-relative path from a folder or a
zip); a split of the other config and a folder without P3M-10k are clear errors. No case may
print a traceback.
"""
from __future__ import annotations

import io
import json
import re

import numpy as np
from PIL import Image

from .harness import Case, Env, Fails, Run, Succeeds, built

TRAIN_IMAGE, TRAIN_MASK = "train/blurred_image/{}.jpg", "train/mask/{}.png"
VAL_TRIMAP = "validation/P3M-500-P/trimap/{}.png"
CONFIGS = {"train": "p3m-10k", "p3m_500_p": "p3m-500"}


def _build(damage, split: str = "train", zipped: bool = False, config: str | None = None):
    """Write the tree, ``damage(tree)``, build ``split`` from the folder (or its zip)."""
    def run(env: Env) -> Run:
        from p3m_tree import make_p3m_tree, zip_tree

        tree = make_p3m_tree(env.tmp / "src")
        damage(tree)
        data_dir = zip_tree(tree, env.tmp / "zip") if zipped else tree.root
        return env.cli("build", config or CONFIGS[split], "--out", env.tmp / "out", "--split",
                       split, "--data-dir", data_dir, "--no-progress")
    return run


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def _remove(path: str):
    return lambda tree: tree.remove(path)


def _truncate(path: str):
    return lambda tree: tree.write(path, tree.files[path][:-200])


def _trimap(array_of):
    """P3M-500-P ``p_d4fd9815``'s trimap replaced by ``array_of(matte)``."""
    def damage(tree) -> None:
        matte = np.asarray(Image.open(io.BytesIO(tree.files["validation/P3M-500-P/mask/p_d4fd9815.png"])))
        tree.write(VAL_TRIMAP.format("p_d4fd9815"), _png(array_of(matte)))
    return damage


def _clean(env: Env, run: Run, *things) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    assert str(env.tmp) not in json.dumps(things)


def _skipped_at_scan(split: str, want: dict[str, str], used: tuple[str, ...]):
    """The build record names exactly ``want`` (path -> reason pattern) as skipped inputs;
    the samples are ``used``, in name order."""
    def check(env: Env, run: Run) -> None:
        out = built(env, CONFIGS[split], split)
        sources = out.record()["sources"]
        _clean(env, run, sources)
        skipped = {s["path"]: s["reason"] for s in sources["skipped_inputs"]}
        assert set(skipped) == set(want), skipped
        for path, pattern in want.items():
            assert re.search(pattern, skipped[path]), (path, skipped[path])
        assert [r["meta"]["name"] for r in out.rows()] == list(used)
    return check


def _skipped_sample(split: str, path: str, pattern: str, used: tuple[str, ...]):
    """One sample is a counted skip with a bad_input event naming ``path``; ``used`` are made."""
    def check(env: Env, run: Run) -> None:
        out = built(env, CONFIGS[split], split)
        events = out.events()
        _clean(env, run, events, out.record())
        bad = [e for e in events if e["kind"] == "bad_input"]
        assert len(bad) == 1 and bad[0]["path"] == path, bad
        assert re.search(pattern, bad[0]["reason"]), bad
        assert out.summary()["skipped_samples"] == 1
        assert [r["meta"]["name"] for r in out.rows()] == list(used)
    return check


def _no_p3m(tree) -> None:
    import shutil

    shutil.rmtree(tree.root / "P3M-10k")
    (tree.root / "images").mkdir()


TRAIN_KEPT = ("p_0a1b2c3d", "p_9c0ffee1")
CASES: list[Case] = [
    Case("p3m-mask-missing", "p3m-10k: an image without its matte is a counted skip naming it",
         _build(_remove(TRAIN_MASK.format("p_5e5e5e5e"))), Succeeds(),
         _skipped_at_scan("train", {TRAIN_IMAGE.format("p_5e5e5e5e"):
                                    r"has no alpha matte PNG \(train/mask/p_5e5e5e5e\.png\)"},
                          TRAIN_KEPT)),
    Case("p3m-trimap-missing", "p3m-500: a validation image without its published trimap is "
         "a counted skip naming its files", _build(_remove(VAL_TRIMAP.format("p_4dfffce8")),
                                                   "p3m_500_p"), Succeeds(),
         _skipped_at_scan("p3m_500_p", {
             f"validation/P3M-500-P/{folder}/p_4dfffce8.{ext}": r"has no trimap PNG"
             for folder, ext in (("blurred_image", "jpg"), ("mask", "png"))}, ("p_d4fd9815",))),
    Case("p3m-image-truncated", "p3m-10k: a truncated JPEG: its sample is a counted skip naming it",
         _build(_truncate(TRAIN_IMAGE.format("p_5e5e5e5e"))), Succeeds(),
         _skipped_sample("train", TRAIN_IMAGE.format("p_5e5e5e5e"), r"truncated JPEG", TRAIN_KEPT)),
    Case("p3m-zip-image-truncated", "p3m-10k read in place from P3M-10k.zip: a truncated JPEG "
         "member is a counted skip naming the same dataset-relative path",
         _build(_truncate(TRAIN_IMAGE.format("p_5e5e5e5e")), zipped=True), Succeeds(),
         _skipped_sample("train", TRAIN_IMAGE.format("p_5e5e5e5e"), r"truncated JPEG", TRAIN_KEPT)),
    Case("p3m-trimap-not-a-trimap", "p3m-500: a published trimap with values other than "
         "0/128/255 (or 0/1/2) skips its sample, naming the file",
         _build(_trimap(lambda matte: (matte // 64 * 64).astype(np.uint8)), "p3m_500_p"),
         Succeeds(), _skipped_sample("p3m_500_p", VAL_TRIMAP.format("p_d4fd9815"),
                                     r"is not a trimap", ("p_4dfffce8",))),
    Case("p3m-trimap-other-size", "p3m-500: a trimap of another size than its image skips its "
         "sample, naming the file", _build(_trimap(lambda matte: np.full(
             (matte.shape[0] + 1, matte.shape[1]), 128, np.uint8)), "p3m_500_p"), Succeeds(),
         _skipped_sample("p3m_500_p", VAL_TRIMAP.format("p_d4fd9815"),
                         r"is \d+x\d+ but its image is", ("p_4dfffce8",))),
    Case("p3m-split-of-the-other-config", "p3m-10k has only train: asking it for a validation "
         "set is a clear error naming its split", _build(lambda tree: None, "p3m_500_p",
                                                         config="p3m-10k"),
         Fails(r"p3m-10k has the split train .*not 'p3m_500_p'")),
    Case("p3m-no-dataset", "p3m-500: a folder without P3M-10k is a clear error saying where "
         "P3M-10k comes from", _build(_no_p3m, "p3m_500_p"),
         Fails(r"validation/P3M-500-P/blurred_image/.*github\.com/JizhiziLi/P3M")),
]

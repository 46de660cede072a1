"""Bad-input rows: damaged AM-2k trees (the ``am-2k`` and ``am-2k-validation`` configs).

Each case writes a small AM-2k tree (tests/am2k_tree.py, written without mattehub: train
``m_0a6c2018``, ``m_5f5f5f5f``, ``m_9a0b1c2d``; validation ``m_07a1b2c3``, ``m_0aa9dd6a`` with
trimaps), damages it, and builds from the folder or from ``AM-2k.zip`` (Info-ZIP, made after
the damage). The reader is shared with P3M-10k (``p3m_cases`` has the full set of rows); these
rows check AM-2k's own folders: a missing trimap, a damaged member read from the zip, a
matte of another size, a folder without AM-2k. No case may print a traceback.
"""
from __future__ import annotations

import io
import json
import re

import numpy as np
from PIL import Image

from .harness import Case, Env, Fails, Run, Succeeds, built

CONFIGS = {"train": "am-2k", "validation": "am-2k-validation"}


def _build(damage, split: str = "train", zipped: bool = False):
    def run(env: Env) -> Run:
        from am2k_tree import make_am2k_tree, zip_tree

        tree = make_am2k_tree(env.tmp / "src")
        damage(tree)
        data_dir = zip_tree(tree, env.tmp / "zip") if zipped else tree.root
        return env.cli("build", CONFIGS[split], "--out", env.tmp / "out", "--split", split,
                       "--data-dir", data_dir, "--no-progress")
    return run


def _skipped(split: str, want: dict[str, str], used: tuple[str, ...], at_scan: bool):
    """``want`` (path -> reason pattern) are the skipped inputs (``at_scan``) or the one
    bad_input event; ``used`` are the samples made, in name order."""
    def check(env: Env, run: Run) -> None:
        out = built(env, CONFIGS[split], split)
        assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
        if at_scan:
            found = {s["path"]: s["reason"] for s in out.record()["sources"]["skipped_inputs"]}
        else:
            found = {e["path"]: e["reason"] for e in out.events() if e["kind"] == "bad_input"}
            assert out.summary()["skipped_samples"] == len(want)
        assert set(found) == set(want), found
        assert all(re.search(want[path], found[path]) for path in want), found
        assert str(env.tmp) not in json.dumps(found)
        assert [r["meta"]["name"] for r in out.rows()] == list(used)
    return check


def _other_size(tree) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(buffer, "PNG")
    tree.write("train/mask/m_5f5f5f5f.png", buffer.getvalue())


def _truncated(tree) -> None:
    path = "train/original/m_5f5f5f5f.jpg"
    tree.write(path, tree.files[path][:-300])


def _no_am2k(tree) -> None:
    import shutil

    shutil.rmtree(tree.root / "AM-2k")
    (tree.root / "train").mkdir()


KEPT = ("m_0a6c2018", "m_9a0b1c2d")
CASES: list[Case] = [
    Case("am2k-trimap-missing", "am-2k-validation: an image without its published trimap is a "
         "counted skip naming its files",
         _build(lambda tree: tree.remove("validation/trimap/m_07a1b2c3.png"), "validation"),
         Succeeds(), _skipped("validation", {
             "validation/original/m_07a1b2c3.jpg": r"has no trimap PNG \(validation/trimap/",
             "validation/mask/m_07a1b2c3.png": r"has no trimap PNG"}, ("m_0aa9dd6a",), True)),
    Case("am2k-zip-image-truncated", "am-2k read in place from AM-2k.zip: a truncated JPEG is a "
         "counted skip naming it", _build(_truncated, zipped=True), Succeeds(),
         _skipped("train", {"train/original/m_5f5f5f5f.jpg": r"truncated JPEG"}, KEPT, False)),
    Case("am2k-matte-other-size", "am-2k: a matte of another size than its image skips its "
         "sample, naming the file", _build(_other_size), Succeeds(),
         _skipped("train", {"train/mask/m_5f5f5f5f.png": r"is 12x10 but its image is"}, KEPT,
                  False)),
    Case("am2k-no-dataset", "am-2k: a folder without AM-2k is a clear error saying where AM-2k "
         "comes from", _build(_no_am2k), Fails(r"train/original/.*github\.com/JizhiziLi/GFM")),
]

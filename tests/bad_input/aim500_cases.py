"""Bad-input rows: damaged AIM-500 trees (the ``aim-500`` config).

Each case writes a small AIM-500 tree (tests/aim500_tree.py, written without mattehub:
``o_0b7228ec``, ``o_87e77b32``, ``o_e92b90fc`` with trimaps and ``aim_category_type.json``),
damages it, and builds it from the folder or from ``AIM-500.zip`` (Info-ZIP, made after the
damage). The category list is AIM-500's own input: missing, it leaves ``type`` and
``category`` null and is named in the build record; not a JSON object, it is a clear error
naming it. A 0/1/2 trimap is mapped to 0/128/255 with an event; a damaged matte read from the
zip skips its sample, naming it. No case may print a traceback.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .harness import Case, Env, Fails, Run, Succeeds, built

CATEGORIES = "aim_category_type.json"


def _build(damage, zipped: bool = False):
    def run(env: Env) -> Run:
        from aim500_tree import make_aim500_tree, zip_tree

        tree = make_aim500_tree(env.tmp / "src")
        damage(tree)
        data_dir = zip_tree(tree, env.tmp / "zip") if zipped else tree.root
        return env.cli("build", "aim-500", "--out", env.tmp / "out", "--split", "test",
                       "--data-dir", data_dir, "--no-progress")
    return run


def _clean(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err


def _no_categories(env: Env, run: Run) -> None:
    _clean(run)
    out = built(env, "aim-500", "test")
    assert out.record()["sources"]["missing_side_files"] == [CATEGORIES]
    rows = out.rows()
    assert len(rows) == 3 and all(r["meta"]["type"] is None and r["meta"]["category"] is None
                                  for r in rows)


def _label_trimap(tree) -> None:
    """o_87e77b32's trimap stored as labels 0/1/2 (as some tools write them)."""
    path = "trimap/o_87e77b32.png"
    values = np.asarray(Image.open(io.BytesIO(tree.files[path])))
    buffer = io.BytesIO()
    Image.fromarray((values // 127).astype(np.uint8)).save(buffer, "PNG")
    tree.write(path, buffer.getvalue())


def _trimap_mapped(env: Env, run: Run) -> None:
    _clean(run)
    out = built(env, "aim-500", "test")
    notes = [e for e in out.events() if e["kind"] == "normalised_input"]
    assert [(e["path"], e["reason"]) for e in notes] == [
        ("trimap/o_87e77b32.png", "0/1/2 trimap mapped to 0/128/255")], notes
    row = next(r for r in out.rows() if r["meta"]["name"] == "o_87e77b32")
    assert set(np.unique(np.asarray(Image.open(io.BytesIO(row["trimap"]["bytes"]))))) <= {0, 128, 255}


def _matte_cut(tree) -> None:
    path = "mask/o_e92b90fc.png"
    tree.write(path, tree.files[path][:-40])


def _matte_skipped(env: Env, run: Run) -> None:
    _clean(run)
    out = built(env, "aim-500", "test")
    bad = [e for e in out.events() if e["kind"] == "bad_input"]
    assert [e["path"] for e in bad] == ["mask/o_e92b90fc.png"], bad
    assert [r["meta"]["name"] for r in out.rows()] == ["o_0b7228ec", "o_87e77b32"]


CASES: list[Case] = [
    Case("aim500-categories-missing", "aim-500: without aim_category_type.json the samples are "
         "made with type and category null, and the build record names the missing file",
         _build(lambda tree: tree.remove(CATEGORIES)), Succeeds(), _no_categories),
    Case("aim500-categories-not-json", "aim-500: an aim_category_type.json that is not JSON is a "
         "clear error naming it", _build(lambda tree: tree.write(CATEGORIES, b"{not json")),
         Fails(r"aim_category_type\.json.*not valid JSON")),
    Case("aim500-trimap-labels", "aim-500: a 0/1/2 trimap is stored as 0/128/255, said in the "
         "stats", _build(_label_trimap), Succeeds(), _trimap_mapped),
    Case("aim500-zip-matte-truncated", "aim-500 read in place from AIM-500.zip: a truncated matte "
         "skips its sample, naming it", _build(_matte_cut, zipped=True), Succeeds(),
         _matte_skipped),
]

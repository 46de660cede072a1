"""Bad-input rows: damaged copies of the original overlay-depth dataset, read in place.

Each case writes a small original-layout tree (tests/overlay_original_tree.py, written
without mattehub: 3 rows, JPEG files, a quoted ``label_data.csv``), damages it and runs
``mattehub build overlay-depth --data-dir TREE``. A malformed csv line or a row whose files
are missing is a counted skip named ``label_data.csv:LINE``; a file that fails the gate when
read (truncated, a mask of another size) skips its sample with a ``bad_input`` event naming
the csv line and the file; a damaged ``mattehub_meta.jsonl`` is named and the meta comes from
the file names; no csv at all is a clear error. The sources are never modified.
"""
from __future__ import annotations

import hashlib
import io
import json
import re

import numpy as np
from PIL import Image

from .harness import BuiltOutput, Case, Env, Fails, Run, Succeeds, built

CONFIG = "overlay-depth"


def _tree(env: Env):
    from overlay_original_tree import make_original_tree

    return make_original_tree(env.tmp / "orig", num_bgs=1, num_fgs=1, ks=(1, 2, 3), size=16)


def _build(damage):
    """Write the tree, ``damage(tree)``, build it into ``tmp/out``; the tree's digest before
    the build is kept to check that reading never changes it."""
    def run(env: Env) -> Run:
        tree = _tree(env)
        damage(tree)
        env.digest = _digest(tree.root)
        return env.cli("build", CONFIG, "--out", env.tmp / "out", "--no-progress",
                       "--data-dir", tree.root)
    return run


def _digest(root) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(root).as_posix().encode() + p.read_bytes()
                                   for p in files)).hexdigest()


def _out(env: Env) -> BuiltOutput:
    return built(env, CONFIG)


# Damage -----------------------------------------------------------------------------------

def _append(tree, *lines: str) -> None:
    with tree.csv.open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def _malformed_lines(tree) -> None:
    _append(tree, '"Dataset/bg/bg1.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg"',
            '"/etc/bg.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""',
            '"Dataset/bg/bg1.jpg";"../outside/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""')


def _missing_file(tree) -> None:
    (tree.root / tree.rows[1][2]).unlink()


def _mask_other_size(tree) -> None:
    buffer = io.BytesIO()
    Image.new("L", (17, 16), 255).save(buffer, "JPEG", quality=50)
    (tree.root / tree.rows[0][3]).write_bytes(buffer.getvalue())


def _mask_values(line: int, values):
    """Row ``line``'s mask rewritten as a grey JPEG (quality 50, as published) of
    ``values(size)``."""
    def damage(tree) -> None:
        path = tree.root / tree.rows[line - 1][3]
        buffer = io.BytesIO()
        Image.fromarray(values(Image.open(path).size[::-1]), "L").save(buffer, "JPEG", quality=50)
        path.write_bytes(buffer.getvalue())
    return damage


def _zero_one(shape) -> np.ndarray:
    """A 0/1 label map: the left half 1."""
    values = np.zeros(shape, np.uint8)
    values[:, : shape[1] // 2] = 1
    return values


def _overlay_truncated(tree) -> None:
    path = tree.root / tree.rows[2][2]
    path.write_bytes(path.read_bytes()[:-40])


def _bad_sidecar(tree) -> None:
    (tree.root / "mattehub_meta.jsonl").write_text('{"csv_line": 1, "scale": 0.5}\nnot json\n')


def _no_csv(tree) -> None:
    tree.csv.unlink()


def _linked_outside(pick):
    """``pick(tree)`` (a path inside the tree) replaced by a symbolic link to a copy of it
    outside the tree, in ``orig-outside/``: an absolute link, as a user would make."""
    def damage(tree) -> None:
        inside = pick(tree)
        outside = tree.root.parent / "orig-outside" / inside.name
        outside.parent.mkdir(exist_ok=True)
        outside.write_bytes(inside.read_bytes())
        inside.unlink()
        inside.symlink_to(outside)
    return damage


# Checks -----------------------------------------------------------------------------------

def _sources_untouched(env: Env, run: Run) -> None:
    assert "Traceback" not in run.err, run.err
    assert _digest(env.tmp / "orig") == env.digest, "the sources changed"


def _listed(expected: dict[str, str], samples: int):
    """Build succeeded with ``samples`` samples; ``expected`` skips (path -> reason pattern)
    are in the build record, and no local path is."""
    def check(env: Env, run: Run) -> None:
        _sources_untouched(env, run)
        record = _out(env).record()
        skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
        for path, pattern in expected.items():
            assert path in skipped and re.search(pattern, skipped[path]), (path, skipped)
        assert len(_out(env).rows()) == samples
        assert str(env.tmp) not in json.dumps(record)
    return check


def _skipped_sample(line: int, pattern: str):
    """One sample skipped with a bad_input event; its reason names the csv line and file."""
    def check(env: Env, run: Run) -> None:
        _sources_untouched(env, run)
        skips = [e for e in _out(env).events() if e["kind"] == "skipped_sample"]
        assert len(skips) == 1 and skips[0]["reason"].startswith(f"label_data.csv:{line}: "), skips
        assert re.search(pattern, skips[0]["reason"]), skips
        assert any(e["kind"] == "bad_input" for e in _out(env).events())
        assert len(_out(env).rows()) == 2
    return check


def _outside_not_read(env: Env, run: Run) -> None:
    """The row whose mask links outside --data-dir is a counted skip naming the file, and
    no shard holds the linked file's bytes."""
    _skipped_sample(1, r"mask/1\.jpg: is a symbolic link .*resolves outside --data-dir")(env, run)
    linked = (env.tmp / "orig-outside" / "1.jpg").read_bytes()
    assert all(row["mask"]["bytes"] != linked for row in _out(env).rows())
    assert "orig-outside" not in json.dumps(_out(env).events())


def _meta_from_names(env: Env, run: Run) -> None:
    _listed({"mattehub_meta.jsonl": r"line 2 is not a mattehub meta record"}, 3)(env, run)
    assert [r["meta"]["scale"] for r in _out(env).rows()] == [1.0, 1.0, 1.0]  # k = 1, 2, 3


CASES: list[Case] = [
    Case("overlay-original-malformed-lines", "overlay-depth original: csv lines with 3 fields, an "
         "absolute path or a '..' path are counted skips naming their line",
         _build(_malformed_lines), Succeeds(),
         _listed({"label_data.csv:4": r"3 fields, expected 4", "label_data.csv:5": r"absolute",
                  "label_data.csv:6": r"'\.\.'"}, 3)),
    Case("overlay-original-missing-file", "overlay-depth original: a row whose overlay file is "
         "missing is a counted skip naming the line and the file", _build(_missing_file),
         Succeeds(), _listed({"label_data.csv:2": r"missing from .*overlay/2\.jpg"}, 2)),
    Case("overlay-original-mask-other-size", "overlay-depth original: a mask of another size "
         "than its overlay skips the row's sample", _build(_mask_other_size), Succeeds(),
         _skipped_sample(1, r"mask/1\.jpg: is 17x16 but its overlay")),
    Case("overlay-original-mask-all-zero", "overlay-depth original: an all-zero mask under its "
         "overlay skips the row's sample, naming the mask", _build(_mask_values(1, lambda shape: np.zeros(shape, np.uint8))),
         Succeeds(), _skipped_sample(1, r"mask/1\.jpg: is an empty mask: no pixel reaches 128")),
    Case("overlay-original-mask-zero-one", "overlay-depth original: a 0/1-valued mask (empty "
         "once binarised at 128) skips the row's sample, naming the mask",
         _build(_mask_values(2, _zero_one)), Succeeds(),
         _skipped_sample(2, r"mask/2\.jpg: is an empty mask: no pixel reaches 128")),
    Case("overlay-original-overlay-truncated", "overlay-depth original: a truncated overlay JPEG "
         "skips the row's sample", _build(_overlay_truncated), Succeeds(),
         _skipped_sample(3, r"overlay/3\.jpg: is a truncated JPEG")),
    Case("overlay-original-bad-sidecar", "overlay-depth original: a damaged mattehub_meta.jsonl "
         "is named and ignored (meta from the file names)", _build(_bad_sidecar), Succeeds(),
         _meta_from_names),
    Case("overlay-original-file-linked-outside", "overlay-depth original: a mask file that is "
         "a symbolic link out of --data-dir is not read: counted skip naming it",
         _build(_linked_outside(lambda tree: tree.root / tree.rows[0][3])), Succeeds(),
         _outside_not_read),
    Case("overlay-original-csv-linked-outside", "overlay-depth original: a label_data.csv "
         "linked from outside --data-dir is refused with a clear error",
         _build(_linked_outside(lambda tree: tree.csv)),
         Fails(r"label_data\.csv: is a symbolic link .*resolves outside --data-dir"),
         _sources_untouched),
    Case("overlay-original-no-csv", "overlay-depth original: no label_data.csv: a clear error "
         "saying what was expected", _build(_no_csv),
         Fails(r"has no label_data\.csv.*expected label_data\.csv"), _sources_untouched),
]
